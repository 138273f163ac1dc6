"""Prometheus metrics (prometheus-client), served at ``/metrics`` to configured addresses only.

What is counted where:

* **Requests** (latency histogram and count per method, route template and status) — in
  ``api.observability``, per request.
* **Commands** — one count per committed audit event that records a change, by its action
  (``work_item.completed``, ``case.started``, ``case.timers_fired`` …), whichever process
  committed it: the API, the pages, the command line or the worker. Reads (``*.viewed``,
  ``cases.searched``, ``access.denied``) are audited too but are not commands.
  ``rate(khumkrong_commands_total[1m])`` is commands per second.
* **Escalations raised** — the committed ``escalation.raised`` events, by reason.
* **Worker passes** — their duration and outcome, in the process that ran them.
* **Backlog** (open and overdue work items per agency, open escalations, unsent mail, worker
  lag) — read from SQL when scraped (``engine.backlog``), at most every
  ``Settings.metrics_sql_seconds``; figures for the whole database, the same from every process.

**Several processes.** Counters and histograms live in the process that counts. When
``PROMETHEUS_MULTIPROC_DIR`` is set, prometheus-client's multiprocess mode writes them to files
in that directory and ``/metrics`` of any API process on the machine answers the sum over every
process that shares it: all uvicorn workers and the ``khumkrong worker`` processes started with
the same environment. ``khumkrong serve --workers N`` (N > 1) makes a fresh directory when none
is set. Without it, each process answers for itself. Only counters and histograms are kept per
process, never gauges, so a process that dies (even by SIGKILL) leaves correct sums behind. The
directory must be emptied when the machine's Khumkrong services all start afresh (it is in
``/run``, which a reboot empties; see ``deploy/``).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Container, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.audit import AuditEvent
from engine.backlog import read_backlog
from engine.clock import Clock
from engine.worker import WorkerPass

log = logging.getLogger("khumkrong.metrics")
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "unmatched"

REQUEST_SECONDS = Histogram(
    "khumkrong_http_request_duration_seconds", "Time to answer a request, by route template.", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter("khumkrong_http_requests", "Requests answered, by route template and status.", ["method", "route", "status"])
COMMANDS = Counter("khumkrong_commands", "Committed changes, by the action their audit event records.", ["command"])
ESCALATIONS_RAISED = Counter("khumkrong_escalations_raised", "Escalations raised, by reason.", ["reason"])
WORKER_PASS_SECONDS = Histogram(
    "khumkrong_worker_pass_duration_seconds", "Time one worker pass took (timers, climbs, digests, mail).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
WORKER_PASSES = Counter("khumkrong_worker_passes", "Worker passes, by outcome (ok, failed).", ["outcome"])
TIMERS_FIRED = Counter("khumkrong_worker_timers_fired", "Timers the worker fired.")
MAIL = Counter("khumkrong_worker_mail", "Outbox messages the worker handed to SMTP, by outcome.", ["outcome"])


def is_read(action: str) -> bool:
    """Audited reads: not commands."""
    return action.endswith("viewed") or action.endswith(".searched") or action == "access.denied"


# -- counting committed audit events ---------------------------------------------------------------

_PENDING = "khumkrong.metrics.audited"


def _collect_audited(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, AuditEvent):
            session.info.setdefault(_PENDING, []).append((obj.action, obj.details or {}))


def _count_committed(session: Session) -> None:
    for action, details in session.info.pop(_PENDING, ()):
        if action == "escalation.raised":
            ESCALATIONS_RAISED.labels(reason=str(details.get("reason", "unknown"))).inc()
        if not is_read(action):
            COMMANDS.labels(command=action).inc()


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


_listening = threading.Lock()


def count_commands() -> None:
    """Count committed audit events in this process (idempotent; every Session, every engine)."""
    with _listening:
        if not event.contains(Session, "after_flush", _collect_audited):
            event.listen(Session, "after_flush", _collect_audited)
            event.listen(Session, "after_commit", _count_committed)
            event.listen(Session, "after_rollback", _forget)


# -- requests and worker passes --------------------------------------------------------------------


def observe_request(*, method: str, route: str | None, status: int, seconds: float) -> None:
    route = route or UNMATCHED_ROUTE
    REQUEST_SECONDS.labels(method=method, route=route).observe(seconds)
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()


def observe_worker_pass(result: WorkerPass | None, seconds: float) -> None:
    """``engine.worker.run_worker``'s ``on_pass``: None is a pass that failed."""
    WORKER_PASS_SECONDS.observe(seconds)
    WORKER_PASSES.labels(outcome="failed" if result is None else "ok").inc()
    if result is None:
        return
    TIMERS_FIRED.inc(result.tick.timers_fired)
    for outcome, count in (("sent", result.delivery.sent), ("retried", result.delivery.retried),
                           ("failed", result.delivery.failed)):
        MAIL.labels(outcome=outcome).inc(count)


# -- the backlog, read from SQL on scrape --------------------------------------------------------


class BacklogCollector(Collector):
    """Gauges from ``engine.backlog``, read at most every ``interval`` seconds."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, interval: float) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.interval = interval
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._metrics: list[Metric] = []

    def _read(self) -> list[Metric]:
        up = GaugeMetricFamily("khumkrong_database_up", "1 if the backlog could be read from the database.")
        try:
            with self.session_factory() as session:
                backlog = read_backlog(session=session, now=self.clock.now())
        except Exception as exc:  # noqa: BLE001 - a scrape must still answer when the database does not
            log.warning("cannot read the backlog for /metrics: %s", f"{type(exc).__name__}: {exc}".splitlines()[0])
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        open_items = GaugeMetricFamily("khumkrong_work_items_open", "Open or claimed work items, by agency.", labels=["agency"])
        overdue = GaugeMetricFamily("khumkrong_work_items_overdue", "Open or claimed work items past due, by agency.",
                                    labels=["agency"])
        for agency, work in sorted(backlog.work_by_agency.items()):
            open_items.add_metric([agency], work.open)
            overdue.add_metric([agency], work.overdue)
        escalations = GaugeMetricFamily("khumkrong_escalations_open", "Escalations not yet acknowledged, by level.",
                                        labels=["level"])
        for level, count in sorted(backlog.open_escalations_by_level.items()):
            escalations.add_metric([str(level)], count)
        outbox = GaugeMetricFamily("khumkrong_outbox_backlog", "Outbox messages not yet sent, by status.", labels=["status"])
        for status, count in backlog.outbox_unsent.items():
            outbox.add_metric([status], count)
        oldest_mail = GaugeMetricFamily("khumkrong_outbox_oldest_due_seconds",
                                        "Age of the oldest outbox message due for sending.")
        oldest_mail.add_metric([], backlog.outbox_oldest_due_seconds)
        lag = GaugeMetricFamily("khumkrong_worker_lag_seconds",
                                "Age of the oldest due timer or escalation climb not yet handled by a worker.")
        lag.add_metric([], backlog.worker_lag_seconds)
        return [up, open_items, overdue, escalations, outbox, oldest_mail, lag]

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if time.monotonic() - self._read_at >= self.interval:
                self._metrics = self._read()
                self._read_at = time.monotonic()
            return list(self._metrics)


class _ThisProcess(Collector):
    """The default registry (this process's own metrics), when not in multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


def scrape_registry(backlog: Collector) -> CollectorRegistry:
    registry = CollectorRegistry()
    if multiprocess_directory():
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(backlog)
    return registry


def _peer_may_scrape(request: Request, allowed: Container[str]) -> bool:
    # A scrape comes straight from the scraper. A request relayed by a proxy (even one on this
    # machine, whose own address may be allowed) is never one.
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    return request.client is not None and request.client.host in allowed


def install_metrics(app: FastAPI, *, session_factory: sessionmaker[Session], clock: Clock, allowed: Container[str],
                    sql_interval: float) -> None:
    """``GET /metrics`` for ``allowed`` peers (an ``AddressList``); 404 for everyone else."""
    count_commands()
    registry = scrape_registry(BacklogCollector(session_factory, clock, sql_interval))

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if not _peer_may_scrape(request, allowed):
            raise StarletteHTTPException(404)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

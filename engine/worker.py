"""The background worker: fires timers, climbs escalations, queues digests, sends the outbox,
and anonymises closed cases past their retention period.

One pass is :func:`work_once`; :func:`run_worker` repeats it until told to stop. Several workers
may run against one PostgreSQL database: every step takes its rows with SKIP LOCKED.
"""
from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from time import perf_counter
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from engine.clock import THAI_TIME, Clock, SystemClock
from engine.deadlines.digests import queue_daily_digests
from engine.deadlines.tick import TickReport, tick
from engine.heartbeats import default_worker_name, pass_completed, pass_failed, worker_started, worker_stopped
from engine.network.definition import Network
from engine.notify.sender import DeliveryReport, deliver_pending
from engine.people.actors import SYSTEM
from engine.privacy.retention import RetentionReport, run_retention
from engine.settings import Settings

log = logging.getLogger("khumkrong.worker")

# Digests go out once a day, from this Thai local time on (before the working day starts).
DIGEST_FROM = time(7, 0)


@dataclass
class WorkerPass:
    tick: TickReport
    digests_queued: int
    delivery: DeliveryReport
    retention: RetentionReport


def work_once(
    *, session_factory: sessionmaker[Session], clock: Clock, network: Network, settings: Settings
) -> WorkerPass:
    with session_factory() as session:
        ticked = tick(session=session, clock=clock, network=network)
    digests = 0
    now = clock.now()
    if now.astimezone(THAI_TIME).time() >= DIGEST_FROM:
        with session_factory() as session:
            digests = queue_daily_digests(session=session, now=now)
            session.commit()
    delivered = deliver_pending(session_factory, settings=settings, clock=clock)
    with session_factory() as session:
        # A batch per pass (PDPA s.37(3)): the next pass takes the next one.
        retained = run_retention(session=session, network=network, now=clock.now(), actor=SYSTEM)
    return WorkerPass(ticked, digests, delivered, retained)


def run_worker(
    *,
    session_factory: sessionmaker[Session],
    clock: Clock,
    network: Network,
    settings: Settings,
    interval_seconds: float = 15.0,
    stop: threading.Event | None = None,
    on_pass: Callable[[WorkerPass | None, float], None] | None = None,
    name: str | None = None,
    wall_clock: Clock | None = None,
) -> None:
    """Pass after pass until ``stop``; ``on_pass`` hears of each (None if it failed) and its
    duration in seconds. Each completed pass is recorded as the worker's heartbeat (``name``,
    ``host:pid`` by default, on the wall clock), which the health endpoints read."""
    stop = stop or threading.Event()
    name = (name or default_worker_name())[:128]
    wall_clock = wall_clock or SystemClock()
    _beat(session_factory, worker_started, name=name, interval_seconds=interval_seconds, now=wall_clock.now())
    while not stop.is_set():
        started = perf_counter()
        result: WorkerPass | None = None
        try:
            result = work_once(session_factory=session_factory, clock=clock, network=network, settings=settings)
            if result.retention.anonymised_cases:
                log.info("anonymised %d case(s) past their retention period", len(result.retention.anonymised_cases))
            if result.tick.timers_fired or result.tick.escalations_climbed or result.delivery.sent:
                log.info(
                    "fired %d timer(s), climbed %d escalation(s), queued %d digest(s), sent %d message(s)",
                    result.tick.timers_fired, result.tick.escalations_climbed, result.digests_queued,
                    result.delivery.sent,
                )
            if result.tick.failed_case_ids:
                log.warning("%d case(s) failed and were set aside", len(result.tick.failed_case_ids))
        except Exception:  # noqa: BLE001 - a failed pass is logged and retried, never fatal
            log.exception("worker pass failed; retrying in %.0f s", interval_seconds)
        took = perf_counter() - started
        if result is not None:
            _beat(session_factory, pass_completed, name=name, interval_seconds=interval_seconds, now=wall_clock.now(), seconds=took)
        else:
            _beat(session_factory, pass_failed, name=name, now=wall_clock.now())
        if on_pass is not None:
            on_pass(result, took)
        stop.wait(interval_seconds)
    _beat(session_factory, worker_stopped, name=name)


def record_single_pass(
    *, session_factory: sessionmaker[Session], interval_seconds: float, seconds: float, name: str | None = None,
    wall_clock: Clock | None = None,
) -> None:
    """A pass of ``worker --once`` (run by cron or a systemd timer) is a heartbeat too: under one
    name per machine unless given one, with the period it is run at as its interval, and left in
    place when the process ends (the next run is expected)."""
    name = (name or f"{socket.gethostname()}:once")[:128]
    now = (wall_clock or SystemClock()).now()
    _beat(session_factory, pass_completed, name=name, interval_seconds=interval_seconds, now=now, seconds=seconds)


def _beat(session_factory: sessionmaker[Session], record: Callable[..., None], **values: Any) -> None:
    """Record a heartbeat; a database that cannot take it now (it is down, say) is no reason
    to stop working — the missing heartbeat is what the health endpoints report."""
    try:
        with session_factory() as session:
            record(session=session, **values)
    except Exception:  # noqa: BLE001
        log.warning("could not record the worker's heartbeat", exc_info=True)

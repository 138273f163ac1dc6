"""Scenario 5, the timer sweep (and scenario 6's worker memory): many deadlines falling due at
once, drained by one worker process and then by two.

One P1 case is started through the engine four hours ago (on a simulated clock), so that the
three-hour deadline of its intake task is past on the real clock; its row and its work items are
then copied in bulk into as many cases as the scale asks (each copy a case of its own with the
same workflow state). Worker processes (bench/sweeper.py: the worker's timer sweep on the real
clock) start, connect, and are told to go at once; the time is from ``go`` until the last has
finished. Fresh batches of copies are drained by two workers, by two again, and by one (the
faster sweep of each kind is the figure). After each sweep every copy must
have had its deadline fire exactly once: ``double_fires`` counts extra escalations per deadline,
extra ``case.timers_fired`` records per timer and extra notifications per case and recipient;
``missed_deadlines`` counts copies whose deadline did not fire.

Where the time goes, per sweep (printed) and for the fastest of each kind (figures): each
worker's firings and CPU, its database backend's CPU, the PostgreSQL wait events of the active
backends (``timer_waits_…``, ``timer_lock_wait_share_2w``: two workers waiting on each other's
row locks would show there), how long they all waited for a core (the machine is shared), and
from these ``worker_scaling_cpu_ceiling_ratio``, the most two workers could gain on this
machine's cores (see ``_record_limits``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bench.common import ActivitySampler, Bench, advance_sequences, machine_busy, seed
from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, CaseFinishedTask, Escalation, WorkItem
from engine.clock import SimulatedClock, SystemClock
from engine.notify.models import OutboxMessage
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_WORKER_ROLE, SUPERVISOR_ROLE
from engine.settings import PROJECT_ROOT

AGENCY = "pmj_tak"
# One worker, two, two, one: each sweep has fresh copies; a burst of someone else's load on the
# machine spoils one sweep of a kind, and the faster of the two is the figure. SQLite has one
# writer at a time, so two workers cannot be faster there: one sweep of each only checks that
# none fires twice.
ROUNDS = (1, 2, 2, 1)
SQLITE_ROUNDS = (1, 2)


def _rows(session: Session, model: Any, case_id: int) -> list[dict[str, Any]]:
    return [{column.key: getattr(row, column.key) for column in model.__table__.columns}
            for row in session.scalars(select(model).where(model.case_id == case_id))]


def _template(factory, case_id: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The case's row, its work items' rows and its finished tasks' rows (stored apart from its
    live state), as they are before its deadline fires."""
    with factory() as session:
        case = session.get(Case, case_id)
        return ({column.key: getattr(case, column.key) for column in Case.__table__.columns},
                _rows(session, WorkItem, case_id), _rows(session, CaseFinishedTask, case_id))


def _copies(factory, template: dict[str, Any], item_templates: list[dict[str, Any]],
            finished_templates: list[dict[str, Any]], count: int) -> list[int]:
    """``count`` copies of the case (with its work items and finished-task rows); their ids."""
    items = item_templates
    with factory() as session:
        first = (session.scalar(select(func.max(Case.id))) or 0) + 1
        first_item = (session.scalar(select(func.max(WorkItem.id))) or 0) + 1
        ids = list(range(first, first + count))
        for start in range(0, count, 5_000):
            batch = ids[start:start + 5_000]
            session.execute(insert(Case.__table__), [
                {**template, "id": case_id, "reference": f"TIMER-{case_id:09d}"} for case_id in batch])
            session.execute(insert(WorkItem.__table__), [
                {**item, "id": first_item + (case_id - first) * len(items) + n, "case_id": case_id}
                for case_id in batch for n, item in enumerate(item_templates)])
            if finished_templates:
                session.execute(insert(CaseFinishedTask.__table__), [
                    {**row, "case_id": case_id} for case_id in batch for row in finished_templates])
        session.commit()
        advance_sequences(session, "cases", "work_items")
    return ids


@dataclass
class Sweep:
    """One drain: its wall time, each worker's report, and what the machine did meanwhile."""

    workers: int
    seconds: float
    reports: list[dict[str, Any]]
    backend_cpu_seconds: float | None  # the database's backends (PostgreSQL only)
    machine_busy_cores: float | None  # the whole machine, whoever kept it busy
    waits: dict[str, float]  # share of the active backends' samples per wait event
    run_queue_seconds: float  # how long the workers and their backends waited for a core

    @property
    def cpu_seconds(self) -> float:
        """The CPU the sweep itself used: its workers and their database backends."""
        return sum(report["cpu_seconds"] for report in self.reports) + (self.backend_cpu_seconds or 0.0)


def _drain(bench: Bench, workers: int) -> Sweep:
    environment = {**os.environ, "KHUMKRONG_DATABASE_URL": bench.url, "KHUMKRONG_LOG_LEVEL": "WARNING"}
    processes = [subprocess.Popen([sys.executable, "-m", "bench.sweeper"], cwd=PROJECT_ROOT, env=environment,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready", "a sweeper did not start"
        sampler = ActivitySampler(bench.url if bench.postgres else None, pids=tuple(p.pid for p in processes))
        sampler.start()
        busy_before = machine_busy()
        started = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = []
        try:
            for process in processes:
                out, _ = process.communicate(timeout=3600)
                reports.append(json.loads(out.strip().splitlines()[-1]))
            elapsed = time.perf_counter() - started
        finally:
            sampler.stop()
        busy_after = machine_busy()
        busy = None
        if busy_before and busy_after and busy_after[1] > busy_before[1]:
            cores = os.cpu_count() or 1
            busy = cores * (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1])
        return Sweep(workers, elapsed, reports, sampler.backend_cpu_seconds() if bench.postgres else None, busy,
                     sampler.wait_shares(), sampler.run_queue_seconds())
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _waits(shares: dict[str, float]) -> str:
    return ", ".join(f"{wait} {share:.0%}" for wait, share in list(shares.items())[:5]) or "—"


def _record_limits(bench: Bench, count: int, one: Sweep, two: Sweep) -> None:
    """Where the sweep's time goes, and the most two workers could gain on this machine's cores.

    One worker and its backend take turns (the one waits for the other), so the time they waited
    for a core (others' work on a shared machine) is time the sweep would not take on a machine
    of its own; without it, they keep ``cpu / (seconds - run queue)`` cores busy. Two workers can
    go no faster than all the cores busy with the same CPU per deadline, nor more than twice as
    fast: ``worker_scaling_cpu_ceiling_ratio``."""
    cores = os.cpu_count() or 1
    bench.record("timer_cpu_ms_per_deadline_worker", 1000 * sum(r["cpu_seconds"] for r in one.reports) / count)
    if one.backend_cpu_seconds is not None:
        bench.record("timer_cpu_ms_per_deadline_postgres", 1000 * one.backend_cpu_seconds / count)
    bench.record("timer_cores_busy_1w", one.cpu_seconds / one.seconds)
    bench.record("timer_cores_busy_2w", two.cpu_seconds / two.seconds)
    if one.machine_busy_cores is not None and two.machine_busy_cores is not None:
        bench.record("timer_machine_busy_cores_1w", one.machine_busy_cores)
        bench.record("timer_machine_busy_cores_2w", two.machine_busy_cores)
    bench.record("timer_run_queue_share_1w", one.run_queue_seconds / one.seconds)
    bench.record("timer_run_queue_share_2w", two.run_queue_seconds / (two.workers * two.seconds))
    alone = max(one.seconds - one.run_queue_seconds, one.cpu_seconds)  # never busier than one core each
    bench.record("timer_cores_busy_1w_alone", one.cpu_seconds / alone)
    bench.record("worker_scaling_cpu_ceiling_ratio", min(2.0, cores * alone / one.cpu_seconds))
    fired = [report["fired"] for report in two.reports]
    bench.record("timer_2w_split_share", min(fired) / max(1, sum(fired)))
    if two.waits:
        bench.record("timer_lock_wait_share_2w", sum(share for wait, share in two.waits.items() if wait.startswith("Lock:")))
        bench.record("timer_waits_2w", _waits(two.waits))
        bench.record("timer_waits_1w", _waits(one.waits))


def _check(factory, case_ids: list[int]) -> tuple[int, int]:
    """(double fires, missed deadlines) among these cases."""
    low, high = min(case_ids), max(case_ids)
    with factory() as session:
        escalations = Counter(session.execute(
            select(Escalation.work_item_id, Escalation.source_element).where(Escalation.case_id.between(low, high))).all())
        fired: Counter = Counter()
        for case_id, details in session.execute(select(AuditEvent.case_id, AuditEvent.details).where(
                AuditEvent.action == "case.timers_fired", AuditEvent.case_id.between(low, high))):
            fired.update((case_id, name) for name in details["timers"])
        notices = Counter(session.execute(select(OutboxMessage.case_id, OutboxMessage.recipient_id, OutboxMessage.kind)
                                          .where(OutboxMessage.case_id.between(low, high))).all())
    doubles = sum(n - 1 for counter in (escalations, fired, notices) for n in counter.values() if n > 1)
    deadlines = {case_id for case_id, name in fired if name == "receive_report_deadline"}
    return doubles, len(set(case_ids) - deadlines)


def run(bench: Bench) -> None:
    count = bench.scale.deadlines
    clock = SimulatedClock(SystemClock().now() - timedelta(hours=4))
    seeded = seed(bench.url, clock)
    try:
        with seeded.factory() as session:
            worker = User(username="bench.timers", display_name="bench", role_code=CASE_WORKER_ROLE, agency_code=AGENCY,
                          active=True, created_at=clock.now())
            supervisor = User(username="bench.timers.supervisor", display_name="bench", role_code=SUPERVISOR_ROLE,
                              agency_code=AGENCY, active=True, created_at=clock.now(), email="head@pmj.example")
            session.add_all([worker, supervisor])
            session.commit()
            original = commands.start_case(session=session, protocol_key="p1_abuse_report", data={},
                                           actor=Actor.of(worker), clock=clock, network=seeded.network)
            original_id = original.id
            assert original.next_timer_at is not None and original.next_timer_at < SystemClock().now(), \
                "the intake deadline should be past"
        template = _template(seeded.factory, original_id)
        doubles = missed = fired = failures = 0
        rounds = ROUNDS if bench.postgres else SQLITE_ROUNDS
        sweeps: dict[int, list[Sweep]] = {workers: [] for workers in rounds}
        peaks: list[float] = []
        for workers in rounds:
            case_ids = _copies(seeded.factory, *template, count)
            sweep = _drain(bench, workers)
            sweeps[workers].append(sweep)
            reports = sweep.reports
            fired += sum(report["fired"] for report in reports)
            failures += sum(report["failed"] for report in reports)
            peaks.extend(report["peak_rss_mb"] for report in reports if report["peak_rss_mb"] is not None)
            found_doubles, found_missed = _check(seeded.factory, case_ids)
            doubles += found_doubles
            missed += found_missed
            bench.note(f"{workers} worker(s): {sweep.seconds:.2f} s, fired {[r['fired'] for r in reports]}, "
                       f"worker CPU {[round(r['cpu_seconds'], 2) for r in reports]} s, first case "
                       f"{[round(r['first_case_seconds'] or 0, 3) for r in reports]} s, backends' CPU "
                       f"{sweep.backend_cpu_seconds or 0:.2f} s, run queue {sweep.run_queue_seconds:.2f} s, machine busy {sweep.machine_busy_cores or 0:.2f} cores, "
                       f"waits {_waits(sweep.waits)}")
        seconds = {workers: [sweep.seconds for sweep in done] for workers, done in sweeps.items()}
        for workers, taken in seconds.items():
            bench.record(f"timer_sweep_seconds_{workers}w", min(taken))
        _record_limits(bench, count, min(sweeps[1], key=lambda s: s.seconds), min(sweeps[2], key=lambda s: s.seconds))
        bench.record("timers_fired", fired)
        bench.record("timer_failures", failures)
        bench.record("deadlines_per_s_1w", count / min(seconds[1]))
        bench.record("deadlines_per_s_2w", count / min(seconds[2]))
        bench.record("worker_scaling_ratio", min(seconds[1]) / min(seconds[2]))
        bench.record("deadlines", count)
        bench.record("double_fires", doubles)
        bench.record("missed_deadlines", missed)
        if peaks:
            bench.record("worker_peak_rss_mb", max(peaks))
    finally:
        seeded.dispose()

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
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from bench.common import Bench, advance_sequences, seed
from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, Escalation, WorkItem
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


def _template(factory, case_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The case's row and its work items' rows, as they are before its deadline fires."""
    with factory() as session:
        case = session.get(Case, case_id)
        items = list(session.scalars(select(WorkItem).where(WorkItem.case_id == case_id)))
        return ({column.key: getattr(case, column.key) for column in Case.__table__.columns},
                [{column.key: getattr(item, column.key) for column in WorkItem.__table__.columns} for item in items])


def _copies(factory, template: dict[str, Any], item_templates: list[dict[str, Any]], count: int) -> list[int]:
    """``count`` copies of the case (and its work items); their ids."""
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
        session.commit()
        advance_sequences(session, "cases", "work_items")
    return ids


def _drain(bench: Bench, workers: int) -> tuple[float, list[dict[str, Any]]]:
    environment = {**os.environ, "KHUMKRONG_DATABASE_URL": bench.url, "KHUMKRONG_LOG_LEVEL": "WARNING"}
    processes = [subprocess.Popen([sys.executable, "-m", "bench.sweeper"], cwd=PROJECT_ROOT, env=environment,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready", "a sweeper did not start"
        started = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = []
        for process in processes:
            out, _ = process.communicate(timeout=3600)
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return time.perf_counter() - started, reports
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


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
        seconds: dict[int, list[float]] = {workers: [] for workers in rounds}
        peaks: list[float] = []
        for workers in rounds:
            case_ids = _copies(seeded.factory, *template, count)
            elapsed, reports = _drain(bench, workers)
            seconds[workers].append(elapsed)
            fired += sum(report["fired"] for report in reports)
            failures += sum(report["failed"] for report in reports)
            peaks.extend(report["peak_rss_mb"] for report in reports if report["peak_rss_mb"] is not None)
            found_doubles, found_missed = _check(seeded.factory, case_ids)
            doubles += found_doubles
            missed += found_missed
        for workers, taken in seconds.items():
            bench.record(f"timer_sweep_seconds_{workers}w", min(taken))
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

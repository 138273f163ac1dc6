"""A worker process for scenario 5: it puts itself together as `khumkrong worker` does (settings
from the environment, one wiring, the real clock), says ``ready``, waits for ``go`` on its standard
input, then runs the worker's timer sweep (``engine.deadlines.tick.tick``) until nothing is due, and
prints what it did as one line of JSON (with the CPU time it used and its peak resident set).

Started by bench/timers.py; the wait keeps interpreter start-up and imports out of the timing.
"""
from __future__ import annotations

import json
import os
import sys
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.common import peak_rss_mb
from engine.cases.models import Case
from engine.cases.state import workflow_from_rows
from engine.clock import SystemClock
from engine.deadlines.tick import tick
from engine.protocols.cache import version_cache
from engine.settings import get_settings
from engine.wiring import Wiring


def warm_up(session: Session) -> None:
    """What a worker that has been running holds already, loaded before the clock starts: a
    connection, the protocol version a due case runs on, and the workflow code it is restored
    with (a case's workflow restored and dropped; nothing is written)."""
    case = session.scalars(select(Case).where(Case.next_timer_at.is_not(None)).limit(1)).first()
    if case is not None:
        workflow_from_rows(session, case, version_cache(session).get(session, case.protocol_version_id).spec_json)
    session.rollback()


def main() -> None:
    wiring = Wiring.from_settings(get_settings(), clock=SystemClock())
    try:
        with wiring.session_factory() as session:  # connect and warm up before the clock starts
            warm_up(session)
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return
        started, cpu_started = time.perf_counter(), time.process_time()
        examined = fired = passes = 0
        failed: list[int] = []
        first: float | None = None
        while True:
            with wiring.session_factory() as session:
                # The first pass fires one case, to time it alone (what start-up is left in it).
                report = tick(session=session, clock=wiring.clock, network=wiring.network, limit=1 if first is None else None)
            passes += 1
            examined += report.cases_examined
            fired += report.timers_fired
            failed += report.failed_case_ids
            if first is None:
                first = time.perf_counter() - started
            elif report.timers_fired == 0:  # nothing left, or only what fails or another worker holds
                break
        print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu_started,
                          "first_case_seconds": first, "passes": passes, "examined": examined, "fired": fired,
                          "failed": len(failed), "peak_rss_mb": peak_rss_mb(os.getpid())}), flush=True)
    finally:
        wiring.dispose()


if __name__ == "__main__":
    main()

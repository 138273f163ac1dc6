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

from bench.common import peak_rss_mb
from engine.clock import SystemClock
from engine.deadlines.tick import tick
from engine.settings import get_settings
from engine.wiring import Wiring


def main() -> None:
    wiring = Wiring.from_settings(get_settings(), clock=SystemClock())
    try:
        with wiring.session_factory() as session:  # connect before the clock starts
            session.connection()
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return
        started, cpu_started = time.perf_counter(), time.process_time()
        examined = fired = passes = 0
        failed: list[int] = []
        while True:
            with wiring.session_factory() as session:
                report = tick(session=session, clock=wiring.clock, network=wiring.network)
            passes += 1
            examined += report.cases_examined
            fired += report.timers_fired
            failed += report.failed_case_ids
            if report.timers_fired == 0:  # nothing left, or only what fails or another worker holds
                break
        print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu_started,
                          "passes": passes, "examined": examined, "fired": fired, "failed": len(failed),
                          "peak_rss_mb": peak_rss_mb(os.getpid())}), flush=True)
    finally:
        wiring.dispose()


if __name__ == "__main__":
    main()

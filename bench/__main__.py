"""`make bench`: every scenario on SQLite and on PostgreSQL, a table, and ``bench/results.json``.

    python -m bench [SCENARIO ...] [--database sqlite|postgresql|both] [--scale tiny|default|national]

The network, forms, protocols and demo accounts are loaded once per database into a template that
each scenario's fresh database is copied from. Scenarios (one module each): floor (1), engine_library (2), throughput (3, with the API's memory),
task_lists (4), timers (5, with the worker's memory); and pages (page times at demo scale, SQLite
only, run only when named). Each scenario gets a fresh database; each ratio is measured within one
run, so that it survives a noisy machine. ``SCALE`` and ``BENCH_DATABASES`` in the environment are
the defaults of ``--scale`` and ``--database``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import targets
from bench.common import BENCH_DIR, SCALES, Bench, fresh_database, seeded_template, temporary_folder

DATABASES = ("sqlite", "postgresql")


def _scenarios() -> dict[str, Callable[[Bench], None]]:
    from bench import engine_library, floor, task_lists, throughput, timers

    return {
        "floor": floor.run,
        "engine_library": engine_library.run,
        "throughput": throughput.run,
        "task_lists": task_lists.run,
        "timers": timers.run,
    }


# The old name of the engine-vs-library scenario still works.
ALIASES = {"complete_task": "engine_library"}


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Khumkrong's benchmarks")
    parser.add_argument("scenarios", nargs="*", help="floor, engine_library, throughput, task_lists, timers, pages")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"),
                        default=os.environ.get("BENCH_DATABASES") or "both")
    parser.add_argument("--scale", choices=tuple(SCALES), default=os.environ.get("SCALE") or "default")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json",
                        help="where the figures go (default bench/results.json)")
    return parser.parse_args(argv)


def _load() -> tuple[float, ...]:
    try:
        return tuple(round(value, 2) for value in os.getloadavg())
    except OSError:
        return ()


def run(argv: list[str]) -> int:
    options = _arguments(argv)
    names = [ALIASES.get(name, name) for name in options.scenarios]
    if names == ["pages"]:
        from bench import pages

        return pages.main()
    scenarios = _scenarios()
    unknown = [name for name in names if name not in scenarios]
    if unknown:
        print(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join([*scenarios, 'pages'])}", file=sys.stderr)
        return 2
    chosen = names or list(scenarios)
    databases = DATABASES if options.database == "both" else (options.database,)
    scale = SCALES[options.scale]
    began = time.monotonic()
    results: dict[str, Any] = {
        "scale": scale.name,
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_at_start": _load()},
        "scenarios": chosen,
    }
    failed = False

    def write() -> None:
        results["seconds"] = round(time.monotonic() - began, 1)
        results["machine"]["load_at_end"] = _load()
        results["targets"] = targets.evaluate(results, databases)
        options.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    with temporary_folder() as folder:
        for database in databases:
            figures: dict[str, Any] = results.setdefault(database, {})
            with seeded_template(database, Path(folder)) as template:
                for name in chosen:
                    print(f"== {name} on {database} ({scale.name}) ==", file=sys.stderr, flush=True)
                    started = time.monotonic()
                    try:
                        with fresh_database(database, Path(folder), template=template) as url:
                            bench = Bench(database=database, url=url, scale=scale, folder=Path(folder), figures=figures)
                            scenarios[name](bench)
                    except Exception:  # noqa: BLE001 - one broken scenario must not lose the others' figures
                        failed = True
                        traceback.print_exc()
                        figures[f"{name}_error"] = traceback.format_exc(limit=3).strip().splitlines()[-1]
                    figures[f"{name}_seconds"] = round(time.monotonic() - started, 1)
                    write()
    write()
    targets.print_table(results, databases)
    print(f"{options.output} written; {results['seconds']:.0f} s in all", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))

"""Issue 13's targets, judged on the figures of a run, and the table printed at its end."""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

LIST_QUERIES = ("inbox", "overdue_list", "dashboard_counts", "committee_report", "case_search")


@dataclass(frozen=True)
class Target:
    figure: str
    op: str  # "<=", ">=" or "=="
    limit: float
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    scales: tuple[str, ...] = ("default", "national", "tiny")

    def holds(self, value: float) -> bool:
        compare = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}[self.op]
        return bool(compare(value, self.limit))


TARGETS = [
    Target("complete_floor_ratio", "<=", 2.0),
    Target("engine_library_ratio", "<=", 1.3),
    Target("growth_ratio", "<=", 1.2),
    Target("clients_4_vs_1_two_processes_ratio", ">=", 3.0, ("postgresql",)),
    *[Target(f"{query}_p95_ms_large", "<=", 20.0, ("postgresql",), ("default",)) for query in LIST_QUERIES],
    *[Target(f"{query}_p95_ms_large", "<=", 50.0, ("postgresql",), ("national",)) for query in LIST_QUERIES],
    *[Target(f"{query}_scale_ratio", "<=", 2.0, ("postgresql",), ("default",)) for query in LIST_QUERIES],
    Target("worker_scaling_ratio", ">=", 1.7, ("postgresql",)),
    Target("double_fires", "==", 0),
    Target("api_peak_rss_mb", "<=", 200.0),
    Target("worker_peak_rss_mb", "<=", 150.0),
]


def evaluate(results: dict[str, Any], databases: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each target that applies to this run: its figure, the limit, the value and whether it holds
    (``passed`` is None when the run has no such figure, say a scenario not run or failed)."""
    judged = []
    for target in TARGETS:
        if results.get("scale") not in target.scales:
            continue
        for database in databases:
            if database not in target.databases:
                continue
            value = results.get(database, {}).get(target.figure)
            judged.append({
                "database": database, "figure": target.figure, "target": f"{target.op} {target.limit:g}",
                "value": value, "passed": None if value is None else target.holds(value),
            })
    return judged


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)[:60]


def print_table(results: dict[str, Any], databases: tuple[str, ...], console: Console | None = None) -> None:
    console = console or Console(width=140)
    names: list[str] = []
    for database in databases:
        for name in results.get(database, {}):
            if name not in names:
                names.append(name)
    judged = {(row["database"], row["figure"]): row for row in results.get("targets", [])}
    figures = Table(title=f"make bench — scale {results.get('scale')}, {results.get('seconds', 0):.0f} s, "
                          f"load {results.get('machine', {}).get('load_at_start')} → {results.get('machine', {}).get('load_at_end')}")
    figures.add_column("figure")
    for database in databases:
        figures.add_column(database, justify="right")
    figures.add_column("target")
    for name in names:
        row = [name]
        target = ""
        for database in databases:
            value = results.get(database, {}).get(name)
            verdict = judged.get((database, name))
            text = _cell(value)
            if verdict is not None and verdict["passed"] is not None:
                text += " ✓" if verdict["passed"] else " ✗"
                target = verdict["target"]
            row.append(text)
        row.append(target)
        figures.add_row(*row)
    console.print(figures)
    missed = [row for row in results.get("targets", []) if row["passed"] is False]
    console.print(f"targets: {sum(1 for row in results.get('targets', []) if row['passed'])} met, {len(missed)} missed, "
                  f"{sum(1 for row in results.get('targets', []) if row['passed'] is None)} not measured")

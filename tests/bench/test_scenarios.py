"""`make bench` cannot rot: each scenario runs at the tiny scale on the suite's database and
records its figures (no speed is judged here: speed is `make bench`'s business), and the run's
results file names every target with its verdict."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import floor, task_lists, throughput, timers
from bench.__main__ import run as run_bench
from bench.common import SCALES, Bench
from bench.targets import TARGETS


def _bench(database_url: str, tmp_path: Path) -> Bench:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    return Bench(database=database, url=database_url, scale=SCALES["tiny"], folder=tmp_path)


def _positive(bench: Bench, *names: str) -> None:
    for name in names:
        assert bench.figures[name] > 0, (name, bench.figures)


@pytest.mark.slow
def test_floor_times_every_request_against_the_floor(database_url, tmp_path):
    bench = _bench(database_url, tmp_path)
    floor.run(bench)
    _positive(bench, "floor_p50_ms", "complete_p50_ms", "claim_p50_ms", "start_p50_ms", "inbox_p50_ms",
              "complete_floor_ratio", "claim_floor_ratio", "start_floor_ratio", "inbox_floor_ratio")
    assert bench.figures["complete_floor_ratio"] == pytest.approx(
        bench.figures["complete_p50_ms"] / bench.figures["floor_p50_ms"], rel=0.01)


def test_task_lists_time_each_read_at_both_scales(database_url, tmp_path):
    bench = _bench(database_url, tmp_path)
    task_lists.run(bench)
    large = SCALES["tiny"].list_large_postgres if bench.postgres else SCALES["tiny"].list_large_sqlite
    assert bench.figures["list_work_items_large"] == large
    for query in task_lists.QUERIES:
        _positive(bench, f"{query}_p95_ms_small", f"{query}_p95_ms_large", f"{query}_scale_ratio")


@pytest.mark.slow
def test_throughput_runs_p1_cases_to_their_end_over_http(database_url, tmp_path):
    bench = _bench(database_url, tmp_path)
    throughput.run(bench)
    _positive(bench, "completions_per_s_1c_1p", "completions_per_s_4c_1p", "clients_4_vs_1_ratio", "api_peak_rss_mb",
              "cpu_ms_per_completion_api_1c_1p", "clients_4_vs_1_cpu_ceiling_ratio")
    assert 0 < bench.figures["cores_busy_1c_1p_alone"] <= 1  # one client's requests run one at a time


@pytest.mark.slow
def test_timer_sweep_fires_every_deadline_once(database_url, tmp_path):
    bench = _bench(database_url, tmp_path)
    timers.run(bench)
    assert bench.figures["double_fires"] == 0
    assert bench.figures["missed_deadlines"] == 0
    # Each sweep fires its own copies' deadlines; the original case's fires in the first.
    rounds = timers.ROUNDS if bench.postgres else timers.SQLITE_ROUNDS
    assert bench.figures["timers_fired"] == len(rounds) * SCALES["tiny"].deadlines + 1
    assert bench.figures["timer_failures"] == 0
    _positive(bench, "worker_scaling_ratio", "worker_peak_rss_mb", "timer_cpu_ms_per_deadline_worker",
              "worker_scaling_cpu_ceiling_ratio")
    assert bench.figures["worker_scaling_cpu_ceiling_ratio"] <= 2


def test_a_run_of_engine_library_writes_its_figures_and_judges_the_targets(tmp_path):
    """The engine-vs-library scenario through the command line's own runner (on SQLite)."""
    output = tmp_path / "results.json"
    assert run_bench(["engine_library", "--database", "sqlite", "--scale", "tiny", "--output", str(output)]) == 0
    results = json.loads(output.read_text(encoding="utf-8"))
    figures = results["sqlite"]
    assert results["scale"] == "tiny"
    for checkpoint in SCALES["tiny"].chain_checkpoints:
        assert figures[f"engine_library_ratio_at_{checkpoint}"] > 0
        assert figures[f"state_bytes_per_command_at_{checkpoint}"] > 0
    assert figures["engine_library_ratio"] == figures[f"engine_library_ratio_at_{SCALES['tiny'].chain_checkpoints[-1]}"]
    judged = {row["figure"]: row for row in results["targets"]}
    assert judged["growth_ratio"]["passed"] == (results["sqlite"]["growth_ratio"] <= 1.2)
    assert judged["complete_floor_ratio"]["value"] is None and judged["complete_floor_ratio"]["passed"] is None
    assert {target.figure for target in TARGETS if "sqlite" in target.databases and "tiny" in target.scales} == set(judged)


def test_an_unknown_scenario_is_refused(tmp_path, capsys):
    assert run_bench(["nonsense", "--output", str(tmp_path / "r.json")]) == 2
    assert "unknown scenario" in capsys.readouterr().err

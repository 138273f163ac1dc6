"""Scenario 1, the floor: what a command costs over HTTP against the cheapest authenticated write.

Real HTTP (httpx, keep-alive) against a uvicorn process of its own (bench/server.py), one client,
so that the figures include what a client waits for: the socket, uvicorn, the middleware, the
authentication and the database. The floor route does one ``UPDATE … ; COMMIT`` behind the same
middleware, authentication and role gate. Each round asks, in turn: the floor, the inbox list
(``GET /api/v1/tasks``), a start (``POST /api/v1/cases``), a claim and a complete on a long chain
of form-less tasks; the rounds interleave so that a noisy neighbour hits every figure alike.
Each ``…_floor_ratio`` is its p50 over the floor's p50.
"""
from __future__ import annotations

import httpx2 as httpx
from sqlalchemy import select

from bench.common import API, Bench, bearer, p50, percentile, seed, start_servers, timed
from bench.engine_library import CHAIN_AGENCY, CHAIN_KEY, publish_chain
from bench.server import FLOOR_PATH, drop_floor_table
from engine.cases.models import WorkItem
from engine.people.actors import SYSTEM
from engine.people.roles import CASE_WORKER_ROLE

WARM_UP = 3


def run(bench: Bench) -> None:
    samples = bench.scale.floor_samples
    seeded = seed(bench.url)
    try:
        with seeded.factory() as session:
            publish_chain(session, length=samples + WARM_UP + 5, network=seeded.network, clock=seeded.clock, actor=SYSTEM)
        _actor, secret = seeded.person("bench.floor", CASE_WORKER_ROLE, CHAIN_AGENCY)
        headers = bearer(secret)
        (server,) = start_servers(bench.url, 1, bench.folder, floor=True)
        times: dict[str, list[float]] = {name: [] for name in ("floor", "inbox", "start", "claim", "complete")}
        try:
            with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
                _, started = timed(client, "POST", f"{API}/cases", expect=201, json={"protocol": CHAIN_KEY, "data": {}})
                chain_case = started.json()["id"]
                for round_ in range(WARM_UP + samples):
                    measured = {
                        "floor": timed(client, "POST", FLOOR_PATH)[0],
                        "inbox": timed(client, "GET", f"{API}/tasks")[0],
                        "start": timed(client, "POST", f"{API}/cases", expect=201,
                                       json={"protocol": CHAIN_KEY, "data": {}})[0],
                    }
                    with seeded.factory() as session:
                        task_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == chain_case,
                                                                           WorkItem.state == "open"))
                    assert task_id is not None, "the chain ran out of tasks"
                    measured["claim"] = timed(client, "POST", f"{API}/tasks/{task_id}/claim")[0]
                    measured["complete"] = timed(client, "POST", f"{API}/tasks/{task_id}/complete",
                                                 json={"data": {"note": "x" * 60}})[0]
                    if round_ >= WARM_UP:
                        for name, elapsed in measured.items():
                            times[name].append(elapsed)
        finally:
            server.stop()
            drop_floor_table(bench.url)
        for name, values in times.items():
            bench.record(f"{name}_p50_ms", p50(values))
            bench.record(f"{name}_p95_ms", percentile(values, 0.95))
        floor = p50(times["floor"])
        for name in ("complete", "claim", "start", "inbox"):
            bench.record(f"{name}_floor_ratio", p50(times[name]) / floor)
    finally:
        seeded.dispose()

"""Scenario 3, throughput (and scenario 6's API memory): 1, 4 and 16 concurrent HTTP clients, each
running P1 cases end to end with their real forms, against one API process (and, on PostgreSQL,
two, with the clients spread over them).

A client does what a person's browser or an integration would: start a case, read the case to find
its next task, claim it, complete it with the form's data, until the case closes. P1 waits a month
before each follow-up visit; the benchmark publishes P1 with that one timer at zero (and nothing
else changed) so that a case runs to its end without a worker. A 409 (someone else's command got
there first) or 503 is retried and counted. Completions per second are over the wall time of all
the clients; p50/p95 are of the ``complete`` requests. Each number of clients runs twice, in
mirrored order (1, 4, 16, 16, 4, 1); the better rate of the two is the figure (someone else's
load only ever slows a round down), the latencies of both rounds are pooled. Each API process's peak RSS (VmHWM) is
read just before it stops.

Each round also measures the CPU per completion of each part (API processes, PostgreSQL backends,
the benchmark's own clients), the time they waited for a core, and the database's wait events;
``clients_4_vs_1_…_cpu_ceiling_ratio`` is the most four clients could gain over one on this
machine's cores (see ``_record_cpu``).
"""
from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from bench.common import (
    API,
    ActivitySampler,
    Bench,
    Server,
    bearer,
    cpu_seconds,
    machine_busy,
    p50,
    percentile,
    seed,
    start_servers,
)
from engine.forms.catalogue import load_forms
from engine.people.actors import SYSTEM
from engine.people.roles import CASE_WORKER_ROLE, SUPERVISOR_ROLE
from engine.protocols import service as protocols
from engine.settings import PROJECT_ROOT

P1 = PROJECT_ROOT / "protocols" / "p1_abuse_report.bpmn"
AGENCY = "pmj_tak"
TODAY = "2026-12-03"

# The shortest way through P1 (as tests/api/test_scale_out.py takes it): no separation, no
# offence, not a student, support in the family, no court order, one follow-up visit, then the
# supervisor's approval. Each step's data is the form's own fields.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("receive_report", "worker", {
        "child_first_name": "ทดสอบ", "child_is_student": False, "report_channel": "hotline_1300",
        "concern_type": ["neglect"], "incident_summary": "แจ้งเหตุทดสอบระบบ", "alleged_abuser_is_school_staff": False,
    }),
    ("triage", "worker", {"risk_level": "medium", "needs_separation": False, "offence_suspected": False,
                          "best_interests_considered": True}),
    ("pmj_investigation", "worker", {"home_safe_for_return": True, "recommended_measure": "family_support"}),
    ("case_conference", "worker", {
        "conference_date": TODAY, "agencies_present": ["pmj_tak", "spm_tak"], "conference_recommendation": "family_support",
        "court_protection_order_needed": False, "child_views": "อยากอยู่บ้าน", "best_interests_considered": True,
    }),
    ("welfare_plan", "worker", {"welfare_measure": "family_support", "consent": "not_required",
                                "best_interests_considered": True}),
    ("reunify", "worker", {"reunification": "already_with_guardian", "guardian_ignored_advice": False,
                           "protector_needed": False}),
    ("follow_up_visit", "worker", {"visited_on": TODAY, "child_safe": True, "further_visit_needed": False}),
    ("approve_closure", "supervisor", {"closure_reason": "child_safe_with_family", "closure_summary": "ปลอดภัยดี",
                                       "best_interests_considered": True}),
]


def p1_without_visit_wait() -> bytes:
    text = P1.read_text(encoding="utf-8")
    changed, count = re.subn(
        r'(<bpmn:intermediateCatchEvent id="visit_due".*?<bpmn:timeDuration>)[^<]*(</bpmn:timeDuration>)',
        r"\1PT0S\2", text, count=1, flags=re.DOTALL)
    assert count == 1, "P1's visit timer was not found"
    return changed.encode("utf-8")


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    complete_ms: list[float] = field(default_factory=list)
    retries: int = 0

    def add(self, elapsed: float) -> None:
        with self.lock:
            self.complete_ms.append(elapsed)

    def retried(self) -> None:
        with self.lock:
            self.retries += 1


def _send(client: httpx.Client, tally: Tally, method: str, url: str, headers: dict[str, str],
          body: dict | None = None) -> tuple[float, httpx.Response]:
    """One request, retried while the answer is 409 or 503; the last attempt's time and answer."""
    for _ in range(50):
        started = time.perf_counter()
        answer = client.request(method, url, headers=headers, json=body)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code not in (409, 503):
            if answer.status_code >= 400:
                raise AssertionError(f"{method} {url}: {answer.status_code} {answer.text[:500]}")
            return elapsed, answer
        tally.retried()
        time.sleep(0.01)
    raise AssertionError(f"{method} {url}: still {answer.status_code} after 50 attempts")


def drive_case(base: str, worker: dict[str, str], supervisor: dict[str, str], tally: Tally | None) -> int:
    """One P1 case from its start to its close; returns the completions made."""
    tally = tally or Tally()
    with httpx.Client(base_url=base, timeout=120) as client:
        _, started = _send(client, tally, "POST", f"{API}/cases", worker, {"protocol": "p1_abuse_report", "data": {}})
        case_id = started.json()["id"]
        for task_name, role, data in STEPS:
            who = worker if role == "worker" else supervisor
            _, case = _send(client, tally, "GET", f"{API}/cases/{case_id}", who)
            live = [item for item in case.json()["work_items"]
                    if item["task_name"] == task_name and item["state"] in ("open", "claimed")]
            assert live, f"case {case_id} has no live {task_name}: {[i['task_name'] for i in case.json()['work_items']]}"
            task_id = live[0]["id"]
            if live[0]["state"] == "open":
                _send(client, tally, "POST", f"{API}/tasks/{task_id}/claim", who)
            elapsed, _ = _send(client, tally, "POST", f"{API}/tasks/{task_id}/complete", who, {"data": data})
            tally.add(elapsed)
        _, case = _send(client, tally, "GET", f"{API}/cases/{case_id}", worker)
        assert case.json()["status"] == "completed", f"case {case_id} ended {case.json()['status']}"
    return len(STEPS)


@dataclass
class Usage:
    """The CPU seconds each part used during a round: the API processes, the database's backends
    (PostgreSQL only) and this process (the benchmark's clients)."""

    api: float
    database: float | None
    clients: float
    seconds: float
    completions: int
    machine_busy_cores: float | None  # the whole machine meanwhile: ourselves and anyone else
    waits: dict[str, float]  # the database's active backends' samples per wait event
    run_queue_seconds: float  # how long the API processes, the backends and the clients waited for a core

    @property
    def total(self) -> float:
        return self.api + (self.database or 0.0) + self.clients

    def per_completion_ms(self, part: float | None) -> float:
        return 1000 * (part or 0.0) / self.completions


def _round(servers: list[Server], people: list[tuple[dict[str, str], dict[str, str]]], clients: int,
           cases_each: int, url: str | None) -> tuple[float, Tally, Usage]:
    """``clients`` threads, client n on server n mod len(servers); completions per second, the tally
    and the CPU each part used (``url``: the PostgreSQL database whose backends are sampled)."""
    tally = Tally()
    sampler = ActivitySampler(url, interval=0.1, pids=(*(server.process.pid for server in servers), os.getpid()))
    sampler.start()
    api_before = [cpu_seconds(server.process.pid) or 0.0 for server in servers]
    busy_before = machine_busy()
    own_before = time.process_time()
    began = time.perf_counter()
    try:
        with ThreadPoolExecutor(clients) as pool:
            futures = [
                pool.submit(lambda n=n: sum(drive_case(servers[n % len(servers)].base, *people[n], tally)
                                            for _ in range(cases_each)))
                for n in range(clients)
            ]
            completions = sum(future.result() for future in futures)
        elapsed = time.perf_counter() - began
    finally:
        sampler.stop()
    own = time.process_time() - own_before
    busy_after = machine_busy()
    api = sum((cpu_seconds(server.process.pid) or 0.0) - before for server, before in zip(servers, api_before, strict=True))
    busy = None
    if busy_before and busy_after and busy_after[1] > busy_before[1]:
        busy = (os.cpu_count() or 1) * (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1])
    usage = Usage(api, sampler.backend_cpu_seconds() if url else None, own, elapsed, completions, busy,
                  sampler.wait_shares(), sampler.run_queue_seconds())
    return completions / elapsed, tally, usage


def _record_cpu(bench: Bench, processes: int, usages: dict[int, list[Usage]]) -> None:
    """The CPU per completion of each part at one client (from its faster round), the cores one
    client keeps busy, and what that leaves four clients: on ``cores`` cores they can go at most
    ``cores / busy`` times as fast as one (and no more than four times), whatever the engine's
    concurrency — the ``…_cpu_ceiling_ratio``. One client's requests are served one after
    another (client, API process, backend, each waiting for the next), so the time they waited
    for a core — others' work on a shared machine — is time one client would not take on a
    machine of its own: ``busy`` is counted without it (``cores_busy_1c_…_alone``), else a
    crowded machine would make one client look idle and the ceiling high. Each part's CPU per
    completion at four clients shows what concurrency itself costs."""
    cores = os.cpu_count() or 1
    tag = f"{processes}p"
    for clients in (1, 4):
        if clients not in usages:
            continue
        usage = min(usages[clients], key=lambda u: u.seconds / u.completions)
        bench.record(f"cpu_ms_per_completion_api_{clients}c_{tag}", usage.per_completion_ms(usage.api))
        if usage.database is not None:
            bench.record(f"cpu_ms_per_completion_db_{clients}c_{tag}", usage.per_completion_ms(usage.database))
        bench.record(f"cpu_ms_per_completion_clients_{clients}c_{tag}", usage.per_completion_ms(usage.clients))
        bench.record(f"cores_busy_{clients}c_{tag}", usage.total / usage.seconds)
        if usage.machine_busy_cores is not None:
            bench.record(f"machine_busy_cores_{clients}c_{tag}", usage.machine_busy_cores)
        bench.record(f"run_queue_ms_per_completion_{clients}c_{tag}", usage.per_completion_ms(usage.run_queue_seconds))
        if clients == 1:
            alone = max(usage.seconds - usage.run_queue_seconds, usage.total)  # one at a time: one core at most
            bench.record(f"cores_busy_1c_{tag}_alone", usage.total / alone)
            ceiling = min(4.0, cores * alone / usage.total)
            bench.record("clients_4_vs_1_cpu_ceiling_ratio" if processes == 1
                         else "clients_4_vs_1_two_processes_cpu_ceiling_ratio", ceiling)


def run(bench: Bench) -> None:
    seeded = seed(bench.url)
    try:
        with seeded.factory() as session:
            version, _ = protocols.store_draft(
                session=session, key="p1_abuse_report", bpmn=p1_without_visit_wait(), network=seeded.network,
                clock=seeded.clock, actor=SYSTEM, filename=P1.name, forms=load_forms(PROJECT_ROOT / "forms"),
                known_messages=set(protocols.message_start_names(P1.read_bytes())),
            )
            protocols.publish(session=session, key="p1_abuse_report", version=version.version, clock=seeded.clock,
                              actor=SYSTEM)
            session.commit()
        most = max(bench.scale.throughput_cases)
        _, supervisor = seeded.person("bench.supervisor", SUPERVISOR_ROLE, AGENCY)
        people = [(bearer(seeded.person(f"bench.worker{n}", CASE_WORKER_ROLE, AGENCY)[1]), bearer(supervisor))
                  for n in range(most)]
        peaks: list[float] = []
        for processes in (1, 2) if bench.postgres else (1,):
            servers = start_servers(bench.url, processes, bench.folder)
            try:
                for server in servers:
                    drive_case(server.base, *people[0], None)  # warm: caches, pools, first imports
                # Each number of clients twice, in mirrored order (1, 4, 16, 16, 4, 1): a burst of
                # someone else's load on the machine hits one round of it, not the figure.
                configurations = sorted(bench.scale.throughput_cases.items())
                rates: dict[int, list[float]] = {clients: [] for clients, _ in configurations}
                tallies: dict[int, list[Tally]] = {clients: [] for clients, _ in configurations}
                usages: dict[int, list[Usage]] = {clients: [] for clients, _ in configurations}
                for clients, cases_each in configurations + configurations[::-1]:
                    rate, tally, usage = _round(servers, people, clients, cases_each,
                                                bench.url if bench.postgres else None)
                    rates[clients].append(rate)
                    tallies[clients].append(tally)
                    usages[clients].append(usage)
                    bench.note(f"{processes} process(es), {clients} client(s): {rate:.1f} completions/s; CPU ms per "
                               f"completion: API {usage.per_completion_ms(usage.api):.1f}, database "
                               f"{usage.per_completion_ms(usage.database):.1f}, clients "
                               f"{usage.per_completion_ms(usage.clients):.1f}; {usage.total / usage.seconds:.2f} cores busy "
                               f"(the machine {usage.machine_busy_cores or 0:.2f}), run queue "
                               f"{usage.per_completion_ms(usage.run_queue_seconds):.1f} ms per completion; database waits "
                               + (", ".join(f"{wait} {share:.0%}" for wait, share in list(usage.waits.items())[:4]) or "—"))
                _record_cpu(bench, processes, usages)
                for clients, _ in configurations:
                    tag = f"{clients}c_{processes}p"
                    latencies = [ms for tally in tallies[clients] for ms in tally.complete_ms]
                    bench.record(f"completions_per_s_{tag}", max(rates[clients]))
                    bench.record(f"complete_p50_ms_{tag}", p50(latencies))
                    bench.record(f"complete_p95_ms_{tag}", percentile(latencies, 0.95))
                    bench.record(f"retries_{tag}", sum(tally.retries for tally in tallies[clients]))
            finally:
                peaks.extend(peak for peak in (server.stop() for server in servers) if peak is not None)
            one, four = bench.figures.get(f"completions_per_s_1c_{processes}p"), bench.figures.get(f"completions_per_s_4c_{processes}p")
            if one and four:
                bench.record("clients_4_vs_1_ratio" if processes == 1 else "clients_4_vs_1_two_processes_ratio", four / one)
        if bench.postgres:
            clients = max(bench.scale.throughput_cases)
            bench.record("process_scaling_ratio",
                         bench.figures[f"completions_per_s_{clients}c_2p"] / bench.figures[f"completions_per_s_{clients}c_1p"])
        if peaks:
            bench.record("api_peak_rss_mb", max(peaks))
    finally:
        seeded.dispose()

"""`make bench` scenario `pages`: each main page's answer time at demo scale, on SQLite.

The app with the living demo (``engine.demo``: the Tak protocols, forms, accounts and cases),
asked in-process (Starlette's test client: routing, authorisation, engine reads, the audit of
each read, rendering; no network) as the person each page is for. Every page is asked
``SAMPLES`` times after ``WARM_UP`` unmeasured requests; the p50 and p95 are reported against the
target (200 ms p95). The inbox is asked again with 10,000 open tasks in the worker's agency.

    python -m bench.pages            (or: python -m bench pages)
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from api.app import create_app
from api.deps import SESSION_COOKIE
from engine.cases.models import Case, WorkItem
from engine.clock import SimulatedClock
from engine.demo import load_demo
from engine.migrations import upgrade_database
from engine.people import auth
from engine.people.models import User
from engine.protocols.service import latest_published
from engine.settings import PROJECT_ROOT, Settings
from engine.wiring import Wiring

TARGET_MS = 200.0
WARM_UP = 3
SAMPLES = 40
LARGE_INBOX = 10_000
# Monday 30 November 2026, 09:00 in Tak: the demo's history ends here.
END = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=7)))


@dataclass
class Result:
    page: str
    who: str
    p50: float
    p95: float

    @property
    def ok(self) -> bool:
        return self.p95 < TARGET_MS


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _measure(client: TestClient, path: str) -> tuple[float, float]:
    for _ in range(WARM_UP):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times), _percentile(times, 0.95)


def _client(app, session_factory, clock, username: str) -> TestClient:
    client = TestClient(app, headers={"accept": "text/html"})
    with session_factory() as session:
        user = session.scalar(select(User).where(User.username == username))
        _row, secret = auth.start_session(session, user=user, client_address="bench", user_agent="bench", clock=clock)
    client.cookies.set(SESSION_COOKIE, secret)
    return client


def _add_open_tasks(session_factory, clock: SimulatedClock, count: int, agency: str) -> None:
    """``count`` open tasks of ``agency`` on P1 cases, written straight to the tables."""
    with session_factory() as session:
        version = latest_published(session=session, key="p1_abuse_report")
        first = (session.scalar(select(func.max(Case.id))) or 0) + 1
        now = clock.now()
        cases = [
            {"id": first + n, "reference": f"TAK-2026-{800000 + n:06d}", "protocol_version_id": version.id, "status": "active",
             "state_json": "{}", "version": 1, "created_at": now, "updated_at": now}
            for n in range(count // 100)
        ]
        session.execute(insert(Case), cases)
        session.execute(insert(WorkItem), [
            {"case_id": cases[n // 100]["id"], "task_id": f"bench{n}", "task_name": "receive_report", "label": "รับแจ้งเหตุ",
             "lane": agency, "agency_code": agency, "state": "open", "form_key": "p1_receive_report", "created_at": now,
             "due_at": now + timedelta(hours=(n % 50) - 10), "escalation_level": 0, "deadlines_fired": 0}
            for n in range(count)
        ])
        session.commit()


def run() -> list[Result]:
    clock = SimulatedClock(END)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        upgrade_database(url)
        wiring = Wiring.from_settings(Settings(database_url=url), clock=clock)
        try:
            with wiring.session_factory() as session:
                report = load_demo(session=session, network=wiring.network, clock=clock,
                                   protocols_dir=PROJECT_ROOT / "protocols", forms_dir=PROJECT_ROOT / "forms", cases=True)
                task = session.scalar(
                    select(WorkItem).where(WorkItem.agency_code == "pmj_tak", WorkItem.task_name == "question_child",
                                           WorkItem.state == "open").order_by(WorkItem.id)
                )
                assert task is not None, "the demo has no open questioning task for the social development office"
                case_id = task.case_id
            print(f"demo: {report.cases_started} cases", file=sys.stderr)
            app = create_app(wiring=wiring)
            with TestClient(app):
                worker = _client(app, wiring.session_factory, clock, "worker.pmj_tak")
                supervisor = _client(app, wiring.session_factory, clock, "supervisor.pmj_tak")
                committee = _client(app, wiring.session_factory, clock, "committee")
                pages = [
                    ("/inbox", "worker.pmj_tak", worker),
                    (f"/tasks/{task.id}", "worker.pmj_tak", worker),
                    (f"/cases/{case_id}", "worker.pmj_tak", worker),
                    ("/cases", "worker.pmj_tak", worker),
                    ("/cases/new", "worker.pmj_tak", worker),
                    ("/dashboard", "supervisor.pmj_tak", supervisor),
                    ("/committee", "committee", committee),
                    (f"/cases/{case_id}", "committee", committee),
                ]
                results = [Result(path, who, *_measure(client, path)) for path, who, client in pages]
                _add_open_tasks(wiring.session_factory, clock, LARGE_INBOX, "pmj_tak")
                for path in ("/inbox", "/inbox?page=200", "/inbox?due=overdue"):
                    results.append(Result(f"{path} ({LARGE_INBOX:,} tasks)", "worker.pmj_tak", *_measure(worker, path)))
                results.append(Result(f"/dashboard ({LARGE_INBOX:,} tasks)", "supervisor.pmj_tak",
                                      *_measure(supervisor, "/dashboard")))
        finally:
            wiring.dispose()
    return results


def main() -> int:
    results = run()
    print(f"pages (SQLite, in-process, {SAMPLES} requests each after {WARM_UP} unmeasured; target p95 < {TARGET_MS:.0f} ms)")
    print(f"{'page':<40} {'as':<20} {'p50 ms':>8} {'p95 ms':>8}")
    for result in results:
        mark = "" if result.ok else "  over target"
        print(f"{result.page:<40} {result.who:<20} {result.p50:>8.1f} {result.p95:>8.1f}{mark}")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Scenario 4, task lists at scale: the inbox, an agency's overdue list, the supervisor dashboard's
counts, the committee report and case search, timed through the engine's own read functions (the
ones the API and the pages call), at a small and a large number of work items.

The data is written in bulk, not through the engine (COPY on PostgreSQL, executemany on SQLite):
a national deployment, 77 provinces with the Tak network's agencies each (Tak's own codes, the
others ``pmj_p01`` and so on), ten work items a case, provinces and agencies unevenly loaded (Tak
and its social development office the busiest, and measured). Cases are spread over a year; those
of the last three months are mostly still active, with their last one or two tasks open or claimed,
due within two weeks of being created (so a share are overdue); the rest are completed. No child
records and no escalations are seeded (searches match case references; the escalation counts of
the reports are empty). ``ANALYZE`` (and on PostgreSQL ``VACUUM``) follows each load, as autovacuum
would in production.

At the largest scale each query's SQL is explained (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL,
``EXPLAIN QUERY PLAN`` on SQLite) into ``bench/explain/``.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from bench.common import BENCH_DIR, Bench, advance_sequences, p50, percentile, seed
from engine.cases.inbox import inbox
from engine.cases.models import Case, WorkItem
from engine.cases.reads import search_cases
from engine.deadlines.queries import overdue_counts
from engine.deadlines.reports import monitoring_report, on_time_rates, overdue_for
from engine.network.models import Agency
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_WORKER_ROLE, COMMITTEE_ROLE, SUPERVISOR_ROLE
from engine.protocols.models import ProtocolVersion

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
PROVINCES = 77
ITEMS_PER_CASE = 10
MEASURED_AGENCY = "pmj_tak"
WORKERS_PER_AGENCY = 5
# How the work of a province falls on its agencies (by the agency code's first part).
AGENCY_WEIGHTS = {"pmj": 30, "police": 15, "spm": 15, "health": 10, "shelter": 10, "djop": 6, "provadmin": 5,
                  "skr": 3, "culture": 3, "specialed": 3}
EXPLAIN_DIR = BENCH_DIR / "explain"
QUERIES = ("inbox", "overdue_list", "dashboard_counts", "committee_report", "case_search")


class Population:
    """The agencies, protocol versions and people the seeded work is spread over."""

    def __init__(self, session: Session, network) -> None:
        tak = [code for code, agency in network.active_agencies.items()]
        self.agencies: list[str] = []
        weights: list[float] = []
        new_agencies = []
        for province in range(PROVINCES):
            # Provinces differ in size (a long tail); Tak, the pilot, is the busiest.
            province_weight = 1 / (1 + province) ** 0.6
            for code in tak:
                base = code.rsplit("_", 1)[0]
                name = code if province == 0 else f"{base}_p{province:02d}"
                if province:
                    new_agencies.append({"code": name, "name_th": f"{code} {province}", "name_en": f"{code} {province}",
                                         "active": True})
                self.agencies.append(name)
                weights.append(province_weight * AGENCY_WEIGHTS.get(base, 2))
        if new_agencies and session.scalar(select(Agency.code).where(Agency.code == new_agencies[0]["code"])) is None:
            session.execute(insert(Agency), new_agencies)
        total = sum(weights)
        self.cumulative: list[float] = []
        running = 0.0
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)
        versions = list(session.execute(select(ProtocolVersion.id, ProtocolVersion.key).where(ProtocolVersion.published)))
        # P1 (abuse reports) and the student screening carry most of the work.
        self.versions = [version_id for version_id, key in versions
                         for _ in range(6 if key in ("p1_abuse_report", "p2_student_screening") else 1)]
        self.users: dict[str, list[int]] = {}
        for code in tak:
            ids = []
            for n in range(WORKERS_PER_AGENCY):
                user = User(username=f"bench.{code}.{n}", display_name=f"bench {code} {n}", role_code=CASE_WORKER_ROLE,
                            agency_code=code, active=True, created_at=NOW)
                session.add(user)
                session.flush()
                ids.append(user.id)
            self.users[code] = ids
        supervisor = User(username="bench.supervisor", display_name="bench supervisor", role_code=SUPERVISOR_ROLE,
                          agency_code=MEASURED_AGENCY, active=True, created_at=NOW)
        committee = User(username="bench.committee", display_name="bench committee", role_code=COMMITTEE_ROLE,
                         agency_code=None, active=True, created_at=NOW)
        session.add_all([supervisor, committee])
        session.flush()
        self.worker = Actor(self.users[MEASURED_AGENCY][0], f"bench.{MEASURED_AGENCY}.0", CASE_WORKER_ROLE, MEASURED_AGENCY)
        self.supervisor = Actor.of(supervisor)
        self.committee = Actor.of(committee)
        session.commit()

    def agency(self, rng: random.Random) -> str:
        draw = rng.random()
        low, high = 0, len(self.cumulative) - 1
        while low < high:
            middle = (low + high) // 2
            if self.cumulative[middle] < draw:
                low = middle + 1
            else:
                high = middle
        return self.agencies[low]


def generate(population: Population, first_case: int, first_item: int, cases: int,
             rng: random.Random) -> tuple[list[tuple], list[tuple]]:
    """Rows of ``cases`` cases and their work items (tuples in the tables' column order below)."""
    case_rows, item_rows = [], []
    item_id = first_item
    for case_id in range(first_case, first_case + cases):
        age = timedelta(days=rng.random() * 365)
        created = NOW - age
        active = age < timedelta(days=90) and rng.random() < 0.7
        province_agency = population.agency(rng)
        case_rows.append((
            case_id, f"BEN-{created.year}-{case_id:09d}", rng.choice(population.versions),
            "active" if active else "completed", created, created + timedelta(days=1), None if active else created + timedelta(days=30),
            f"unit_{province_agency}_{rng.randrange(40)}",
        ))
        live = rng.choice((1, 1, 2)) if active else 0
        for k in range(ITEMS_PER_CASE):
            # Most of a case's work is its lead agency's; the rest is another's.
            agency = province_agency if rng.random() < 0.6 else population.agency(rng)
            item_created = created + timedelta(hours=k * 20 + rng.random() * 10)
            is_live = k >= ITEMS_PER_CASE - live
            if is_live:
                item_created = NOW - timedelta(days=rng.random() * 20)
            due = None if rng.random() < 0.1 else item_created + timedelta(days=1 + rng.random() * 13)
            users = population.users.get(agency)
            state = "completed"
            assignee = None
            if is_live:
                state = "claimed" if users and rng.random() < 0.3 else "open"
                assignee = rng.choice(users) if state == "claimed" else None
            completed = None if is_live else item_created + timedelta(hours=rng.random() * 200)
            overdue = is_live and due is not None and due < NOW
            item_rows.append((
                item_id, case_id, f"t{k}", f"task_{k}", f"งาน {k}", agency, agency, assignee, state, f"form_{k}",
                item_created, due, completed, 1 if overdue and rng.random() < 0.5 else 0, 1 if overdue else 0,
            ))
            item_id += 1
    return case_rows, item_rows


CASE_COLUMNS = ("id", "reference", "protocol_version_id", "status", "created_at", "updated_at", "closed_at",
                "reporting_unit")
ITEM_COLUMNS = ("id", "case_id", "task_id", "task_name", "label", "lane", "agency_code", "assignee_id", "state",
                "form_key", "created_at", "due_at", "completed_at", "escalation_level", "deadlines_fired")


def _copy_text(rows: list[tuple]) -> bytes:
    def cell(value: Any) -> str:
        if value is None:
            return r"\N"
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    return "".join("\t".join(cell(value) for value in row) + "\n" for row in rows).encode("utf-8")


def load(bench: Bench, session: Session, case_rows: list[tuple], item_rows: list[tuple]) -> None:
    if bench.postgres:
        connection = session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}, state_json, version, max_task_depth) FROM STDIN") as copy:
                copy.write(_copy_text([(*row, "{}", 1, 0) for row in case_rows]))
            with cursor.copy(f"COPY work_items ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
                for start in range(0, len(item_rows), 100_000):
                    copy.write(_copy_text(item_rows[start:start + 100_000]))
        session.commit()
        return
    session.execute(insert(Case), [{**dict(zip(CASE_COLUMNS, row, strict=True)), "state_json": "{}", "version": 1,
                                    "max_task_depth": 0} for row in case_rows])
    for start in range(0, len(item_rows), 50_000):
        session.execute(insert(WorkItem), [dict(zip(ITEM_COLUMNS, row, strict=True))
                                           for row in item_rows[start:start + 50_000]])
    session.commit()


def grow(bench: Bench, session: Session, population: Population, items: int, rng: random.Random, have: int) -> int:
    """Adds cases until the work items number ``items``; returns the new count."""
    cases = (items - have) // ITEMS_PER_CASE
    chunk = 50_000
    done = 0
    while done < cases:
        count = min(chunk, cases - done)
        case_rows, item_rows = generate(population, have // ITEMS_PER_CASE + done + 1, have + done * ITEMS_PER_CASE + 1,
                                        count, rng)
        load(bench, session, case_rows, item_rows)
        done += count
    advance_sequences(session, "cases", "work_items")
    # As autovacuum would after a load this size: the planner's statistics for the new rows and,
    # on PostgreSQL, a vacuum (autovacuum vacuums after inserts too, since version 13): it marks
    # the pages all-visible, which index-only scans need, and moves the rows a GIN index queued
    # at insert (its pending list, read in full by every search) into the index. Left to
    # autovacuum, each run would measure whichever state it happened to reach in time.
    if bench.postgres:
        session.commit()
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("cases", "work_items"):
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
    else:
        session.execute(text("ANALYZE"))
    session.commit()
    return have + cases * ITEMS_PER_CASE


def the_queries(population: Population, reference: str) -> dict[str, Callable[[Session], Any]]:
    """Each list or report as its page or endpoint asks it."""
    return {
        "inbox": lambda session: inbox(session=session, actor=population.worker, now=NOW, limit=20, offset=0),
        "overdue_list": lambda session: overdue_for(session=session, actor=population.supervisor, now=NOW, limit=50),
        "dashboard_counts": lambda session: (overdue_counts(session=session, now=NOW),
                                             on_time_rates(session=session, now=NOW, days=30)),
        "committee_report": lambda session: monitoring_report(session=session, start=NOW - timedelta(days=30), end=NOW),
        "case_search": lambda session: search_cases(session=session, actor=population.worker, now=NOW, q=reference,
                                                    limit=20, offset=0),
    }


def measure(factory, queries: dict[str, Callable[[Session], Any]], samples: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in queries}
    with factory() as session:
        for _ in range(2):  # warm: the planner's statistics, the cache
            for query in queries.values():
                query(session)
                session.rollback()
        for _ in range(samples):
            for name, query in queries.items():
                started = time.perf_counter()
                query(session)
                times[name].append((time.perf_counter() - started) * 1000)
                session.rollback()
    return times


def _captured(engine, work: Callable[[], Any]) -> Iterator[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return iter(statements)


def explain(bench: Bench, factory, queries: dict[str, Callable[[Session], Any]], items: int) -> None:
    EXPLAIN_DIR.mkdir(exist_ok=True)
    engine = factory.kw["bind"]
    for name, query in queries.items():
        with factory() as session:
            statements = list(_captured(engine, lambda query=query, session=session: query(session)))
            session.rollback()
        report = [f"-- {name} on {bench.database}, {items:,} work items (bench/task_lists.py)\n"]
        with engine.connect() as connection:
            for statement, parameters in statements:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if bench.postgres else "EXPLAIN QUERY PLAN "
                plan = connection.exec_driver_sql(prefix + statement, parameters).all()
                report.append(f"\n{statement}\n-- parameters: {parameters!r}\n")
                report.extend(" | ".join(str(cell) for cell in row) + "\n" for row in plan)
        scale = "" if bench.scale.name == "default" else f"-{bench.scale.name}"
        (EXPLAIN_DIR / f"{bench.database}{scale}-{name}.txt").write_text("".join(report), encoding="utf-8")


def run(bench: Bench) -> None:
    seeded = seed(bench.url)
    rng = random.Random(13)
    small = bench.scale.list_small
    large = bench.scale.list_large_postgres if bench.postgres else bench.scale.list_large_sqlite
    try:
        with seeded.factory() as session:
            population = Population(session, seeded.network)
            started = time.perf_counter()
            have = grow(bench, session, population, small, rng, 0)
            bench.record("list_seed_seconds_small", time.perf_counter() - started)
            reference = session.scalar(
                select(Case.reference).join(WorkItem, WorkItem.case_id == Case.id)
                .where(WorkItem.agency_code == MEASURED_AGENCY).order_by(Case.id.desc()).limit(1))
            assert reference is not None, "no case of the measured agency"
        queries = the_queries(population, reference[:-2])  # a part of a reference: several match
        figures: dict[int, dict[str, list[float]]] = {small: measure(seeded.factory, queries, bench.scale.list_samples)}
        with seeded.factory() as session:
            seeding = time.perf_counter()
            have = grow(bench, session, population, large, rng, have)
            bench.record("list_seed_seconds_large", time.perf_counter() - seeding)
            bench.record("list_work_items_large", have)
            bench.record("list_cases_large", session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)))
            bench.record("list_inbox_live_items_large", session.scalar(text(
                "SELECT count(*) FROM work_items WHERE agency_code = :agency AND state IN ('open', 'claimed')"),
                {"agency": MEASURED_AGENCY}))
        figures[large] = measure(seeded.factory, queries, bench.scale.list_samples)
        if bench.scale.name != "tiny":  # the smoke test leaves the committed plans alone
            explain(bench, seeded.factory, queries, have)
        bench.record("list_work_items_small", small)
        for name in QUERIES:
            bench.record(f"{name}_p50_ms_small", p50(figures[small][name]))
            bench.record(f"{name}_p95_ms_small", percentile(figures[small][name], 0.95))
            bench.record(f"{name}_p50_ms_large", p50(figures[large][name]))
            bench.record(f"{name}_p95_ms_large", percentile(figures[large][name], 0.95))
            bench.record(f"{name}_scale_ratio",
                         percentile(figures[large][name], 0.95) / percentile(figures[small][name], 0.95))
    finally:
        seeded.dispose()

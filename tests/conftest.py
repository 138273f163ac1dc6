"""Shared fixtures: a migrated database per test (SQLite, or PostgreSQL when
KHUMKRONG_DATABASE_URL names one), the network, a simulated clock, and people."""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import engine.models  # noqa: F401
from engine.clock import SimulatedClock
from engine.db import Base, make_engine
from engine.migrations import upgrade_database
from engine.network.definition import Network, load_network
from engine.network.service import sync_network
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols.cache import cached_session_factory
from engine.settings import PROJECT_ROOT
from tests.requirements import unavailable

FIXTURES = Path(__file__).parent / "fixtures"
# Monday 30 November 2026, 09:00 in Tak (UTC+7).
START = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=7)))
DEFAULT_POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Fixtures that hand out a PostgreSQL database whatever the configured one: their tests must be marked.
POSTGRES_FIXTURES = frozenset({"postgres_session_factory", "empty_postgres_url"})


def _configured_url() -> str | None:
    return os.environ.get("KHUMKRONG_DATABASE_URL")


class PostgresDatabases:
    """Creates throw-away databases on a PostgreSQL server."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def _admin(self) -> Engine:
        return create_engine(self.server_url, isolation_level="AUTOCOMMIT")

    def create(self, *, migrate: bool = True) -> str:
        """A new database on the server, migrated to the newest revision unless told not to."""
        name = f"khumkrong_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = self._admin()
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        self.created.append(name)
        url = make_url(self.server_url).set(database=name).render_as_string(hide_password=False)
        if migrate:
            upgrade_database(url)
        return url

    def drop_all(self) -> None:
        if not self.created:
            return  # nothing to drop, and maybe no server to drop it from
        admin = self._admin()
        try:
            with admin.connect() as connection:
                for name in self.created:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    configured = _configured_url()
    server = configured if configured and configured.startswith("postgresql") else os.environ.get(
        "KHUMKRONG_TEST_POSTGRES_SERVER", DEFAULT_POSTGRES_SERVER
    )
    server = make_url(server).set(database="postgres").render_as_string(hide_password=False)
    databases = PostgresDatabases(server)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def _main_database(tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases) -> str:
    configured = _configured_url()
    if configured and configured.startswith("postgresql"):
        return postgres_databases.create()
    template = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{template}")
    return f"sqlite:///{template}"


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(_main_database: str, tmp_path: Path) -> str:
    """A migrated, empty database for this test."""
    if _main_database.startswith("sqlite"):
        copy = tmp_path / "khumkrong.db"
        shutil.copyfile(make_url(_main_database).database, copy)
        return f"sqlite:///{copy}"
    engine = create_engine(_main_database)
    try:
        _truncate_all(engine)
    finally:
        engine.dispose()
    return _main_database


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(db_engine: Engine) -> sessionmaker[Session]:
    return cached_session_factory(db_engine)


@pytest.fixture
def network() -> Network:
    return load_network(PROJECT_ROOT / "protocols" / "network.toml")


@pytest.fixture
def session(session_factory: sessionmaker[Session], network: Network) -> Iterator[Session]:
    with session_factory() as session:
        sync_network(session=session, network=network)
        session.commit()
        yield session


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


def add_user(session: Session, username: str, role: str, agency: str | None, unit: str | None = None) -> Actor:
    user = User(
        username=username, display_name=username, role_code=role, agency_code=agency, unit_code=unit,
        active=True, created_at=START,
    )
    session.add(user)
    session.commit()
    return Actor.of(user)


@pytest.fixture
def people(session: Session) -> dict[str, Actor]:
    return {
        "school_worker": add_user(session, "worker.spm_tak", "case_worker", "spm_tak"),
        "school_worker_2": add_user(session, "worker2.spm_tak", "case_worker", "spm_tak"),
        "school_supervisor": add_user(session, "supervisor.spm_tak", "supervisor", "spm_tak"),
        "social_worker": add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak"),
        "police_worker": add_user(session, "worker.police_tak", "case_worker", "police_tak"),
        "policy": add_user(session, "policy", "policy", None),
    }


def new_postgres_database(databases: PostgresDatabases, *, migrate: bool = True) -> str:
    """A throw-away PostgreSQL database; skipped on a laptop without a server, failed in CI."""
    try:
        return databases.create(migrate=migrate)
    except OperationalError as exc:
        unavailable(
            f"PostgreSQL at {make_url(databases.server_url).render_as_string(hide_password=True)} "
            f"({str(exc.orig or exc).strip().splitlines()[0]})",
            "start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point "
            "KHUMKRONG_TEST_POSTGRES_SERVER (or KHUMKRONG_DATABASE_URL) at a server that answers",
        )


@pytest.fixture
def empty_postgres_url(postgres_databases: PostgresDatabases) -> str:
    """A PostgreSQL database with no schema at all, whatever the configured one; mark such tests ``postgres``."""
    return new_postgres_database(postgres_databases, migrate=False)


@pytest.fixture
def postgres_session_factory(postgres_databases: PostgresDatabases, network: Network) -> Iterator[sessionmaker[Session]]:
    """A PostgreSQL database whatever the configured one: for tests of PostgreSQL's own
    behaviour (row locks, SKIP LOCKED). Without a server that answers, the test is skipped on
    a laptop and fails in CI (tests/requirements.py); mark such tests ``postgres``."""
    url = new_postgres_database(postgres_databases)
    engine = make_engine(url)
    factory = cached_session_factory(engine)
    with factory() as session:
        sync_network(session=session, network=network)
        session.commit()
    yield factory
    engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that takes a PostgreSQL database must say so, so `-m postgres` finds every one."""
    unmarked = [
        item.nodeid for item in items
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("postgres") is None
    ]
    if unmarked:
        raise pytest.UsageError("mark these tests @pytest.mark.postgres: " + ", ".join(unmarked))

"""What every scenario shares: the scale, a fresh database, the seeded network and people, API
server processes, percentiles, and the figures gathered for the table and ``results.json``.

A scenario module has ``run(bench: Bench) -> None``; it adds its figures with ``bench.record``.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, SystemClock
from engine.db import make_engine
from engine.demo import load_demo
from engine.migrations import upgrade_database
from engine.network.definition import Network, load_network
from engine.people import auth
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols.cache import cached_session_factory
from engine.protocols.models import ProtocolVersion
from engine.settings import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
POSTGRES_SERVER = os.environ.get("KHUMKRONG_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
API = "/api/v1"


@dataclass(frozen=True)
class Scale:
    """How big each scenario runs. ``default`` is `make bench` (under ten minutes for both
    databases on two cores); ``national`` seeds ten million work items; ``tiny`` is the smoke test."""

    name: str
    chain_checkpoints: tuple[int, ...]
    chain_samples: int
    floor_samples: int
    throughput_cases: dict[int, int]  # clients -> cases each client runs
    list_small: int  # work items at the small scale of scenario 4
    list_large_postgres: int
    list_large_sqlite: int
    list_samples: int
    deadlines: int


SCALES = {
    "tiny": Scale("tiny", (2, 4), 2, 4, {1: 1, 4: 1}, 1_000, 4_000, 4_000, 3, 20),
    # A sweep drains 500 deadlines by default (about 25 ms each on this machine, four sweeps per
    # database); ``national`` drains the 10,000 in each.
    "default": Scale("default", (10, 50, 200), 11, 40, {1: 4, 4: 2, 16: 1}, 10_000, 1_000_000, 100_000, 20, 500),
    "national": Scale("national", (10, 50, 200), 11, 40, {1: 4, 4: 2, 16: 1}, 10_000, 10_000_000, 100_000, 20, 10_000),
}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def p50(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MB, while it is alive; None where /proc is missing."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


@dataclass
class Bench:
    """One database's run: its URL, the scale, and the figures recorded so far."""

    database: str  # "sqlite" or "postgresql"
    url: str
    scale: Scale
    folder: Path
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Where simulated clocks start (engine-only scenarios): a Monday morning in Tak.
    clock_start: datetime = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)

    @property
    def postgres(self) -> bool:
        return self.database == "postgresql"

    def record(self, name: str, value: Any) -> None:
        self.figures[name] = round(value, 3) if isinstance(value, float) else value

    def note(self, text_: str) -> None:
        self.notes.append(text_)
        print(f"  [{self.database}] {text_}", file=sys.stderr, flush=True)


@contextmanager
def fresh_database(database: str, folder: Path, *, template: str | None = None) -> Iterator[str]:
    """A new, migrated database of the kind named, a copy of ``template`` (a URL) if given; a
    PostgreSQL one is dropped afterwards."""
    if database == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
        url = f"sqlite:///{path}"
        if template:
            shutil.copyfile(str(make_url(template).database), path)
        else:
            upgrade_database(url)
        yield url
        return
    name = f"khumkrong_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        url = make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
        if not template:
            upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def seeded_template(database: str, folder: Path) -> Iterator[str]:
    """A database with the network, forms, protocols and demo accounts loaded once, for each
    scenario's fresh database to be copied from (loading them takes seconds)."""
    with fresh_database(database, folder) as url:
        seed(url).dispose()  # no connection may stay open on a PostgreSQL template
        yield url


def network() -> Network:
    return load_network(PROJECT_ROOT / "protocols" / "network.toml")


@dataclass
class Seeded:
    """A database with the Tak network, forms, protocols and demo accounts."""

    url: str
    factory: sessionmaker[Session]
    network: Network
    clock: Clock

    def dispose(self) -> None:
        engine = self.factory.kw["bind"]
        engine.dispose()

    def person(self, username: str, role: str, agency: str | None) -> tuple[Actor, str]:
        """A new active account and a personal API token for it."""
        with self.factory() as session:
            user = User(username=username, display_name=username, role_code=role, agency_code=agency, active=True,
                        created_at=self.clock.now())
            session.add(user)
            session.commit()
            actor = Actor.of(user)
            _, secret = auth.create_token(session, user_id=user.id, name="bench", expires_at=None, actor=actor,
                                          clock=self.clock)
            session.commit()
        return actor, secret

    def user_id(self, username: str) -> int:
        with self.factory() as session:
            found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None, username
        return found


def seed(url: str, clock: Clock | None = None) -> Seeded:
    """The database's network, forms, protocols and demo accounts, loaded unless already there."""
    clock = clock or SystemClock()
    tak = network()
    factory = cached_session_factory(make_engine(url))
    with factory() as session:
        # A copy of the seeded template has them already.
        if session.scalar(select(ProtocolVersion.id).limit(1)) is None:
            load_demo(session=session, network=tak, clock=clock, protocols_dir=PROJECT_ROOT / "protocols",
                      forms_dir=PROJECT_ROOT / "forms", cases=False)
            session.commit()
    return Seeded(url, factory, tak, clock)


@dataclass
class Server:
    """An API process (bench/server.py: the app with the floor route) serving over real HTTP."""

    process: subprocess.Popen
    base: str

    def stop(self) -> float | None:
        """Stops the process; returns its peak RSS in MB (read just before it ends)."""
        peak = peak_rss_mb(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return peak


def advance_sequences(session: Session, *tables: str) -> None:
    """After rows were written with their ids given (bulk loads), PostgreSQL's id sequences must
    move past them, or the engine's next insert would collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    session.commit()


def start_servers(url: str, count: int, log_folder: Path, *, floor: bool = False) -> list[Server]:
    """``count`` API processes on the database; with ``floor``, the floor route's table is made first."""
    if floor:
        from bench.server import ensure_floor_table

        ensure_floor_table(url)
    servers = []
    environment = {**os.environ, "KHUMKRONG_DATABASE_URL": url, "KHUMKRONG_LOG_LEVEL": "WARNING"}
    for _ in range(count):
        port = free_port()
        with (log_folder / f"server-{port}.log").open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "bench.server", "--port", str(port)], cwd=PROJECT_ROOT,
                                       stdout=subprocess.DEVNULL, stderr=log, env=environment)
        servers.append(Server(process, f"http://127.0.0.1:{port}"))
    try:
        for server in servers:
            wait_ready(server.base, server.process, timeout=90)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen, *, timeout: float) -> None:
    """Until the server answers /healthz with 200; fails if it exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server at {base} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {base} was not ready within {timeout:.0f} s")
        time.sleep(0.1)


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def timed(client: httpx.Client, method: str, url: str, *, expect: int = 200, **kwargs: Any) -> tuple[float, httpx.Response]:
    """Milliseconds for one request, and its answer (which must have the expected status)."""
    started = time.perf_counter()
    answer = client.request(method, url, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != expect:
        raise AssertionError(f"{method} {url}: {answer.status_code} {answer.text[:500]}")
    return elapsed, answer


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="khumkrong-bench-")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used so far; None once it is gone (or without /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command's closing parenthesis, utime and stime are the 12th and 13th fields.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat: their change
    over a stretch says how much of the cores anything (ourselves or someone else) kept busy."""
    try:
        values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle and iowait
    total = sum(values[:8])  # guest time is counted in user already
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


def scheduled_seconds(pid: int, tid: int | None = None) -> tuple[float, float] | None:
    """(on a CPU, waiting on a run queue for one) seconds of a thread (the process's main one
    unless ``tid``), from /proc's schedstat; None once it is gone. The second is the time it was
    ready to run while the cores were busy with something else."""
    path = f"/proc/{pid}/task/{tid}/schedstat" if tid is not None else f"/proc/{pid}/schedstat"
    try:
        running, waiting = Path(path).read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return int(running) / 1e9, int(waiting) / 1e9


def _threads(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


class ActivitySampler(threading.Thread):
    """While a stretch of a benchmark runs: every ``interval`` seconds, which PostgreSQL backends
    of the database (``url``; None on SQLite) are active and on what they wait
    (``pg_stat_activity``), and how long each backend and each thread of the processes ``pids``
    has run and has waited for a core (/proc's schedstat: everything runs on this machine).
    ``stop()`` ends the sampling.

    ``waits`` counts the samples of active backends per ``wait_event_type:wait_event`` (``CPU``
    when they wait on nothing: running or ready to run). ``backend_cpu_seconds()`` is the CPU the
    database's backends used meanwhile; ``run_queue_seconds()`` how long the backends and the
    watched threads waited for a core: on a machine shared with other work, time a stretch spent
    only because the cores were busy with something else."""

    def __init__(self, url: str | None, interval: float = 0.05, pids: tuple[int, ...] = ()) -> None:
        super().__init__(daemon=True)
        self.url, self.interval, self.pids = url, interval, pids
        self.waits: Counter[str] = Counter()
        self.samples = 0
        # Per backend (pid, None) or watched thread (pid, tid): (CPU, run-queue wait) seconds.
        self._first: dict[tuple[int, int | None], tuple[float, float]] = {}
        self._last: dict[tuple[int, int | None], tuple[float, float]] = {}
        self._backends: set[tuple[int, int | None]] = set()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> None:
        super().start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    def _see(self, key: tuple[int, int | None], first: bool) -> None:
        seen = scheduled_seconds(*key)
        if seen is not None:
            # A thread born after the first sample used all its time in the stretch.
            self._first.setdefault(key, seen if first else (0.0, 0.0))
            self._last[key] = seen

    def _sample(self, connection: Any, first: bool) -> None:
        if connection is not None:
            query = text("SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            for pid, state, wait_type, wait in connection.execute(query):
                self._backends.add((pid, None))
                self._see((pid, None), first)
                if state == "active":
                    self.waits[f"{wait_type}:{wait}" if wait_type else "CPU"] += 1
        for pid in self.pids:
            for tid in _threads(pid):
                if not (pid == os.getpid() and tid == threading.get_native_id()):  # not this sampler
                    self._see((pid, tid), first)
        self.samples += 1

    def run(self) -> None:
        try:
            engine = create_engine(self.url, isolation_level="AUTOCOMMIT", pool_size=1) if self.url else None
            with engine.connect() if engine else contextlib.nullcontext() as connection:
                first = True
                while True:
                    self._sample(connection, first)
                    if first:
                        first = False
                        self._ready.set()
                    if self._stopping.wait(self.interval):
                        self._sample(connection, False)
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to start()
            self._error = exc
            self._ready.set()
        finally:
            if self.url and "engine" in locals() and engine is not None:
                engine.dispose()

    def stop(self) -> None:
        self._stopping.set()
        self.join(30)

    def _used(self, keys: Iterable[tuple[int, int | None]], part: int) -> float:
        return sum(self._last[key][part] - self._first[key][part] for key in keys if key in self._last)

    def backend_cpu_seconds(self) -> float:
        return self._used(self._backends, 0)

    def run_queue_seconds(self) -> float:
        """How long the backends and the watched processes' threads waited for a core."""
        return self._used(self._last, 1)

    def wait_shares(self) -> dict[str, float]:
        """Each wait's share of the active backends' samples, most frequent first."""
        total = sum(self.waits.values()) or 1
        return {wait: count / total for wait, count in self.waits.most_common()}

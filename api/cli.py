"""The ``khumkrong`` command line.

It lives beside the HTTP API rather than in ``engine`` because ``serve`` starts the web app,
and the engine never imports the app.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from typing import Annotated, Optional

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError

from api.cli_authoring import cases_app, protocols_app
from api.cli_ops import backup_command, restore_command
from api.cli_privacy import audit_app, retention_app
from api.cli_users import users_app
from engine.clock import Clock, SimulatedClock, SystemClock
from engine.errors import KhumkrongError
from engine.migrations import upgrade_database
from engine.network.service import sync_network
from engine.settings import PROJECT_ROOT, Settings, get_settings
from engine.wiring import Wiring

app = typer.Typer(help="Khumkrong (คุ้มครอง): child-protection protocols as running, accountable work.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(protocols_app, name="protocols")
app.add_typer(cases_app, name="cases")
app.add_typer(users_app, name="users")
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")
console = Console()
errors = Console(stderr=True)

DatabaseUrl = Annotated[Optional[str], typer.Option("--database-url", help="SQLAlchemy URL; default KHUMKRONG_DATABASE_URL or ./var/khumkrong.db")]


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": database_url}) if database_url else settings


def wiring_for(database_url: str | None, *, clock: Clock | None = None) -> Wiring:
    """The process's wiring from the settings (and ``--database-url``); a broken network or
    calendar file stops the command here, naming the field."""
    try:
        return Wiring.from_settings(_settings(database_url), clock=clock)
    except KhumkrongError as exc:
        errors.print(f"[red]cannot start:[/red] {exc.message}")
        raise typer.Exit(2) from exc


def prepare_database(wiring: Wiring) -> None:
    """Create or migrate the schema and load the network definition (idempotent)."""
    upgrade_database(wiring.db)
    with wiring.session_factory() as session:
        sync_network(session=session, network=wiring.network)
        session.commit()


def load_demo_data(wiring: Wiring) -> None:
    """The Tak network's protocols, forms and demo accounts (adds only what is missing), and the
    demo's cases, played up to now on a simulated history (only into a database without cases)."""
    from engine.demo import load_demo

    with wiring.session_factory() as session:
        report = load_demo(
            session=session, network=wiring.network, clock=wiring.clock,
            protocols_dir=wiring.settings.network_file.parent, forms_dir=PROJECT_ROOT / "forms", cases=True,
        )
    console.print(
        f"demo: {len(report.protocols_published)} protocol version(s) published, {report.forms} form(s), "
        f"{len(report.users_created)} account(s) created, {report.cases_started} case(s) started"
    )
    console.print(
        "demo accounts: admin, policy, committee, worker.<agency code>, supervisor.<agency code> — "
        f"password: {report.password}"
    )


def _start_worker(wiring: Wiring, interval: float) -> threading.Event:
    """Run the background worker in this process (the single-machine setup needs one command)."""
    from api.metrics import count_commands, observe_worker_pass
    from engine.worker import run_worker

    count_commands()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, name="khumkrong-worker", daemon=True,
        kwargs={
            "session_factory": wiring.session_factory, "clock": wiring.clock, "network": wiring.network,
            "settings": wiring.settings, "interval_seconds": interval, "stop": stop, "on_pass": observe_worker_pass,
        },
    )
    thread.start()
    return stop


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run timers, escalations and mail in this process.")] = True,
    worker_interval: Annotated[float, typer.Option(help="Seconds between worker passes.", min=1)] = 15.0,
    demo: Annotated[bool, typer.Option("--demo", help="Load the Tak protocols, forms, demo accounts and demo cases.")] = False,
    simulation: Annotated[
        bool, typer.Option("--simulation", help="Simulated clock moved by POST /api/v1/simulation/clock (training, rehearsal).")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="API processes (uvicorn workers) sharing the port; each has its own database pool.")
    ] = 1,
) -> None:
    """Prepare the database and serve the app (with the background worker, by default)."""
    import uvicorn

    from api.logs import logging_config

    if workers > 1 and simulation:
        errors.print("[red]cannot start:[/red] a simulated clock lives in one process; --simulation needs --workers 1")
        raise typer.Exit(2)
    made_metrics_dir = None
    if workers > 1:
        # The worker processes read the settings from the environment, as the deployment does.
        if database_url:
            os.environ["KHUMKRONG_DATABASE_URL"] = database_url
        made_metrics_dir = _multiprocess_metrics_directory()
    # One wiring for the whole process: one engine, one network, one version cache.
    wiring = wiring_for(database_url, clock=SimulatedClock(SystemClock().now()) if simulation else None)
    try:
        try:
            prepare_database(wiring)
            if demo:
                load_demo_data(wiring)
        except KhumkrongError as exc:
            errors.print(f"[red]cannot start:[/red] {exc.message}")
            raise typer.Exit(2) from exc
        # On a simulated clock the simulation endpoint fires timers; a real-time worker must not.
        stop = _start_worker(wiring, worker_interval) if worker and not simulation else None
        where = wiring.settings.database_url.split("@")[-1]
        console.print(f"Khumkrong serving on http://{host}:{port} (database: {where})")
        # uvicorn would believe X-Forwarded-* from 127.0.0.1; the app decides whom to believe
        # (Settings.trusted_proxies), so that the per-address login limit cannot be dodged. Its
        # access log would print raw paths (a search may hold a child's name): the app logs each
        # request itself, by route template (api.observability).
        options: dict = {"host": host, "port": port, "proxy_headers": False, "access_log": False,
                         "log_config": logging_config(wiring.settings.log_level)}
        try:
            if workers > 1:
                uvicorn.run("api.asgi:app_from_environment", factory=True, workers=workers, **options)
            else:
                from api.app import create_app

                uvicorn.run(create_app(wiring=wiring, simulation=simulation), **options)
        finally:
            if stop is not None:
                stop.set()
    finally:
        wiring.dispose()
        if made_metrics_dir:
            shutil.rmtree(made_metrics_dir, ignore_errors=True)


def _multiprocess_metrics_directory() -> str | None:
    """Several uvicorn workers share their metrics through a directory (api.metrics); a fresh
    one is made when the environment names none. Returns the directory made, if any."""
    from api.metrics import MULTIPROCESS_ENV

    if os.environ.get(MULTIPROCESS_ENV):
        return None
    made = tempfile.mkdtemp(prefix="khumkrong-metrics-")
    os.environ[MULTIPROCESS_ENV] = made
    return made


@app.command("worker")
def worker_command(
    database_url: DatabaseUrl = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between passes (with --once: how often it is run, for its heartbeat).", min=1),
    ] = 15.0,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit.")] = False,
    name: Annotated[
        str | None, typer.Option(help="The name its heartbeat is recorded under (default: host:pid; with --once host:once)."),
    ] = None,
) -> None:
    """Fire timers, climb escalations, queue digests and send mail, in a loop.

    Several workers may run against one PostgreSQL database.
    """
    from api.metrics import count_commands, observe_worker_pass
    from engine.worker import record_single_pass, run_worker, work_once

    count_commands()
    with wiring_for(database_url) as wiring:
        factory, clock, network, settings = wiring.session_factory, wiring.clock, wiring.network, wiring.settings
        if once:
            started = time.perf_counter()
            result = work_once(session_factory=factory, clock=clock, network=network, settings=settings)
            took = time.perf_counter() - started
            observe_worker_pass(result, took)
            record_single_pass(session_factory=factory, interval_seconds=interval, seconds=took, name=name)
            console.print(
                f"fired {result.tick.timers_fired} timer(s), climbed {result.tick.escalations_climbed} "
                f"escalation(s), queued {result.digests_queued} digest(s), sent {result.delivery.sent} message(s)"
            )
            if result.tick.failed_case_ids:
                raise typer.Exit(1)
            return
        run_worker(session_factory=factory, clock=clock, network=network, settings=settings, interval_seconds=interval,
                   on_pass=observe_worker_pass, name=name)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest revision, and load the network definition."""
    with wiring_for(database_url) as wiring:
        prepare_database(wiring)
    console.print("database is up to date")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="The revision to go back to (e.g. 0004), or 'base' for none.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Take the schema back to an older revision, with the code that knows the newer one; keeps the data it can."""
    from alembic import command

    from engine.backup import known_revisions
    from engine.migrations import alembic_config

    if revision != "base" and revision not in known_revisions():
        errors.print(f"[red]no such revision:[/red] {revision}")
        raise typer.Exit(1)
    command.downgrade(alembic_config(_settings(database_url).database_url), revision)
    console.print(f"database is at revision {revision}")


def main() -> None:
    """The console entry point: every command logs JSON lines to standard error (api.logs)."""
    from api.logs import configure_logging

    configure_logging(get_settings().log_level)
    try:
        sys.exit(app())
    except (OperationalError, ProgrammingError) as exc:
        if not _schema_missing(exc):
            raise
        errors.print("[red]the database has no Khumkrong tables yet:[/red] run `khumkrong db upgrade` "
                     "(or `khumkrong serve`, which upgrades it) first")
        sys.exit(1)


def _schema_missing(exc: Exception) -> bool:
    """SQLite's "no such table" or PostgreSQL's "relation … does not exist"."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)

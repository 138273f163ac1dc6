"""The ``khumkrong`` command line.

It lives beside the HTTP API rather than in ``engine`` because ``serve`` starts the web app,
and the engine never imports the app.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from engine.clock import SystemClock
from engine.db import make_engine, make_session_factory, upgrade_database
from engine.errors import KhumkrongError, ProtocolInvalid
from engine.network.definition import load_network
from engine.network.service import sync_network
from engine.settings import Settings, get_settings

app = typer.Typer(help="Khumkrong (คุ้มครอง): child-protection protocols as running, accountable work.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
protocols_app = typer.Typer(help="Protocols: lint.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(protocols_app, name="protocols")
console = Console()
errors = Console(stderr=True)

DatabaseUrl = Annotated[Optional[str], typer.Option("--database-url", help="SQLAlchemy URL; default KHUMKRONG_DATABASE_URL or ./var/khumkrong.db")]


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": database_url}) if database_url else settings


def prepare_database(settings: Settings) -> None:
    """Create or migrate the schema and load the network definition (idempotent)."""
    upgrade_database(settings.database_url)
    network = load_network(settings.network_file)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            sync_network(session=session, network=network)
            session.commit()
    finally:
        engine.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
) -> None:
    """Prepare the database and serve the app."""
    import uvicorn

    from api.app import create_app

    settings = _settings(database_url)
    try:
        prepare_database(settings)
    except KhumkrongError as exc:
        errors.print(f"[red]cannot start:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    console.print(f"Khumkrong serving on http://{host}:{port} (database: {settings.database_url.split('@')[-1]})")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest revision, and load the network definition."""
    settings = _settings(database_url)
    prepare_database(settings)
    console.print("database is up to date")


@protocols_app.command("lint")
def protocols_lint(files: Annotated[list[Path], typer.Argument(help="BPMN files to check.", exists=False)]) -> None:
    """Parse and lint protocol files; exit 1 if any has an error."""
    from engine.protocols.parsing import parse_protocol

    network = load_network(get_settings().network_file)
    failed = False
    table = Table("file", "severity", "code", "element", "message")
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            table.add_row(str(path), "error", "unreadable", "", str(exc))
            failed = True
            continue
        try:
            findings = parse_protocol(data, network=network, filename=path.name).findings
        except ProtocolInvalid as exc:
            findings, failed = exc.findings, True
        for finding in findings:
            table.add_row(str(path), finding.severity.value, finding.code, finding.element_id or "", f"{finding.message_th}\n{finding.message_en}")
        if not findings:
            table.add_row(str(path), "ok", "", "", "ไม่พบปัญหา / no findings")
    console.print(table)
    raise typer.Exit(1 if failed else 0)


@app.command()
def tick(database_url: DatabaseUrl = None) -> None:
    """Fire every timer that is due now, once."""
    from engine.cases.runtime import tick as run_tick

    settings = _settings(database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            report = run_tick(session=session, clock=SystemClock())
    finally:
        engine.dispose()
    console.print(f"examined {report.cases_examined} case(s), fired {report.timers_fired} timer(s), failed {len(report.failed_case_ids)}")
    if report.failed_case_ids:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())

"""``khumkrong backup`` and ``khumkrong restore`` (engine/backup.py does the work)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from engine.backup import BackupRefused, backup, restore
from engine.clock import SystemClock
from engine.db import make_engine
from engine.errors import KhumkrongError
from engine.settings import get_settings

console = Console()
errors = Console(stderr=True)
log = logging.getLogger("khumkrong.backup")

DatabaseUrl = Annotated[Optional[str], typer.Option("--database-url", help="SQLAlchemy URL; default KHUMKRONG_DATABASE_URL or ./var/khumkrong.db")]


def _url(database_url: str | None) -> str:
    return database_url or get_settings().database_url


def backup_command(
    file: Annotated[Path, typer.Argument(help="The backup file to write (a new file).", dir_okay=False)],
    database_url: DatabaseUrl = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace FILE if it exists.")] = False,
) -> None:
    """Back up the whole database to FILE, while it is in use (SQLite: online backup; PostgreSQL: pg_dump)."""
    engine = make_engine(_url(database_url))
    try:
        manifest = backup(engine=engine, path=file, clock=SystemClock(), overwrite=overwrite)
    except KhumkrongError as exc:
        errors.print(f"[red]backup failed:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    size = file.stat().st_size
    log.info("backup written", extra={"file": str(file), "dialect": manifest.dialect, "revision": manifest.revision,
                                       "tables": len(manifest.tables), "rows": manifest.rows, "bytes": size})
    console.print(f"backed up {manifest.rows} row(s) in {len(manifest.tables)} table(s) at schema revision "
                  f"{manifest.revision} to {file} ({size:,} bytes)")


def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup written by `khumkrong backup`.", exists=True, dir_okay=False)],
    database_url: DatabaseUrl = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a database that holds data.")] = False,
) -> None:
    """Restore the database from FILE, then migrate it to the newest schema. Stop the servers and workers first."""
    engine = make_engine(_url(database_url))
    try:
        restored = restore(engine=engine, path=file, replace=replace)
    except BackupRefused as exc:
        errors.print(f"[red]restore refused:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    except KhumkrongError as exc:
        errors.print(f"[red]restore failed:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    manifest = restored.manifest
    log.info("backup restored", extra={"file": str(file), "dialect": manifest.dialect, "revision": manifest.revision,
                                        "tables": len(manifest.tables), "rows": manifest.rows})
    console.print(f"restored {manifest.rows} row(s) in {len(manifest.tables)} table(s) from {file} "
                  f"(made {manifest.created_at}, schema revision {manifest.revision})")
    if restored.upgraded_to:
        console.print(f"migrated to schema revision {restored.upgraded_to}")

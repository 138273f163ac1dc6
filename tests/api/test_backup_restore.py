"""``khumkrong backup`` and ``khumkrong restore`` (issue 14, item 6): a round trip keeps every row
of every table, on SQLite and on PostgreSQL; a backup from a newer schema, a damaged one, one of
the other database, or a restore over data not asked for, is refused before anything changes."""
from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.cli import app
from engine.backup import FORMAT, read_manifest
from engine.migrations import head_revision, upgrade_database
from tests.requirements import unavailable
from tests.tables import insert_rows, snapshot

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request, tmp_path: Path):
    """Makes migrated, empty databases of one kind."""
    if request.param == "sqlite":
        made = iter(range(100))

        def sqlite() -> str:
            url = f"sqlite:///{tmp_path / f'db{next(made)}.db'}"
            upgrade_database(url)
            return url
        return sqlite
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            unavailable(f"PostgreSQL's {tool}", "install PostgreSQL's client programs (apt-get install postgresql-client)")
    from tests.conftest import new_postgres_database

    postgres = request.getfixturevalue("postgres_databases")
    return lambda: new_postgres_database(postgres)


def filled(url: str) -> dict:
    """The database with two representative rows in every table; its rows."""
    engine = create_engine(url)
    try:
        insert_rows(engine, 1)
        insert_rows(engine, 2)
        return snapshot(engine, with_revision=True)
    finally:
        engine.dispose()


def execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def rows_of(url: str) -> dict:
    engine = create_engine(url)
    try:
        return snapshot(engine, with_revision=True)
    finally:
        engine.dispose()


def cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False, terminal_width=400)


def said(result) -> str:
    """What a command printed, its wrapping undone."""
    return " ".join(result.output.split())


@pytest.mark.slow
def test_a_backup_restores_every_row_of_every_table(databases, tmp_path):
    source = databases()
    original = filled(source)
    assert all(original[name] for name in original), "every table holds rows"
    file = tmp_path / "khumkrong.backup"
    made = cli("backup", str(file), "--database-url", source)
    assert made.exit_code == 0, made.output
    manifest = read_manifest(file)
    assert manifest.format == FORMAT and manifest.revision == head_revision()
    assert manifest.tables == {name: len(rows) for name, rows in original.items()}

    # Into an empty database of the same kind...
    target = databases()
    restored = cli("restore", str(file), "--database-url", target)
    assert restored.exit_code == 0, restored.output
    assert rows_of(target) == original

    # ...and over the source itself after it changed, which needs --replace.
    execute(source, "DELETE FROM login_throttles")
    assert rows_of(source) != original
    refused = cli("restore", str(file), "--database-url", source)
    assert refused.exit_code == 1 and "holds data" in said(refused)
    replaced = cli("restore", str(file), "--database-url", source, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert rows_of(source) == original
    # The file refuses to be overwritten by a second backup unless asked.
    again = cli("backup", str(file), "--database-url", source)
    assert again.exit_code == 1 and "exists" in said(again)


def _rewrite(file: Path, out: Path, change) -> None:
    """A copy of a backup with its manifest changed by ``change``."""
    with tarfile.open(file) as archive, tarfile.open(out, "w") as copy:
        for info in archive.getmembers():
            data = archive.extractfile(info).read()
            if info.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                info.size = len(data)
            copy.addfile(info, io.BytesIO(data))


@pytest.mark.slow
def test_a_backup_from_a_newer_schema_is_refused_and_nothing_changes(databases, tmp_path):
    # A database a newer Khumkrong migrated: its revision is one this code does not know.
    newer = databases()
    filled(newer)
    execute(newer, "UPDATE alembic_version SET version_num = '0099'")
    file = tmp_path / "newer.backup"
    assert cli("backup", str(file), "--database-url", newer).exit_code == 0
    assert read_manifest(file).revision == "0099"

    target = databases()
    before = rows_of(target)
    refused = cli("restore", str(file), "--database-url", target, "--replace")
    assert refused.exit_code == 1
    assert "newer" in said(refused) and "0099" in said(refused) and head_revision() in said(refused)
    assert rows_of(target) == before


def test_a_damaged_or_foreign_backup_is_refused(tmp_path):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    upgrade_database(source)
    filled(source)
    file = tmp_path / "good.backup"
    assert cli("backup", str(file), "--database-url", source).exit_code == 0
    target = f"sqlite:///{tmp_path / 'target.db'}"
    upgrade_database(target)
    before = rows_of(target)

    tampered = tmp_path / "tampered.backup"
    _rewrite(file, tampered, lambda m: m.update(sha256="0" * 64))
    from_postgres = tmp_path / "postgres.backup"
    _rewrite(file, from_postgres, lambda m: m.update(dialect="postgresql"))
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    for bad, reason in ((tampered, "damaged"), (from_postgres, "postgresql"), (not_a_backup, "not a Khumkrong backup")):
        refused = cli("restore", str(bad), "--database-url", target, "--replace")
        assert refused.exit_code == 1, refused.output
        assert reason in said(refused)
    assert rows_of(target) == before


def test_an_older_backup_is_restored_and_migrated_to_the_newest_schema(tmp_path):
    from alembic import command

    from engine.migrations import alembic_config

    old = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(old), "0004")
    file = tmp_path / "old.backup"
    assert cli("backup", str(file), "--database-url", old).exit_code == 0
    assert read_manifest(file).revision == "0004"
    target = f"sqlite:///{tmp_path / 'new.db'}"
    restored = cli("restore", str(file), "--database-url", target)
    assert restored.exit_code == 0, restored.output
    assert f"migrated to schema revision {head_revision()}" in said(restored)
    engine = create_engine(target)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
    engine.dispose()


@pytest.mark.slow
def test_a_restore_that_does_not_add_up_changes_nothing(databases, tmp_path):
    """The manifest promises one row more than the database holds: on PostgreSQL the check runs
    inside the restoring transaction (after the old schema was dropped), which must roll back."""
    source = databases()
    filled(source)
    file = tmp_path / "good.backup"
    assert cli("backup", str(file), "--database-url", source).exit_code == 0
    short = tmp_path / "short.backup"
    _rewrite(file, short, lambda m: m["tables"].update(cases=m["tables"]["cases"] + 1))
    target = databases()
    filled(target)
    execute(target, "DELETE FROM login_throttles")
    before = rows_of(target)
    refused = cli("restore", str(short), "--database-url", target, "--replace")
    assert refused.exit_code == 1
    assert "cases" in said(refused) or "does not match" in said(refused)
    assert rows_of(target) == before

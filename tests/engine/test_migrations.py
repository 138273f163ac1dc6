"""Migrations both ways, with data in the tables (issue 14, item 7).

From an empty database, every revision in turn is applied, and a representative row is put
into every table the schema then has (made from the reflected columns by ``tests/tables.py``, so
revisions added later are covered without changing this test). At each revision the step is taken back and forth —
down one revision, up again — and every row and value of every column that exists on both sides
must survive each way. At the head, the cycled schema must equal a fresh one (tables, columns,
indexes, keys, triggers), and then the whole chain is walked down to nothing, checking the rows
at every step. Both on SQLite and on PostgreSQL.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from engine.migrations import MIGRATIONS_DIR, alembic_config
from tests.tables import Snapshot, insert_rows, snapshot


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [script.revision for script in reversed(list(ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()))]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_databases(request, tmp_path: Path):
    """Makes empty databases (no schema) of one kind, SQLite or PostgreSQL."""
    if request.param == "sqlite":
        made = iter(range(100))
        return lambda: f"sqlite:///{tmp_path / f'empty{next(made)}.db'}"
    from tests.conftest import new_postgres_database

    databases = request.getfixturevalue("postgres_databases")
    return lambda: new_postgres_database(databases, migrate=False)


def _migrate(url: str, to: str, *, down: bool = False) -> None:
    (command.downgrade if down else command.upgrade)(alembic_config(url), to)


def _assert_kept(before: Snapshot, after: Snapshot, step: str) -> None:
    """Every row of every table on both sides keeps every column on both sides."""
    for name in sorted(before.keys() & after.keys()):
        old, new = before[name], after[name]
        assert len(new) == len(old), f"{step}: {name} had {len(old)} row(s), now {len(new)}"
        shared = (old[0].keys() & new[0].keys()) if old and new else set()
        assert [{k: r[k] for k in sorted(shared)} for r in new] == [{k: r[k] for k in sorted(shared)} for r in old], (
            f"{step}: values of {name} changed"
        )


def _schema(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    shape: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        shape[name] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)),
            "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(name)),
            "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)),
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in inspector.get_foreign_keys(name)
            ),
        }
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            triggers = connection.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            triggers = connection.execute(text(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            ))
        shape["triggers"] = sorted(tuple(row) for row in triggers)
    return shape


@pytest.mark.slow
def test_every_revision_goes_up_and_down_keeping_the_rows(empty_databases):
    chain = revisions()
    assert chain[0] == "0001" and len(chain) >= 5
    url = empty_databases()
    engine = create_engine(url)
    try:
        for step, revision in enumerate(chain, start=1):
            _migrate(url, revision)
            insert_rows(engine, step)
            before = snapshot(engine)
            previous = chain[step - 2] if step > 1 else "base"
            _migrate(url, previous, down=True)
            after_down = snapshot(engine)
            _assert_kept(before, after_down, f"down {revision} -> {previous}")
            _migrate(url, revision)
            again = snapshot(engine)
            _assert_kept(after_down, again, f"up {previous} -> {revision} again")
            assert set(again) == set(before), f"up to {revision} again: the tables differ"

        # Taken down and up at every step, the schema is the one a fresh database gets.
        fresh_url = empty_databases()
        _migrate(fresh_url, "head")
        fresh = create_engine(fresh_url)
        try:
            assert _schema(engine) == _schema(fresh)
        finally:
            fresh.dispose()

        # And all the way down, one revision at a time, nothing lost that still has a table.
        insert_rows(engine, len(chain) + 1)
        rows = snapshot(engine)
        assert all(rows[name] for name in rows), "every table holds rows before the walk down"
        for step in range(len(chain), 0, -1):
            previous = chain[step - 2] if step > 1 else "base"
            _migrate(url, previous, down=True)
            now = snapshot(engine)
            _assert_kept(rows, now, f"down {chain[step - 1]} -> {previous}")
            rows = now
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

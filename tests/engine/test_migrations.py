"""Migrations both ways, with data in the tables (issue 14, item 7).

From an empty database, every revision in turn is applied, and a representative row is put
into every table the schema then has (made from the reflected columns, so revisions added later
are covered without changing this test). At each revision the step is taken back and forth —
down one revision, up again — and every row and value of every column that exists on both sides
must survive each way. At the head, the cycled schema must equal a fresh one (tables, columns,
indexes, keys, triggers), and then the whole chain is walked down to nothing, checking the rows
at every step. Both on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import enum
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from engine.migrations import MIGRATIONS_DIR, alembic_config

# Tables whose rows the reflected columns cannot describe (a CHECK constraint, say) get a row
# made by hand here: table name -> function of the step number returning the column values.
HAND_MADE_ROWS: dict[str, Any] = {}


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


def _value(column: sa.Column, step: int, engine: Engine) -> Any:
    kind = column.type
    length = getattr(kind, "length", None)
    if isinstance(kind, sa.Enum):
        return kind.enums[step % len(kind.enums)]
    if isinstance(kind, sa.Boolean):
        return step % 2 == 0
    if isinstance(kind, sa.Integer):
        return 1000 + step
    if isinstance(kind, sa.DateTime):
        moment = datetime(2026, 1, 1, 8, tzinfo=timezone.utc) + timedelta(hours=step, microseconds=step)
        return moment.replace(tzinfo=None) if engine.dialect.name == "sqlite" else moment
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1) + timedelta(days=step)
    if isinstance(kind, sa.JSON):
        return {"step": step, "note": "ข้อมูลทดสอบ"}
    if isinstance(kind, sa.Numeric):
        return Decimal(step) + Decimal("0.5") if kind.asdecimal else step + 0.5
    if isinstance(kind, sa.Interval):
        return timedelta(minutes=step)
    if isinstance(kind, sa.Uuid):
        return uuid.UUID(int=step)
    if isinstance(kind, sa.LargeBinary):
        return f"bytes-{step}".encode()
    if isinstance(kind, sa.String):  # Text, VARCHAR, CHAR
        value = f"{column.name[:3]}{step}"
        return value[-length:] if length else f"{column.name} แถวที่ {step}"
    raise AssertionError(
        f"cannot make a value for {column.table.name}.{column.name} ({kind!r}): add a row for "
        f"{column.table.name!r} to HAND_MADE_ROWS"
    )


def _generated_key(table: sa.Table) -> bool:
    keys = list(table.primary_key.columns)
    return len(keys) == 1 and isinstance(keys[0].type, sa.Integer) and not keys[0].foreign_keys


def _insert_rows(engine: Engine, step: int) -> None:
    """One row in every table of the current schema, referring to the newest rows it can."""
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            if table.name in HAND_MADE_ROWS:
                connection.execute(table.insert().values(**HAND_MADE_ROWS[table.name](step)))
                continue
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.primary_key and _generated_key(table):
                    continue
                [reference] = list(column.foreign_keys) or [None]
                if reference is not None:
                    target = reference.column
                    if target.table is table:
                        row[column.name] = None  # a self-reference: the first row has none to point at
                        continue
                    newest = [key.desc() for key in target.table.primary_key.columns]
                    row[column.name] = connection.execute(sa.select(target).order_by(*newest).limit(1)).scalar_one()
                    continue
                row[column.name] = _value(column, step, engine)
            connection.execute(table.insert().values(**row))


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value).isoformat()
    if isinstance(value, (date, Decimal, uuid.UUID, timedelta, enum.Enum)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    return value


Snapshot = dict[str, list[dict[str, Any]]]


def _snapshot(engine: Engine) -> Snapshot:
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as connection:
        return {
            table.name: [
                {key: _plain(value) for key, value in row._mapping.items()}
                for row in connection.execute(sa.select(table).order_by(*(table.primary_key.columns or table.columns)))
            ]
            for table in metadata.sorted_tables
            if table.name != "alembic_version"
        }


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
            _insert_rows(engine, step)
            before = _snapshot(engine)
            previous = chain[step - 2] if step > 1 else "base"
            _migrate(url, previous, down=True)
            after_down = _snapshot(engine)
            _assert_kept(before, after_down, f"down {revision} -> {previous}")
            _migrate(url, revision)
            again = _snapshot(engine)
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
        _insert_rows(engine, len(chain) + 1)
        rows = _snapshot(engine)
        assert all(rows[name] for name in rows), "every table holds rows before the walk down"
        for step in range(len(chain), 0, -1):
            previous = chain[step - 2] if step > 1 else "base"
            _migrate(url, previous, down=True)
            now = _snapshot(engine)
            _assert_kept(rows, now, f"down {chain[step - 1]} -> {previous}")
            rows = now
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

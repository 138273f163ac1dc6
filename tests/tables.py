"""Representative rows for every table of whatever schema a database has, and snapshots to
compare: for the migrations-both-ways and the backup round-trip tests."""
from __future__ import annotations

import enum
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

# Tables whose rows the reflected columns cannot describe (a CHECK constraint, say) get a row
# made by hand here: table name -> function of the step number returning the column values.
HAND_MADE_ROWS: dict[str, Any] = {}


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
    if isinstance(kind, sa.Float):
        return step + 0.5
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


def insert_rows(engine: Engine, step: int) -> None:
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


def snapshot(engine: Engine, *, with_revision: bool = False) -> Snapshot:
    """Every row of every table, in key order, as comparable plain values."""
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as connection:
        return {
            table.name: [
                {key: _plain(value) for key, value in row._mapping.items()}
                for row in connection.execute(sa.select(table).order_by(*(table.primary_key.columns or table.columns)))
            ]
            for table in metadata.sorted_tables
            if with_revision or table.name != "alembic_version"
        }

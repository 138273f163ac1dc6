"""Database plumbing: declarative base, engine and session factories, dialect specifics."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Generic, TypeVar, TypeVarTuple, Unpack

from sqlalchemy import DateTime, Engine, MetaData, Row, Select, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
Columns = TypeVarTuple("Columns")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect.

    SQLite has no time zone type; storing naive UTC there keeps text comparison in SQL correct.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class AppendOnlyViolation(RuntimeError):
    """Something tried to change or delete a row of a record that only ever grows."""


class AppendOnly:
    """Mixin for records that are written once and never changed (audit events, comments).

    One session listener refuses updates and deletes of such rows in the ORM; each table's
    migration also refuses them in the database. ``append_only_error`` names the error raised.
    """

    append_only_error: type[AppendOnlyViolation] = AppendOnlyViolation


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_append_only_rows(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AppendOnly):
            raise obj.append_only_error(f"{getattr(obj, '__tablename__', type(obj).__name__)} rows are append-only")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A database error's message would otherwise quote the statement's parameters (a child's
    # name, say) into whatever logs it.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        engine = create_engine(url, **kwargs)
        _prepare_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine, *, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions of one database; ``info`` is shared by them (``Session.info``)."""
    return sessionmaker(engine, expire_on_commit=False, info=info)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, and how many there are in all."""

    rows: list[T]
    total: int


def page_of(session: Session, query: Select[Unpack[Columns]], *, limit: int, offset: int) -> Page[Row[Unpack[Columns]]]:
    """A page of a query's rows (the query brings its own ORDER BY), counted in full."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return Page(list(session.execute(query.limit(limit).offset(offset)).all()), total)


def small_page_of(session: Session, query: Select[Unpack[Columns]], *, limit: int, offset: int) -> Page[Row[Unpack[Columns]]]:
    """:func:`page_of` for a query known to find few rows: the total comes with the page's rows
    (a window count), one statement instead of two; a page past the end counts apart."""
    counted = session.execute(query.add_columns(func.count().over()).limit(limit).offset(offset)).all()
    if not counted and offset:
        return Page([], page_of(session, query, limit=0, offset=0).total)
    rows: list[Any] = [row[:-1] for row in counted]
    return Page(rows, counted[0][-1] if counted else 0)

"""Throttling password guesses: counted atomically, before the password is checked.

Three counters slow a guesser, each a row of ``login_throttles`` with its own fixed window:

- **account** — one name from one address: five failures lock that pair for 15 minutes. A
  stranger who guesses a colleague's password locks only themselves out.
- **address** — one address trying many names (password spraying): twenty failures refuse
  the address for 15 minutes.
- **name** — one name from every address together, for guessing spread over many machines: past
  ten failures in an hour each further guess opens a back-off (30 s, doubling, at most 15
  minutes) during which no other is checked. Addresses the person has signed in from lately
  are not counted nor slowed here, so even a distributed attack does not keep them out.

An attempt takes its place in every counter before its password is checked, in one
transaction that holds the counters' rows (``FOR UPDATE`` on PostgreSQL, the write lock on
SQLite): forty simultaneous guesses are counted one after another, and only those within the
limit are checked. A successful sign-in gives its place back. Unknown names are counted like
real ones, so the answers tell no one which names exist.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import String, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, is_postgres

ACCOUNT_FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_PERIOD = timedelta(minutes=15)
ADDRESS_FAILURE_LIMIT = 20
NAME_FAILURE_LIMIT = 10
NAME_WINDOW = timedelta(hours=1)
NAME_BACKOFF = timedelta(seconds=30)
# An address the person signed in from within this period is theirs: the name's back-off spares it.
KNOWN_ADDRESS_PERIOD = timedelta(days=90)


@dataclass(frozen=True)
class Rule:
    scope: str
    limit: int
    window: timedelta

    def lock_for(self, failures: int) -> timedelta:
        if self.scope != "name":
            return LOCK_PERIOD
        return min(NAME_BACKOFF * 2 ** max(0, failures - self.limit), LOCK_PERIOD)


ACCOUNT = Rule("account", ACCOUNT_FAILURE_LIMIT, FAILURE_WINDOW)
ADDRESS = Rule("address", ADDRESS_FAILURE_LIMIT, FAILURE_WINDOW)
NAME = Rule("name", NAME_FAILURE_LIMIT, NAME_WINDOW)


class LoginThrottle(Base):
    """One counter: a name at an address, an address, or a name ('' where a part does not apply)."""

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Attempts in the current window that failed or are still being checked.
    failures: Mapped[int]
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


@dataclass
class Reservation:
    """An attempt's place in each counter; ``refused`` when one of them is locked."""

    keys: list[tuple[Rule, str, str]] = field(default_factory=list)
    # Counters this attempt locked (it was the one that reached the limit): scope → until.
    locked: dict[str, datetime] = field(default_factory=dict)
    refused: tuple[str, datetime] | None = None


def _row(session: Session, rule: Rule, username: str, address: str | None, now: datetime) -> LoginThrottle:
    """The counter's row, created if new, and held until the transaction ends."""
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(
        insert(LoginThrottle)
        .values(scope=rule.scope, username=username, client_address=address, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["scope", "username", "client_address"])
    )
    statement = select(LoginThrottle).where(
        LoginThrottle.scope == rule.scope, LoginThrottle.username == username, LoginThrottle.client_address == address,
    ).execution_options(populate_existing=True)
    if is_postgres(session):
        statement = statement.with_for_update()
    return session.scalars(statement).one()


def reserve(session: Session, *, username: str, client_address: str | None, count_name: bool, now: datetime) -> Reservation:
    """Take this attempt's place in every counter, or find one locked; committed either way.

    ``count_name`` is False for an address the person signed in from lately. The rows are
    always taken in the same order (address, account, name), so two attempts never wait on
    each other in a cycle.
    """
    session.rollback()  # a fresh transaction, whose first statement takes the lock
    keys = [(ADDRESS, "", client_address)] if client_address else []
    keys.append((ACCOUNT, username, client_address or ""))
    if count_name:
        keys.append((NAME, username, ""))
    rows = [(key, _row(session, *key, now)) for key in keys]
    reservation = Reservation()
    locks = [(rule.scope, row.locked_until) for (rule, _, _), row in rows if row.locked_until and row.locked_until > now]
    if locks:
        session.rollback()  # a refused attempt is not counted
        reservation.refused = max(locks, key=lambda lock: lock[1])
        return reservation
    for (rule, name, where), row in rows:
        if row.window_started_at <= now - rule.window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= rule.limit:
            row.locked_until = now + rule.lock_for(row.failures)
            reservation.locked[rule.scope] = row.locked_until
        reservation.keys.append((rule, name, where))
    session.commit()
    return reservation


def release(session: Session, reservation: Reservation, *, now: datetime) -> None:
    """The attempt succeeded: give its places back (in the caller's transaction).

    The name at this address starts afresh; the other counters forget this attempt, and any
    lock it set.
    """
    for rule, name, where in reservation.keys:
        row = _row(session, rule, name, where, now)
        if rule is ACCOUNT:
            session.delete(row)
            continue
        row.failures = max(0, row.failures - 1)
        if rule.scope in reservation.locked and row.locked_until == reservation.locked[rule.scope]:
            row.locked_until = None


def locked_until(session: Session, username: str, *, now: datetime) -> datetime | None:
    """When the last lock on this name ends (from any address, or its back-off), or None."""
    return session.scalar(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.username == username, LoginThrottle.scope.in_([ACCOUNT.scope, NAME.scope]),
            LoginThrottle.locked_until > now,
        ).order_by(LoginThrottle.locked_until.desc()).limit(1)
    )


def forget(session: Session, username: str) -> None:
    """Lift every lock and count on a name (an administrator's unlock; the caller commits)."""
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.username == username, LoginThrottle.scope.in_([ACCOUNT.scope, NAME.scope]),
    ))

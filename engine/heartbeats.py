"""Worker heartbeats: each background worker records when it last completed a pass, so the
health endpoints can say which worker has stopped getting through its passes (a pass stuck on
one case, a worker that died without a word).

One row per worker (``worker_heartbeats``), named by the worker (``host:pid`` unless the
deployment names it). Heartbeats are on the wall clock, whatever clock the cases run on: they
say whether a process is alive, not what time it is in a simulation.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.clock import as_utc
from engine.db import Base

# A worker is late when it has not completed a pass for this many intervals (a pass itself
# takes time, and the budget lets one case take ten seconds), and never sooner than a minute.
LATE_AFTER_INTERVALS = 3
LATE_AFTER_AT_LEAST = timedelta(minutes=1)
# The row of a worker silent this long is dropped by the next worker that reports: it crashed
# or was taken away, and an operator has had a day of /healthz saying so.
FORGOTTEN_AFTER = timedelta(days=1)


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    interval_seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]
    # When it last completed a pass (None until its first).
    last_pass_at: Mapped[datetime | None]
    last_pass_seconds: Mapped[float | None] = mapped_column(Float)
    last_failure_at: Mapped[datetime | None]
    # Passes that failed since the last one that completed.
    failed_passes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def late_after(interval_seconds: float) -> timedelta:
    return max(timedelta(seconds=interval_seconds * LATE_AFTER_INTERVALS), LATE_AFTER_AT_LEAST)


@dataclass(frozen=True)
class WorkerHealth:
    name: str
    interval_seconds: float
    started_at: datetime
    last_pass_at: datetime | None
    last_pass_seconds: float | None
    failed_passes: int
    # It has not completed a pass within its allowance (``late_after`` its interval).
    late: bool


def _row(session: Session, name: str) -> WorkerHeartbeat | None:
    return session.get(WorkerHeartbeat, name, populate_existing=True)


def worker_started(*, session: Session, name: str, interval_seconds: float, now: datetime) -> None:
    """A worker (re)starts: its row says so, with no pass completed yet."""
    row = _row(session, name)
    if row is None:
        row = WorkerHeartbeat(name=name, interval_seconds=interval_seconds, started_at=now, failed_passes=0)
        session.add(row)
    row.interval_seconds, row.started_at, row.last_pass_at, row.last_pass_seconds = interval_seconds, now, None, None
    row.failed_passes = 0
    session.execute(delete(WorkerHeartbeat).where(
        WorkerHeartbeat.name != name, WorkerHeartbeat.started_at < now - FORGOTTEN_AFTER,
        (WorkerHeartbeat.last_pass_at.is_(None)) | (WorkerHeartbeat.last_pass_at < now - FORGOTTEN_AFTER),
    ))
    session.commit()


def pass_completed(*, session: Session, name: str, interval_seconds: float, now: datetime, seconds: float) -> None:
    row = _row(session, name)
    if row is None:  # its row was removed meanwhile (an operator, or a restore)
        row = WorkerHeartbeat(name=name, interval_seconds=interval_seconds, started_at=now)
        session.add(row)
    row.interval_seconds, row.last_pass_at, row.last_pass_seconds, row.failed_passes = interval_seconds, now, seconds, 0
    session.commit()


def pass_failed(*, session: Session, name: str, now: datetime) -> None:
    row = _row(session, name)
    if row is not None:
        row.last_failure_at = now
        row.failed_passes = (row.failed_passes or 0) + 1
        session.commit()


def worker_stopped(*, session: Session, name: str) -> None:
    """A worker told to stop leaves no row behind: it is not missing, it was taken away."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))
    session.commit()


def worker_health(*, session: Session, now: datetime) -> list[WorkerHealth]:
    """Every worker that reported, with whether it is late."""
    health = []
    for row in session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name)):
        last = as_utc(row.last_pass_at or row.started_at)
        health.append(WorkerHealth(
            name=row.name, interval_seconds=row.interval_seconds, started_at=as_utc(row.started_at),
            last_pass_at=as_utc(row.last_pass_at) if row.last_pass_at else None,
            last_pass_seconds=row.last_pass_seconds, failed_passes=row.failed_passes or 0,
            late=now - last > late_after(row.interval_seconds),
        ))
    return health

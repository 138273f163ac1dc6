"""The destruction log: what retention anonymised, when, and under which period (PDPA s.37(3))."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import AppendOnly, AppendOnlyViolation, Base


class DestructionLogTampered(AppendOnlyViolation):
    pass


class DestructionRecord(AppendOnly, Base):
    """One anonymised case, or one anonymised child record (once its last case went).

    It names what went (field and row counts), never the values: the log proves destruction
    without keeping what was destroyed. Append-only, in the ORM and in the database.
    """

    __tablename__ = "destruction_log"
    __table_args__ = (Index("ix_destruction_log_destroyed_at", "destroyed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "case:12" or "child:7": unique, so two workers never anonymise the same thing twice.
    subject: Mapped[str] = mapped_column(String(32), unique=True)
    destroyed_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))  # "case" or "child"
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"))
    protocol_key: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    retention_period: Mapped[str | None] = mapped_column(String(32))
    actor_username: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    append_only_error = DestructionLogTampered

"""The append-only audit trail.

Events are written in the transaction of the change they record. Nothing updates or deletes
them: the ORM refuses it here and database triggers refuse it underneath (see the migration).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import AppendOnly, AppendOnlyViolation, Base


class Acting(Protocol):
    """Whoever acts, as the trail records them: a person (engine.people.actors.Actor) or the
    engine itself. Defined here by what is recorded, so the trail sits below the people."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def agency_code(self) -> str | None: ...

    @property
    def client_address(self) -> str | None: ...


class AuditTamperingRefused(AppendOnlyViolation):
    pass


class AuditEvent(AppendOnly, Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_case_id_id", "case_id", "id"),
        Index("ix_audit_events_action_occurred_at", "action", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_username: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_agency: Mapped[str | None] = mapped_column(String(32))
    client_address: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    protocol_version_id: Mapped[int | None] = mapped_column(ForeignKey("protocol_versions.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set once, when erasure blanks the details of an event about data past its retention; the
    # skeleton (who did what, when, to which case) never changes (see migration 0009).
    redacted_at: Mapped[datetime | None]

    append_only_error = AuditTamperingRefused




def record(
    session: Session,
    *,
    action: str,
    actor: Acting,
    at: datetime,
    case_id: int | None = None,
    work_item_id: int | None = None,
    protocol_version_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    audit_event = AuditEvent(
        occurred_at=at,
        action=action,
        actor_id=actor.user_id,
        actor_username=actor.username,
        actor_role=actor.role,
        actor_agency=actor.agency_code,
        client_address=actor.client_address,
        case_id=case_id,
        work_item_id=work_item_id,
        protocol_version_id=protocol_version_id,
        details=details,
    )
    session.add(audit_event)
    return audit_event


_RECORD_PARAMETERS = frozenset({"session", "action", "actor", "at", "case_id", "work_item_id", "protocol_version_id", "error", "message"})


def details_of(error: Exception) -> dict[str, Any]:
    """The figures an engine error carries (``KhumkrongError.details``: which limit, how far
    past it, which element), ready to go into an audit event beside its code and message."""
    details = getattr(error, "details", None) or {}
    return {key: value for key, value in details.items() if key not in _RECORD_PARAMETERS}

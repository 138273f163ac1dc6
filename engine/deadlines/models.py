from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class EscalationStatus(str, enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EscalationReason(str, enum.Enum):
    OVERDUE = "overdue"  # a deadline timer on a user task fired
    THROWN = "thrown"  # the process threw a BPMN escalation event with a code


class Escalation(Base):
    """Something is late or needs a higher level's attention, and someone must say they saw it."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_status_climb_at", "status", "climb_at"),
        Index("ix_escalations_target_status", "target_agency_code", "target_role", "status"),
        Index("ix_escalations_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    # The agency whose work is late (the owner of the work item, or of the throwing lane).
    agency_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"))
    reason: Mapped[str] = mapped_column(String(16))
    # The escalationCode thrown, or None for a deadline.
    code: Mapped[str | None] = mapped_column(String(64))
    # The BPMN element that raised it (timer boundary event or escalation event).
    source_element: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(Integer)
    # Who must act at this level: a named target of the network, resolved to agency and role.
    target_code: Mapped[str] = mapped_column(String(64))
    target_agency_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"))
    target_role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.OPEN.value)
    raised_at: Mapped[datetime]
    level_changed_at: Mapped[datetime]
    # When it climbs to the next level if nobody acknowledges it; None at the top of the chain.
    climb_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

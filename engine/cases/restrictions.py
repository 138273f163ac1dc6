"""Restriction of a case (PDPA s.34): the case is frozen against further sharing.

While a case is restricted, every message it throws to another case (a referral that would open
a case for another agency, a reply to a linked case) is held here instead of sent, and audited.
The case's own work goes on. Lifting the restriction (:mod:`engine.privacy.restriction`)
releases what was held, in the order it was thrown.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import audit
from engine.db import Base
from engine.people.actors import Actor


class CaseRestriction(Base):
    """One restriction of a case, from the moment it was set until (if ever) it was lifted."""

    __tablename__ = "case_restrictions"
    __table_args__ = (Index("ix_case_restrictions_case_id_lifted_at", "case_id", "lifted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    restricted_at: Mapped[datetime]
    restricted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    # The data-subject request (a case reference) the restriction answers, if any.
    request_reference: Mapped[str | None] = mapped_column(String(32))
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_note: Mapped[str | None] = mapped_column(Text)


class HeldReferral(Base):
    """A message a restricted case threw to another case, kept until the restriction is lifted.

    The payload is what the protocol declared for the message (a reason, never names); the
    correlations are the values that let a reply find the case that waits for it.
    """

    __tablename__ = "held_referrals"
    __table_args__ = (Index("ix_held_referrals_case_id_released_at", "case_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    restriction_id: Mapped[int] = mapped_column(ForeignKey("case_restrictions.id"))
    message: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    correlations: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The disclosure's basis and who consented, kept for the link the release will make.
    legal_basis: Mapped[str | None] = mapped_column(String(32))
    consented_by: Mapped[str | None] = mapped_column(String(200))
    held_at: Mapped[datetime]
    released_at: Mapped[datetime | None]


def active_restriction(session: Session, case_id: int) -> CaseRestriction | None:
    """The case's restriction in force, if there is one."""
    return session.scalars(
        select(CaseRestriction)
        .where(CaseRestriction.case_id == case_id, CaseRestriction.lifted_at.is_(None))
        .order_by(CaseRestriction.id)
        .limit(1)
    ).first()


def restricted_case_ids(session: Session, case_ids: list[int]) -> set[int]:
    """Which of these cases are restricted now (one query, for lists and exports)."""
    if not case_ids:
        return set()
    return set(session.scalars(
        select(CaseRestriction.case_id).where(CaseRestriction.case_id.in_(case_ids), CaseRestriction.lifted_at.is_(None))
    ))


def hold(
    session: Session,
    *,
    restriction: CaseRestriction,
    message: str,
    payload: dict[str, Any],
    correlations: dict[str, Any],
    now: datetime,
    actor: Actor,
    legal_basis: str | None = None,
    consented_by: str | None = None,
) -> HeldReferral:
    """Keep a message the restricted case threw instead of sending it; audited (by name and basis only)."""
    held = HeldReferral(
        case_id=restriction.case_id, restriction_id=restriction.id, message=message, payload=payload,
        correlations=correlations, legal_basis=legal_basis, consented_by=consented_by, held_at=now,
    )
    session.add(held)
    session.flush()
    audit.record(session, action="case.referral_held", actor=actor, at=now, case_id=restriction.case_id,
                 message=message, held_id=held.id, restriction_id=restriction.id, legal_basis=legal_basis)
    return held


def pending_holds(session: Session, case_id: int) -> list[HeldReferral]:
    return list(session.scalars(
        select(HeldReferral).where(HeldReferral.case_id == case_id, HeldReferral.released_at.is_(None))
        .order_by(HeldReferral.id)
    ))

"""Restricting a case (PDPA s.34) and lifting the restriction.

A restricted case is frozen against further sharing: the referrals and replies it throws are
held (:mod:`engine.cases.restrictions`), audited by name, while its own work goes on. Lifting
the restriction releases what was held, in the order it was thrown, exactly as it would have
gone: a referral opens its case then, a reply reaches the linked case that waits for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import record_denied
from engine.cases.commands import in_effect
from engine.cases.models import Case
from engine.cases.referrals import route_message
from engine.cases.restrictions import CaseRestriction, active_restriction, pending_holds
from engine.cases.stepping import lock_case, one_transaction, take
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.privacy.rights import ensure_answers_for_data, may_release_case
from engine.protocols.disclosure import Disclosure
from engine.workflow.running import rebuilt_message

MAX_REASON = 2000


@dataclass(frozen=True)
class Lifted:
    restriction: CaseRestriction
    released: list[str]  # the messages sent on, in order


def _locked_case(*, session: Session, actor: Actor, case_id: int, now: datetime, attempted: str) -> Case:
    ensure_answers_for_data(actor, attempted)
    found = session.get(Case, case_id)
    if found is None or not may_release_case(session=session, actor=actor, case_id=case_id):
        record_denied(session=session, actor=actor, at=now, resource="case", resource_id=case_id,
                      case_id=found.id if found else None, attempted=attempted)
        raise NotFound(f"case {case_id} not found", field="case_id")
    case = lock_case(session=session, case_id=case_id)
    assert case is not None  # it was there a moment ago, and cases are never deleted
    # Bump the case's version, so that a command that read it before this one fails instead of
    # routing a message past the restriction (SQLite has no row lock).
    take(session=session, case=case, now=now)
    return case



def _reason(text: str | None, field: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput(f"{field} is required: say why, for the record", field=field)
    if len(value) > MAX_REASON:
        raise InvalidInput(f"{field} may have at most {MAX_REASON} characters", field=field)
    return value


def restrict_case(
    *, session: Session, actor: Actor, case_id: int, reason: str, now: datetime, request_reference: str | None = None,
) -> CaseRestriction:
    """Freeze the case against further sharing; commits. A restricted case cannot be restricted again."""
    why = _reason(reason, "reason")
    with one_transaction(session, case_id):
        case = _locked_case(session=session, actor=actor, case_id=case_id, now=now, attempted="restrict a case")
        if active_restriction(session, case.id) is not None:
            raise InvalidState(f"case {case.reference} is already restricted", status="restricted")
        restriction = CaseRestriction(case_id=case.id, restricted_at=now, restricted_by_id=actor.user_id, reason=why,
                                      request_reference=request_reference)
        session.add(restriction)
        session.flush()
        audit.record(session, action="case.restricted", actor=actor, at=now, case_id=case.id,
                     restriction_id=restriction.id, reason=why, request=request_reference)
        session.commit()
        return restriction


def lift_restriction(
    *, session: Session, actor: Actor, case_id: int, note: str, clock: Clock, network: Network,
) -> Lifted:
    """End the case's restriction and send on what it held, in one transaction."""
    why = _reason(note, "note")
    now = clock.now()
    with one_transaction(session, case_id), in_effect(clock, network):
        case = _locked_case(session=session, actor=actor, case_id=case_id, now=now, attempted="lift a restriction")
        restriction = active_restriction(session, case.id)
        if restriction is None:
            raise InvalidState(f"case {case.reference} is not restricted", status="unrestricted")
        restriction.lifted_at, restriction.lifted_by_id, restriction.lift_note = now, actor.user_id, why
        audit.record(session, action="case.restriction_lifted", actor=actor, at=now, case_id=case.id,
                     restriction_id=restriction.id, note=why)
        released = []
        for held in pending_holds(session, case.id):
            message = rebuilt_message(held.message, held.payload, held.correlations)
            route_message(session=session, case=case, message=message, now=now, actor=actor, network=network, depth=0,
                          disclosure=Disclosure(held.legal_basis, held.consented_by))
            held.released_at = now
            released.append(held.message)
            audit.record(session, action="case.referral_released", actor=actor, at=now, case_id=case.id,
                         message=held.message, held_id=held.id, restriction_id=restriction.id)
        session.commit()
        return Lifted(restriction, released)

"""Re-opening a closed case: a new case of the same protocol, for the same child, linked to the
closed one.

The closed case stays as it was closed. Its workflow reached its end after a supervisor approved
the closure; re-activating it would mean rewinding a finished workflow and rewriting what was
decided and audited. The new case starts on the protocol's newest published version (the law or
the practice may have changed since), with fresh deadlines counted from now, and carries the
history by its link (``reopened_from``), the child's record and the reporting unit. A case is
re-opened once: a second attempt names the case that already carries it on. A case retention
has anonymised has no history left to carry, and is never re-opened; neither is a case that is
not closed.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import visible_case
from engine.cases.commands import in_effect
from engine.cases.models import REOPENED_LINK, Case, CaseLink, CaseStatus, WorkItem
from engine.cases.referrals import open_case
from engine.cases.rights import ensure_may_reopen
from engine.cases.stepping import lock_case, one_transaction, take
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidState
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.models import ProtocolVersion
from engine.protocols.service import latest_published

CLOSED_STATUSES = (CaseStatus.COMPLETED.value, CaseStatus.CANCELLED.value)
MAX_REASON = 2000


def case_agencies(*, session: Session, case_id: int) -> set[str]:
    """The agencies that held a task of the case."""
    return set(session.scalars(select(WorkItem.agency_code).where(WorkItem.case_id == case_id).distinct()))


def reopened_as(*, session: Session, case_id: int) -> Case | None:
    """The case that re-opened this one, if it was re-opened."""
    return session.scalars(
        select(Case).join(CaseLink, CaseLink.to_case_id == Case.id)
        .where(CaseLink.from_case_id == case_id, CaseLink.message == REOPENED_LINK)
    ).first()


def reopen_case(
    *, session: Session, case_id: int, reason: str, actor: Actor, clock: Clock, network: Network,
) -> Case:
    """Re-open a closed case as a new, linked case; commits and returns the new case.

    Not found (and the refusal audited) for a case the actor may not see; Forbidden for anyone
    but a supervisor of an agency that worked it; InvalidState (409) for a case that is not
    closed, was anonymised, or was re-opened already.
    """
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("a reason is required to re-open a case: say why, for the record", field="reason")
    if len(why) > MAX_REASON:
        raise InvalidInput(f"the reason may have at most {MAX_REASON} characters", field="reason")
    now = clock.now()
    with one_transaction(session, case_id), in_effect(clock, network):
        found = visible_case(session=session, actor=actor, case_id=case_id, now=now, attempted="re-open a case")
        ensure_may_reopen(actor, case_agencies(session=session, case_id=found.id), case_id=found.id)
        case = lock_case(session=session, case_id=found.id)
        assert case is not None  # it was there a moment ago, and cases are never deleted
        if case.anonymised_at is not None:
            raise InvalidState(
                f"case {case.reference} was anonymised under the retention schedule; there is no history "
                "left to re-open. Start a new case instead.", status="anonymised",
            )
        if case.status not in CLOSED_STATUSES:
            raise InvalidState(
                f"case {case.reference} is {case.status}: only a closed case can be re-opened", status=case.status,
            )
        successor = reopened_as(session=session, case_id=case.id)
        if successor is not None:
            raise InvalidState(
                f"case {case.reference} was re-opened already as {successor.reference}", status="reopened",
                reopened_as=successor.reference,
            )
        # Bump the closed case's version: a second re-opening racing this one fails here.
        take(session=session, case=case, now=now)
        key = session.scalar(select(ProtocolVersion.key).where(ProtocolVersion.id == case.protocol_version_id))
        version = latest_published(session=session, key=str(key))
        reopened = open_case(
            session=session, version=version, data={"reopened_from": case.reference}, actor=actor, now=now,
            network=network, reporting_unit=case.reporting_unit, child_id=case.child_id, origin=case,
        )
        session.add(CaseLink(from_case_id=case.id, to_case_id=reopened.id, message=REOPENED_LINK, created_at=now))
        audit.record(session, action="case.reopened", actor=actor, at=now, case_id=case.id,
                     to_case=reopened.reference, reason=why)
        audit.record(session, action="case.reopened_from", actor=actor, at=now, case_id=reopened.id,
                     from_case=case.reference, child_id=case.child_id, reason=why)
        session.commit()
        return reopened

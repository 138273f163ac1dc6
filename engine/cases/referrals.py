"""Referrals and replies between cases: a message one case throws that nothing in it catches.

A message that some published protocol starts on opens that protocol as a new case, linked to
this one and to the same child; any other message goes to a linked case waiting for it. Opening
a case and handing it a message move its workflow too, so everything that follows a move of a
workflow (:func:`conclude`) is here, where it can route on.

Each message is a disclosure of the child's data: its legal basis (and, for consent, who
consented), stated by the throwing element (:mod:`engine.protocols.disclosure`), goes on the
case link; the basis, never the person, goes in the audit event.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.cases.links import linked_cases
from engine.cases.live import note_written
from engine.cases.models import Case, CaseLink, CaseStatus, WorkItem
from engine.cases.references import next_reference
from engine.cases.restrictions import active_restriction, hold
from engine.cases.state import store_state
from engine.cases.stepping import case_items, check_form_data, lock_case, raise_escalations, restore, settle, take
from engine.errors import WorkflowFailure
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.cache import version_cache
from engine.protocols.disclosure import Disclosure, disclosure_of
from engine.protocols.models import ProtocolVersion
from engine.protocols.service import published_versions
from engine.workflow.running import (
    Advance,
    Message,
    advance,
    deliver,
    send_message,
    start_with,
    thrown_messages,
    waits_for,
)
from engine.workflow.serialization import new_workflow
from engine.workflow.types import Task, Workflow

# Referrals may start cases that refer on; a longer chain within one command is a modelling loop.
MAX_REFERRAL_DEPTH = 5


def conclude(
    *,
    session: Session,
    case: Case,
    workflow: Workflow,
    items: list[WorkItem],
    moved: Advance,
    now: datetime,
    actor: Actor,
    network: Network,
    depth: int,
) -> None:
    """Everything that follows a move of a case's workflow, in order: settle it, raise its
    escalations, route the messages it threw (which takes them off the workflow), and only then
    serialise it — once."""
    settle(session=session, case=case, workflow=workflow, items=items, now=now, actor=actor)
    raise_escalations(session=session, case=case, items=items, advance=moved, now=now, network=network)
    route_messages(
        session=session, case=case, workflow=workflow, now=now, actor=actor, network=network, depth=depth,
        throwers=moved.message_throwers,
    )
    store_state(session, case, workflow)
    note_written(session, case, workflow)


def open_case(
    *,
    session: Session,
    version: ProtocolVersion,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
    network: Network,
    reporting_unit: str | None,
    child_id: int | None = None,
    referral_depth: int = 0,
    trigger: Message | None = None,
    origin: Case | None = None,
) -> Case:
    """Create a case and run it to its first waits (inside the caller's transaction).

    ``origin`` is the case this one carries on (a referral's sender, a re-opened case): the new
    case concerns the same school, and a school kept out of the origin stays out of it.

    ``trigger`` is the referral message that starts it: a protocol whose only start is a message
    start event receives it; one that also has a plain start event has already begun there.
    """
    workflow = new_workflow(version_cache(session).get(session, version.id).spec_json)
    start_with(workflow, data)
    # Run the workflow to its first waits before taking a case number: the number's counter row
    # stays locked until the transaction ends, and a protocol that spins (stopped by the run
    # budget) must not hold every other case start behind it meanwhile.
    moved = advance(workflow)
    if trigger is not None and waits_for(workflow, trigger.name):
        send_message(workflow, trigger)
        moved.extend(advance(workflow))
    case = Case(
        reference=next_reference(session=session, prefix=network.reference_prefix, at=now),
        protocol_version_id=version.id,
        status=CaseStatus.ACTIVE.value,
        state_json="{}",
        started_by_id=actor.user_id,
        child_id=child_id,
        reporting_unit=reporting_unit,
        unit_code=origin.unit_code if origin is not None else None,
        unit_kept_out=origin is not None and origin.unit_kept_out,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    audit.record(
        session, action="case.started", actor=actor, at=now, case_id=case.id,
        protocol_version_id=version.id, protocol=version.key, version=version.version,
        reporting_unit=reporting_unit,
    )
    conclude(
        session=session, case=case, workflow=workflow, items=[], moved=moved, now=now, actor=actor, network=network,
        depth=referral_depth,
    )
    return case


def route_messages(
    *, session: Session, case: Case, workflow: Workflow, now: datetime, actor: Actor, network: Network, depth: int,
    throwers: list[Task] | None = None,
) -> None:
    """Messages the case threw that nothing inside it caught: referrals that start other cases,
    and replies to linked cases. A restricted case shares nothing: its messages are held
    (:mod:`engine.cases.restrictions`) until the restriction is lifted, with their basis."""
    messages = thrown_messages(workflow, throwers)
    if not messages:
        return
    restriction = active_restriction(session, case.id)
    for message in messages:
        disclosure = disclosure_of(message.properties, message.sender_data)
        if restriction is not None:
            hold(session, restriction=restriction, message=message.name, payload=check_form_data(message.payload),
                 correlations=check_form_data(message.correlations), now=now, actor=actor,
                 legal_basis=disclosure.legal_basis, consented_by=disclosure.consented_by)
            continue
        route_message(session=session, case=case, message=message, now=now, actor=actor, network=network, depth=depth,
                      disclosure=disclosure)


def route_message(
    *, session: Session, case: Case, message: Message, now: datetime, actor: Actor, network: Network, depth: int,
    disclosure: Disclosure | None = None,
) -> None:
    """One message of the case: it starts each protocol whose message start event names it, as
    a new case linked to this one and to the same child, carrying the message's declared payload
    and nothing more; or it goes to a linked case that waits for it. ``disclosure`` is the
    message's basis, when it was worked out before (a held referral's); otherwise it is read
    from the message."""
    if disclosure is None:
        disclosure = disclosure_of(message.properties, message.sender_data)
    targets = [v for v in published_versions(session=session) if message.name in json.loads(v.message_starts or "[]")]
    if not targets:
        if not deliver_to_linked(session=session, case=case, message=message, now=now, actor=actor, network=network,
                                 depth=depth, disclosure=disclosure):
            audit.record(session, action="case.message_unrouted", actor=actor, at=now, case_id=case.id, message=message.name)
        return
    if depth >= MAX_REFERRAL_DEPTH:
        raise WorkflowFailure(
            f"case {case.reference}: referral {message.name!r} would chain more than {MAX_REFERRAL_DEPTH} cases"
        )
    payload = check_form_data(message.payload)
    for version in targets:
        referred = open_case(
            session=session, version=version, data={**payload, "referred_from": case.reference}, actor=actor, now=now,
            network=network, reporting_unit=case.reporting_unit, child_id=case.child_id, referral_depth=depth + 1,
            trigger=message, origin=case,
        )
        session.add(CaseLink(
            from_case_id=case.id, to_case_id=referred.id, message=message.name, created_at=now,
            legal_basis=disclosure.legal_basis, consented_by=disclosure.consented_by,
        ))
        # Who consented is on the link; the trail says only that it was recorded (it outlives
        # the case's data under retention, names never).
        audit.record(
            session, action="case.referred", actor=actor, at=now, case_id=case.id,
            message=message.name, to_case=referred.reference, protocol=version.key,
            legal_basis=disclosure.legal_basis, consent_recorded=disclosure.consented_by is not None,
            child_id=case.child_id,
        )


def deliver_to_linked(
    *, session: Session, case: Case, message: Message, now: datetime, actor: Actor, network: Network, depth: int,
    disclosure: Disclosure | None = None,
) -> bool:
    """Hand a message to the linked case that waits for it (a reply to a referral, say).

    Cases correlate through their referral link: a message goes only to a case this one referred
    or was referred by, and only if that case is waiting for a message of that name.
    """
    name = message.name
    if depth >= MAX_REFERRAL_DEPTH:
        raise WorkflowFailure(f"case {case.reference}: message {name!r} would chain more than {MAX_REFERRAL_DEPTH} cases")
    for other in linked_cases(session=session, case_id=case.id):
        if other.status != CaseStatus.ACTIVE.value:
            continue
        target = lock_case(session=session, case_id=other.id)
        if target is None:
            continue
        workflow = restore(session=session, case=target)
        if not deliver(workflow, message):
            continue
        take(session=session, case=target, now=now)
        conclude(
            session=session, case=target, workflow=workflow, items=case_items(session=session, case_id=target.id), moved=advance(workflow),
            now=now, actor=actor, network=network, depth=depth + 1,
        )
        audit.record(session, action="case.message_sent", actor=actor, at=now, case_id=case.id, message=name,
                     to_case=target.reference, legal_basis=disclosure.legal_basis if disclosure else None)
        audit.record(session, action="case.message_received", actor=actor, at=now, case_id=target.id, message=name, from_case=case.reference)
        return True
    return False

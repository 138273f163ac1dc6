"""Referrals and replies between cases: a message one case throws that nothing in it catches.

A message that some published protocol starts on opens that protocol as a new case, linked to
this one and to the same child; any other message goes to a linked case waiting for it.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.links import linked_cases
from engine.cases.models import Case, CaseLink, CaseStatus
from engine.cases.references import next_reference
from engine.cases.stepping import _raise_escalations, _settle, _spec_json, check_form_data, lock_case
from engine.errors import (
    WorkflowFailure,
)
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.models import ProtocolVersion
from engine.protocols.service import published_versions
from engine.workflow.running import _advance
from engine.workflow.serialization import new_workflow, restore_workflow, state_json_of

# Referrals may start cases that refer on; a longer chain within one command is a modelling loop.
MAX_REFERRAL_DEPTH = 5


def _open_case(
    session: Session,
    *,
    version: ProtocolVersion,
    data: dict[str, Any],
    actor: Actor,
    now: datetime,
    network: Network,
    reporting_unit: str | None,
    child_id: int | None = None,
    referral_depth: int = 0,
    trigger: Any = None,
) -> Case:
    """Create a case and run it to its first waits (inside the caller's transaction).

    ``trigger`` is the referral message that starts it: a protocol whose only start is a message
    start event receives it; one that also has a plain start event has already begun there.
    """
    workflow = new_workflow(_spec_json(session, version.id))
    workflow.get_next_task(state=TaskState.READY).set_data(**data)
    case = Case(
        reference=next_reference(session, prefix=network.reference_prefix, at=now),
        protocol_version_id=version.id,
        status=CaseStatus.ACTIVE.value,
        state_json="{}",
        started_by_id=actor.user_id,
        child_id=child_id,
        reporting_unit=reporting_unit,
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
    advance = _advance(workflow)
    if trigger is not None and trigger.event_definition.name in {p.name for p in workflow.waiting_events()}:
        workflow.send_event(trigger)
        more = _advance(workflow)
        advance.fired_timers.extend(more.fired_timers)
        advance.thrown_escalations.extend(more.thrown_escalations)
    _settle(session, case=case, workflow=workflow, now=now, actor=actor)
    _raise_escalations(session, case=case, advance=advance, now=now, network=network)
    _route_messages(session, case=case, workflow=workflow, now=now, actor=actor, network=network, depth=referral_depth)
    case.state_json = state_json_of(workflow)
    return case


def _route_messages(
    session: Session, *, case: Case, workflow: Any, now: datetime, actor: Actor, network: Network, depth: int
) -> None:
    """Messages the case threw that nothing inside it caught: referrals that start other cases.

    Each starts the protocol whose message start event names it, as a new case linked to this
    one and to the same child, carrying the message's declared payload and nothing more.
    """
    for event in workflow.get_events():
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        targets = [v for v in published_versions(session=session) if definition.name in json.loads(v.message_starts or "[]")]
        if not targets:
            if not _deliver_to_linked(session, case=case, event=event, now=now, actor=actor, network=network, depth=depth):
                audit.record(session, action="case.message_unrouted", actor=actor, at=now, case_id=case.id, message=definition.name)
            continue
        if depth >= MAX_REFERRAL_DEPTH:
            raise WorkflowFailure(
                f"case {case.reference}: referral {definition.name!r} would chain more than {MAX_REFERRAL_DEPTH} cases"
            )
        payload = check_form_data(event.payload if isinstance(event.payload, dict) else {})
        for version in targets:
            referred = _open_case(
                session, version=version, data={**payload, "referred_from": case.reference}, actor=actor, now=now,
                network=network, reporting_unit=case.reporting_unit, child_id=case.child_id, referral_depth=depth + 1,
                trigger=event,
            )
            session.add(CaseLink(from_case_id=case.id, to_case_id=referred.id, message=definition.name, created_at=now))
            audit.record(
                session, action="case.referred", actor=actor, at=now, case_id=case.id,
                message=definition.name, to_case=referred.reference, protocol=version.key,
            )


def _deliver_to_linked(
    session: Session, *, case: Case, event: Any, now: datetime, actor: Actor, network: Network, depth: int
) -> bool:
    """Hand a message to the linked case that waits for it (a reply to a referral, say).

    Cases correlate through their referral link: a message goes only to a case this one referred
    or was referred by, and only if that case is waiting for a message of that name.
    """
    name = event.event_definition.name
    if depth >= MAX_REFERRAL_DEPTH:
        raise WorkflowFailure(f"case {case.reference}: message {name!r} would chain more than {MAX_REFERRAL_DEPTH} cases")
    for other in linked_cases(session, case.id):
        if other.status != CaseStatus.ACTIVE.value:
            continue
        target = lock_case(session, other.id)
        workflow = restore_workflow(target.state_json, _spec_json(session, target.protocol_version_id))
        if name not in {pending.name for pending in workflow.waiting_events()}:
            continue
        try:
            workflow.send_event(event)
        except WorkflowException:
            continue  # its correlation values do not match this message
        advance = _advance(workflow)
        _settle(session, case=target, workflow=workflow, now=now, actor=actor)
        _raise_escalations(session, case=target, advance=advance, now=now, network=network)
        _route_messages(session, case=target, workflow=workflow, now=now, actor=actor, network=network, depth=depth + 1)
        target.state_json = state_json_of(workflow)
        audit.record(session, action="case.message_sent", actor=actor, at=now, case_id=case.id, message=name, to_case=target.reference)
        audit.record(session, action="case.message_received", actor=actor, at=now, case_id=target.id, message=name, from_case=case.reference)
        return True
    return False

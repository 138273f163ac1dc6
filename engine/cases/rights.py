"""Who may do what. Every caller (API, pages, CLI) asks here; nothing decides rights elsewhere."""
from __future__ import annotations

from collections.abc import Collection

from engine.cases.models import WorkItem
from engine.errors import Forbidden
from engine.people.actors import Actor
from engine.people.roles import PROVINCE_ROLES, SUPERVISOR_ROLE, may_work_seat


def may_work(actor: Actor, item: WorkItem) -> bool:
    return not actor.is_system and may_work_seat(
        role=actor.role, agency_code=actor.agency_code, seat_agency=item.agency_code, seat_role=item.candidate_role
    )


def ensure_may_work(actor: Actor, item: WorkItem) -> None:
    if not may_work(actor, item):
        raise Forbidden(
            f"{actor.username} ({actor.role}, {actor.agency_code or 'no agency'}) may not work "
            f"task {item.task_name!r} of agency {item.agency_code}",
            work_item_id=item.id,
        )



def may_handle_escalation(actor: Actor, escalation) -> bool:
    """The people it reached, the owning agency's supervisors, and the committee."""
    if actor.is_system:
        return False
    if actor.role in PROVINCE_ROLES:
        return True
    if actor.role == escalation.target_role and (
        escalation.target_agency_code is None or actor.agency_code == escalation.target_agency_code
    ):
        return True
    return actor.role == SUPERVISOR_ROLE and actor.agency_code == escalation.agency_code


def ensure_may_handle_escalation(actor: Actor, escalation) -> None:
    if not may_handle_escalation(actor, escalation):
        raise Forbidden(
            f"{actor.username} ({actor.role}, {actor.agency_code or 'no agency'}) may not handle escalation "
            f"{escalation.id}", escalation_id=escalation.id,
        )


def may_assign(actor: Actor, item: WorkItem) -> bool:
    """Assigning work is a supervisor's right (or the committee's), separate from working it."""
    if actor.is_system:
        return False
    if actor.role in PROVINCE_ROLES:
        return True
    return actor.role == SUPERVISOR_ROLE and actor.agency_code == item.agency_code


def ensure_may_assign(actor: Actor, item: WorkItem) -> None:
    if not may_assign(actor, item):
        raise Forbidden(
            f"{actor.username} ({actor.role}, {actor.agency_code or 'no agency'}) may not assign task "
            f"{item.task_name!r} of agency {item.agency_code}", work_item_id=item.id,
        )


def may_reopen(actor: Actor, case_agencies: Collection[str]) -> bool:
    """Re-opening a closed case is a supervisor's decision, for an agency that worked the case
    (it held one of its tasks): the agency answers for the new case's work. The committee
    oversees and may ask an agency to re-open; it does not run cases, and it reads children's
    initials only. Administrators keep the system, not cases."""
    return (
        not actor.is_system and actor.role == SUPERVISOR_ROLE and actor.agency_code is not None
        and actor.agency_code in case_agencies
    )


def ensure_may_reopen(actor: Actor, case_agencies: Collection[str], *, case_id: int) -> None:
    if not may_reopen(actor, case_agencies):
        raise Forbidden(
            f"{actor.username} ({actor.role}, {actor.agency_code or 'no agency'}) may not re-open case {case_id}: "
            "only a supervisor of an agency that worked the case may", case_id=case_id,
        )

"""Who may do what. Every caller (API, pages, CLI) asks here; nothing decides rights elsewhere."""
from __future__ import annotations

from engine.cases.models import WorkItem
from engine.errors import Forbidden
from engine.people.actors import Actor

# Roles that work tasks inside their own agency; a supervisor may also work any of its tasks.
WORKING_ROLES = frozenset({"case_worker", "supervisor"})
SUPERVISOR_ROLE = "supervisor"


def may_work(actor: Actor, item: WorkItem) -> bool:
    if actor.is_system or actor.role not in WORKING_ROLES:
        return False
    if actor.agency_code != item.agency_code:
        return False
    if item.candidate_role and item.candidate_role in WORKING_ROLES:
        return actor.role == item.candidate_role or actor.role == SUPERVISOR_ROLE
    return True


def ensure_may_work(actor: Actor, item: WorkItem) -> None:
    if not may_work(actor, item):
        raise Forbidden(
            f"{actor.username} ({actor.role}, {actor.agency_code or 'no agency'}) may not work "
            f"task {item.task_name!r} of agency {item.agency_code}",
            work_item_id=item.id,
        )

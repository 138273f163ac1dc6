"""What the case and task pages share: a case's progress for its diagram, its audit trail in
words, and the objects a page's address names (or the not-found page)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request

from api.deps import attempted
from api.pages import formatting
from api.pages.i18n import N_
from engine.cases.access import visible_case, visible_item
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, WorkItem, WorkItemState
from engine.people.actors import Actor

# The audit trail in words: what each recorded action means to a person reading a case.
TIMELINE_ACTIONS = {
    "case.started": N_("Case opened"),
    "case.referred": N_("Referred to another protocol"),
    "case.message_sent": N_("Message sent to a linked case"),
    "case.message_received": N_("Message received from a linked case"),
    "case.message_unrouted": N_("A referral found no protocol to receive it"),
    "case.completed": N_("Case closed"),
    "case.cancelled": N_("Case cancelled"),
    "case.reopened": N_("Re-opened as a new case"),
    "case.reopened_from": N_("Re-opened from a closed case"),
    "case.error": N_("Stopped by an error"),
    "case.child_linked": N_("Linked to the child's record"),
    "case.timers_fired": N_("A deadline or timer fell due"),
    "case.migrated": N_("Moved to a newer protocol version"),
    "case.migration_refused": N_("Not moved to a newer protocol version"),
    "case.depth_warning": N_("The case is growing unusually deep"),
    "case.command_failed": N_("An action failed"),
    "case.viewed": N_("Case read"),
    "case.audit_viewed": N_("History read"),
    "work_item.created": N_("Task created"),
    "work_item.claimed": N_("Task claimed"),
    "work_item.unclaimed": N_("Task given back to the agency"),
    "work_item.reassigned": N_("Task assigned"),
    "work_item.completed": N_("Task completed"),
    "work_item.cancelled": N_("Task withdrawn"),
    "task.viewed": N_("Task read"),
    "task.commented": N_("Comment added"),
    "task.comments_viewed": N_("Comments read"),
    "escalation.raised": N_("Escalation raised"),
    "escalation.climbed": N_("Escalation climbed"),
    "escalation.acknowledged": N_("Escalation acknowledged"),
    "escalation.resolved": N_("Escalation resolved"),
    "child.matches_viewed": N_("Child records looked up"),
    "child.updated": N_("Child's record updated"),
    "access.denied": N_("Access refused"),
}

# The PDPA bases a referral may rest on (engine.protocols.disclosure), as the case page names them.
LEGAL_BASIS_LABELS = {
    "legal_duty": N_("legal duty"),
    "public_task": N_("public task"),
    "vital_interest": N_("vital interest"),
    "consent": N_("consent"),
}


def visible_task_or_404(request: Request, session, actor: Actor, task_id: int, now: datetime) -> WorkItem:
    return visible_item(session=session, actor=actor, work_item_id=task_id, now=now, attempted=attempted(request))


def visible_case_or_404(request: Request, session, actor: Actor, case_id: int, now: datetime) -> Case:
    return visible_case(session=session, actor=actor, case_id=case_id, now=now, attempted=attempted(request))


def is_overdue(item: WorkItem, now: datetime) -> bool:
    return item.state in LIVE_WORK_ITEM_STATES and item.due_at is not None and item.due_at < now


def diagram_status(items: list[WorkItem], now: datetime, language: str, current: str | None = None) -> dict[str, Any]:
    """A case's progress as ``static/js/diagram/status.js`` draws it: completed, active and
    overdue tasks (by BPMN id) and a due badge on each live task with a deadline."""
    done: list[str] = []
    active: list[str] = []
    overdue: list[str] = []
    badges: dict[str, dict[str, str]] = {}
    for item in items:
        if item.state in LIVE_WORK_ITEM_STATES:
            (overdue if is_overdue(item, now) else active).append(item.task_name)
            if item.due_at is not None:
                badges[item.task_name] = {
                    "text": formatting.relative_deadline(item.due_at, now, language),
                    "state": formatting.deadline_state(item.due_at, now) or "",
                }
        elif item.state == WorkItemState.COMPLETED.value:
            done.append(item.task_name)
    live = set(active) | set(overdue)
    return {
        "done": sorted(set(done) - live), "active": sorted(set(active)), "overdue": sorted(set(overdue)),
        "badges": badges, "current": current,
    }

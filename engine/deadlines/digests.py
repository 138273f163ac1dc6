"""Daily digests of overdue work: one message per person per Thai day, references and labels only."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, WorkItem
from engine.clock import THAI_TIME, as_utc
from engine.notify.outbox import enqueue
from engine.people.models import User

# A digest is a reminder, not the work list: past this many it points to the application.
DIGEST_ITEM_LIMIT = 50


def digest_dedupe_key(user_id: int, now: datetime) -> str:
    # The Thai calendar day, not the UTC one: "one a day" is the recipient's day, which starts
    # at 17:00 UTC.
    return f"digest:{user_id}:{as_utc(now).astimezone(THAI_TIME).date().isoformat()}"


def queue_daily_digests(*, session: Session, now: datetime) -> int:
    """A digest of overdue work to each person who has some, at most one per Thai day; how many queued.

    Only items of active cases count: a case in error or closed is not the assignee's to move.
    """
    now = as_utc(now)
    rows = session.execute(
        select(WorkItem.assignee_id, Case.reference, WorkItem.label, WorkItem.due_at)
        .join(Case, Case.id == WorkItem.case_id)
        .join(User, User.id == WorkItem.assignee_id)
        .where(
            WorkItem.state.in_(LIVE_WORK_ITEM_STATES),
            WorkItem.due_at < now,
            Case.status == CaseStatus.ACTIVE.value,
            User.active.is_(True),
            User.email.is_not(None),
        )
        .order_by(WorkItem.assignee_id, WorkItem.due_at, WorkItem.id)
    ).all()
    overdue: dict[int, list[dict[str, Any]]] = {}
    for assignee_id, reference, label, due_at in rows:
        if assignee_id is None:
            continue  # the join with users leaves none, but the column may be empty
        overdue.setdefault(assignee_id, []).append(
            {"case_reference": reference, "task_label": label, "due_at": due_at}
        )
    if not overdue:
        return 0
    people = {user.id: user for user in session.scalars(select(User).where(User.id.in_(list(overdue))))}
    queued = 0
    for user_id, items in overdue.items():
        message = enqueue(
            session,
            kind="digest",
            recipient=people[user_id],
            context={"as_of": now, "items": items[:DIGEST_ITEM_LIMIT], "total_count": len(items)},
            dedupe_key=digest_dedupe_key(user_id, now),
            now=now,
        )
        queued += message is not None
    return queued

"""Comments on tasks: notes between the people working a case, kept with the case's record.

Comments are part of the case file, so like the audit trail they are only ever added: a wrong
comment is corrected by another comment, never edited away.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import audit
from engine.cases.models import WorkItem
from engine.cases.stepping import lock_case
from engine.clock import Clock
from engine.db import AppendOnly, AppendOnlyViolation, Base
from engine.errors import InvalidInput
from engine.people.actors import Actor

MAX_COMMENT_LENGTH = 4000


class CommentChangeRefused(AppendOnlyViolation):
    pass


class TaskComment(AppendOnly, Base):
    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_work_item_id_id", "work_item_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Set once, when retention blanks the text; the comment's author and time stay.
    redacted_at: Mapped[datetime | None]

    append_only_error = CommentChangeRefused




def add_comment(*, session: Session, item: WorkItem, body: str, actor: Actor, clock: Clock) -> TaskComment:
    """Add a comment (the caller has checked the actor may see the case); commits."""
    text = (body or "").strip()
    if not text:
        raise InvalidInput("a comment cannot be empty", field="body")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput(f"a comment may have at most {MAX_COMMENT_LENGTH:,} characters", field="body")
    if actor.user_id is None:
        raise InvalidInput("only people write comments", field="author")
    now = clock.now()
    lock_case(session=session, case_id=item.case_id)
    comment = TaskComment(work_item_id=item.id, case_id=item.case_id, author_id=actor.user_id, body=text, created_at=now)
    session.add(comment)
    session.flush()
    # The audit names the comment, not its text: the text stays where access to it is checked.
    audit.record(session, action="task.commented", actor=actor, at=now, case_id=item.case_id,
                 work_item_id=item.id, comment_id=comment.id)
    session.commit()
    return comment


def comments_on(*, session: Session, work_item_id: int, limit: int, offset: int) -> list[TaskComment]:
    return list(session.scalars(
        select(TaskComment).where(TaskComment.work_item_id == work_item_id)
        .order_by(TaskComment.id).limit(limit).offset(offset)
    ))

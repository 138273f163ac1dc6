"""Task comments are part of the case file: added, never changed or removed."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from engine.cases import commands
from engine.cases.comments import CommentChangeRefused, TaskComment, add_comment, comments_on
from engine.cases.models import WorkItem
from engine.errors import InvalidInput
from tests.engine.cases.test_commands import publish_reference


@pytest.fixture
def comment(session, network, clock, people):
    publish_reference(session, network, clock, people["policy"])
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=people["school_worker"],
                              clock=clock, network=network)
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    return add_comment(session=session, item=item, body="  โทรหาครูประจำชั้นแล้ว  ", actor=people["school_worker"], clock=clock)


def test_comments_are_trimmed_listed_and_audited(session, comment):
    assert comment.body == "โทรหาครูประจำชั้นแล้ว"
    assert [c.id for c in comments_on(session=session, work_item_id=comment.work_item_id, limit=10, offset=0)] == [comment.id]


def test_empty_and_oversized_comments_are_refused(session, comment, people, clock):
    item = session.get(WorkItem, comment.work_item_id)
    for body in ("   ", "x" * 4001):
        with pytest.raises(InvalidInput):
            add_comment(session=session, item=item, body=body, actor=people["school_worker"], clock=clock)


def test_the_orm_refuses_to_change_a_comment(session, comment):
    comment.body = "rewritten"
    with pytest.raises(CommentChangeRefused):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE task_comments SET body = 'x'", "DELETE FROM task_comments"])
def test_the_database_refuses_to_change_a_comment(session, comment, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert session.scalar(select(TaskComment.body)) == comment.body

"""Every read of a child's data, from the trail: case reads, lists and searches that showed the
child, lookups that offered the child's record; never another child's (issue 14, items 1, 3)."""
from __future__ import annotations

import ast
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import reads
from engine.cases.comments import add_comment
from engine.children.service import ChildIdentity, offer_matches
from engine.errors import NotFound
from engine.privacy.access_log import READ_ACTIONS, READS_WITHOUT_CHILD_DATA, list_reads_of_child, reads_of_child
from engine.settings import PROJECT_ROOT
from tests.conftest import add_user
from tests.engine.privacy.scenes import DAO, MALEE, case_for_child, live_item, publish_intake_protocol


@pytest.fixture
def scene(session, network, clock, people):
    publish_intake_protocol(session, network, clock, people["policy"])
    worker = people["school_worker"]
    malee = case_for_child(session, network, clock, worker, MALEE, severity="high")
    dao = case_for_child(session, network, clock, worker, DAO)
    return malee, dao


def test_every_kind_of_read_of_the_child_is_listed_and_nothing_of_another(session, clock, people, scene):
    malee, dao = scene
    worker, social = people["school_worker"], people["social_worker"]
    committee = add_user(session, "committee", "committee", None)
    clock.advance(timedelta(hours=1))
    reads.read_case(session=session, case=malee, actor=social, now=clock.now())
    reads.read_case(session=session, case=dao, actor=worker, now=clock.now())
    assess = live_item(session, malee.id, "assess")
    reads.read_task(session=session, item=assess, actor=social, now=clock.now())
    add_comment(session=session, item=assess, body="นัดเยี่ยมบ้าน", actor=social, clock=clock)
    reads.read_comments(session=session, item=assess, actor=social, now=clock.now(), limit=10, offset=0)
    reads.read_case_audit(session=session, case=malee, actor=committee, now=clock.now(), limit=10, offset=0)
    clock.advance(timedelta(hours=1))
    reads.search_cases(session=session, actor=committee, now=clock.now(), q="ใจดี", limit=10, offset=0)
    reads.search_cases(session=session, actor=worker, now=clock.now(), q="ประกาย", limit=10, offset=0)
    reads.search_cases(session=session, actor=worker, now=clock.now(), limit=10, offset=0)  # both children listed
    offer_matches(session, ChildIdentity(first_name="มะลิ", national_id=MALEE["child_national_id"]), actor=social,
                  now=clock.now())
    session.commit()

    found = reads_of_child(session=session, child_id=malee.child_id)
    assert [(r.action, r.actor_username, r.case_reference) for r in found] == [
        ("case.viewed", "worker.pmj_tak", malee.reference),
        ("task.viewed", "worker.pmj_tak", malee.reference),
        ("task.comments_viewed", "worker.pmj_tak", malee.reference),
        ("case.audit_viewed", "committee", malee.reference),
        ("cases.searched", "committee", malee.reference),
        ("cases.listed", "worker.spm_tak", malee.reference),
        ("child.matches_viewed", "worker.pmj_tak", None),
    ]
    others = reads_of_child(session=session, child_id=dao.child_id)
    assert [(r.action, r.case_reference) for r in others] == [
        ("case.viewed", dao.reference), ("cases.searched", dao.reference), ("cases.listed", dao.reference),
    ]

    # A period: from the second hour only.
    later = reads_of_child(session=session, child_id=malee.child_id, since=clock.now() - timedelta(minutes=1))
    assert [r.action for r in later] == ["cases.searched", "cases.listed", "child.matches_viewed"]
    assert reads_of_child(session=session, child_id=malee.child_id, until=clock.now() - timedelta(hours=2)) == []


def test_listing_the_reads_is_itself_recorded(session, clock, people, scene):
    malee, _ = scene
    reads.read_case(session=session, case=malee, actor=people["school_worker"], now=clock.now())
    listed = list_reads_of_child(session=session, child_id=malee.child_id, since=None, until=None,
                                 actor=people["policy"], now=clock.now())
    assert len(listed) == 1
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "child.reads_listed")).all()
    assert event.details == {"child_id": malee.child_id, "since": None, "until": None, "reads": 1}
    with pytest.raises(NotFound):
        reads_of_child(session=session, child_id=999999)


def _read_actions_in_the_code() -> set[str]:
    """Every action string the engine records as a read (commit_read / record_read)."""
    found = set()
    for path in (PROJECT_ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("commit_read", "record_read"):
                found |= {k.value.value for k in node.keywords if k.arg == "action" and isinstance(k.value, ast.Constant)}
    return found


def test_every_read_the_engine_records_is_known_to_the_access_log():
    recorded = _read_actions_in_the_code()
    known = READ_ACTIONS | READS_WITHOUT_CHILD_DATA
    assert recorded and recorded <= known, sorted(recorded - known)
    assert not READ_ACTIONS & READS_WITHOUT_CHILD_DATA

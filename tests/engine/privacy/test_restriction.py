"""A restricted case shares nothing: its referrals and replies are held, audited, and sent on
when the restriction is lifted (issue 14, item 1; PDPA s.34)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.links import linked_cases
from engine.cases.models import Case
from engine.cases.restrictions import HeldReferral
from engine.errors import Forbidden, InvalidInput, InvalidState, NotFound
from engine.privacy.restriction import lift_restriction, restrict_case
from tests.conftest import add_user
from tests.engine.cases.test_messages import _open, _publish


@pytest.fixture
def asks(session, network, clock, people):
    _publish(session, network, clock, people["policy"])
    return commands.start_case(session=session, protocol_key="asks", data={}, actor=people["school_worker"],
                               clock=clock, network=network)


def _complete(session, network, clock, actor, case_id, task):
    [item] = [i for i in _open(session, case_id) if i.task_name == task]
    commands.complete(session=session, work_item_id=item.id, data={}, actor=actor, clock=clock, network=network)


def _actions(session, case_id):
    return [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))]


def test_a_referral_is_held_while_restricted_and_sent_when_lifted(session, network, clock, people, asks):
    school_head = people["school_supervisor"]
    restriction = restrict_case(session=session, actor=school_head, case_id=asks.id, reason="เด็กขอระงับการเปิดเผย",
                                now=clock.now(), request_reference="TAK-2026-000042")
    assert restriction.lifted_at is None
    _complete(session, network, clock, people["school_worker"], asks.id, "prepare")

    # Nothing left the case: no linked case, and the referral waits, held and audited.
    assert linked_cases(session=session, case_id=asks.id) == []
    [held] = session.scalars(select(HeldReferral)).all()
    assert (held.message, held.released_at) == ("ask_help", None)
    assert "case.referral_held" in _actions(session, asks.id) and "case.referred" not in _actions(session, asks.id)

    lifted = lift_restriction(session=session, actor=school_head, case_id=asks.id, note="พ้นเหตุระงับ", clock=clock,
                              network=network)
    assert lifted.released == ["ask_help"]
    [helps] = linked_cases(session=session, case_id=asks.id)
    assert [i.task_name for i in _open(session, helps.id)] == ["help"]
    assert session.get(HeldReferral, held.id).released_at == clock.now()
    trail = _actions(session, asks.id)
    assert trail.index("case.restriction_lifted") < trail.index("case.referred") < trail.index("case.referral_released")


def test_a_reply_is_held_too(session, network, clock, people, asks):
    _complete(session, network, clock, people["school_worker"], asks.id, "prepare")
    [helps] = linked_cases(session=session, case_id=asks.id)
    social_head = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    restrict_case(session=session, actor=social_head, case_id=helps.id, reason="คำขอระงับ", now=clock.now())
    _complete(session, network, clock, people["social_worker"], helps.id, "help")
    assert session.get(Case, helps.id).status == "completed"
    assert _open(session, asks.id) == []  # still waiting for the reply
    lift_restriction(session=session, actor=social_head, case_id=helps.id, note="ยกเลิกการระงับ", clock=clock,
                     network=network)
    assert [i.task_name for i in _open(session, asks.id)] == ["close"]


def test_who_may_restrict_and_what_is_refused(session, network, clock, people, asks):
    school_head = people["school_supervisor"]
    police_head = add_user(session, "supervisor.police_tak", "supervisor", "police_tak")
    committee = add_user(session, "committee", "committee", None)
    with pytest.raises(Forbidden):
        restrict_case(session=session, actor=people["school_worker"], case_id=asks.id, reason="x", now=clock.now())
    with pytest.raises(NotFound):
        restrict_case(session=session, actor=police_head, case_id=asks.id, reason="x", now=clock.now())
    [denied] = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert (denied.actor_username, denied.case_id) == ("supervisor.police_tak", asks.id)
    with pytest.raises(InvalidInput):
        restrict_case(session=session, actor=school_head, case_id=asks.id, reason="  ", now=clock.now())
    with pytest.raises(InvalidState):
        lift_restriction(session=session, actor=school_head, case_id=asks.id, note="x", clock=clock, network=network)
    restrict_case(session=session, actor=committee, case_id=asks.id, reason="คณะกรรมการสั่งระงับ", now=clock.now())
    with pytest.raises(InvalidState):
        restrict_case(session=session, actor=school_head, case_id=asks.id, reason="อีกครั้ง", now=clock.now())

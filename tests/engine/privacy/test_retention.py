"""Retention (issue 14, item 2; PDPA s.37(3)): closed cases past their period lose names,
identifiers and free text; statistics and the skeleton of the audit trail stay; the destruction
log says what went; a dry run lists what would go and changes nothing."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands, reads
from engine.cases.comments import TaskComment, add_comment
from engine.cases.models import Case, Escalation, WorkItem
from engine.cases.queries import task_form_data
from engine.cases.state import finished_rows
from engine.children.models import Child, Guardian
from engine.deadlines.service import acknowledge
from engine.deadlines.tick import tick
from engine.network.definition import RetentionSchedule
from engine.people.actors import SYSTEM
from engine.privacy.models import DestructionRecord
from engine.privacy.rectification import rectify_child
from engine.privacy.restriction import lift_restriction, restrict_case
from engine.privacy.retention import run_retention
from engine.settings import Settings
from engine.worker import work_once
from tests.conftest import add_user
from tests.engine.privacy.scenes import DAO, MALEE, case_for_child, close_filed_case, live_item, publish_intake_protocol

YEAR = timedelta(days=366)


@pytest.fixture
def retained(network):
    return replace(network, retention=RetentionSchedule("P1Y", {"reference_other": "P5Y"}))


@pytest.fixture
def scene(session, network, clock, people):
    """มะลิ: one case filed and closed, one still open; ดาว: one case that went late, was
    escalated with a note and completed, and a search for her by ID."""
    publish_intake_protocol(session, network, clock, people["policy"])
    school, social = people["school_worker"], people["social_worker"]
    head = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    rectifier = add_user(session, "supervisor.spm_tak2", "supervisor", "spm_tak")
    malee_closed = case_for_child(session, network, clock, school, MALEE, summary="มะลิบอกครูว่าพ่อเลี้ยงตี")
    add_comment(session=session, item=live_item(session, malee_closed.id, "file_report"), body="มะลิย้ายไปอยู่กับยาย",
                actor=school, clock=clock)
    close_filed_case(session, network, clock, school, malee_closed, note="ส่งต่อยายของมะลิ")
    malee_open = case_for_child(session, network, clock, school, MALEE)

    dao = case_for_child(session, network, clock, school, DAO, severity="high", summary="ดาวไม่มาเรียนสามวัน")
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    [escalation] = session.scalars(select(Escalation).where(Escalation.case_id == dao.id)).all()
    acknowledge(session=session, escalation_id=escalation.id, note="โทรหาแม่ของดาวแล้ว", actor=head, clock=clock)
    commands.complete(session=session, work_item_id=live_item(session, dao.id, "assess").id, data={"risk": 3, "notes": "ดาวปลอดภัย"},
                      actor=social, clock=clock, network=network)
    # The late branch left a follow-up at the school; finishing it closes the case.
    commands.complete(session=session, work_item_id=live_item(session, dao.id, "follow_up").id,
                      data={"note": "ดาวกลับมาเรียนแล้ว"}, actor=school, clock=clock, network=network)
    reads.search_cases(session=session, actor=school, now=clock.now(), q=DAO["child_national_id"], limit=10, offset=0)
    rectify_child(session=session, actor=rectifier, child_id=session.get_one(Case, dao.id).child_id,
                  fields={"last_name": "ประกายแสง"}, reason="สะกดผิด", now=clock.now())
    session.expire_all()
    return malee_closed, malee_open, session.get_one(Case, dao.id)


def _skeleton(session, case_id):
    return [(e.id, e.action, e.actor_username, e.occurred_at, e.work_item_id)
            for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))]


def test_a_dry_run_lists_what_would_go_and_changes_nothing(session, clock, retained, scene):
    malee_closed, malee_open, dao = scene
    assert run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM, dry_run=True).due == []
    clock.advance(YEAR)
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM, dry_run=True)
    assert [d.reference for d in report.due] == [malee_closed.reference, dao.reference]
    assert [d.period for d in report.due] == ["P1Y", "P1Y"]
    # ดาว's record goes with her only case; มะลิ still has an open case.
    assert report.children == [dao.child_id] and report.anonymised_cases == []
    assert session.scalar(select(func.count()).select_from(DestructionRecord)) == 0
    assert session.get(Child, dao.child_id).first_name == "ดาว"


def test_anonymising_keeps_statistics_and_the_skeleton_and_logs_what_went(session, clock, network, retained, scene):
    malee_closed, malee_open, dao = scene
    before = {case.id: _skeleton(session, case.id) for case in (malee_closed, dao)}
    items_before = session.scalar(select(func.count()).select_from(WorkItem))
    clock.advance(YEAR)
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM)
    assert report.anonymised_cases == [malee_closed.reference, dao.reference] and report.children == [dao.child_id]
    session.expire_all()

    for case in (malee_closed, dao):
        # The live state and every finished task stored apart.
        state = session.get(Case, case.id).state_json + "".join(row.task_json for row in finished_rows(session, case.id))
        assert len(finished_rows(session, case.id)) > 3
        for gone in ("มะลิ", "ดาว", MALEE["child_national_id"], DAO["child_national_id"], "2011-05-01", "พ่อเลี้ยงตี",
                     "ส่งต่อยาย", "ปลอดภัย", "ไม่มาเรียน", "กลับมาเรียน"):
            assert gone not in state, gone
        # The choices stay, and the state still restores.
        intake = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "report")).one()
        assert task_form_data(session=session, item=intake) == {"severity": "low" if case is malee_closed else "high"}
        # The skeleton of the trail is as it was, with the anonymisation added.
        after = _skeleton(session, case.id)
        assert after[:-1] == before[case.id] and after[-1][1:3] == ("case.anonymised", "system")
    assessed = session.scalars(select(WorkItem).where(WorkItem.case_id == dao.id, WorkItem.task_name == "assess")).one()
    assert task_form_data(session=session, item=assessed) == {"risk": 3}

    [comment] = session.scalars(select(TaskComment)).all()
    assert (comment.body, comment.redacted_at) == ("", clock.now())
    assert session.scalars(select(Escalation.acknowledgement_note)).all() == [None]
    trail = {e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == dao.id))}
    acknowledged = trail["escalation.acknowledged"].details
    assert acknowledged["redacted"] == ["note"] and "note" not in acknowledged and acknowledged["level"] == 1
    assert trail["work_item.completed"].details["fields"]  # names of fields, kept
    text = str([e.details for e in session.scalars(select(AuditEvent))])
    for gone in ("โทรหาแม่", "ประกายแสง", "ประกาย", DAO["child_national_id"]):
        assert gone not in text, gone

    # ดาว's record is anonymised with her last case; มะลิ's waits for her open case.
    dao_record, malee_record = session.get(Child, dao.child_id), session.get(Child, malee_closed.child_id)
    assert (dao_record.first_name, dao_record.last_name, dao_record.national_id, dao_record.birth_date) == ("", None, None, None)
    assert dao_record.anonymised_at == clock.now()
    assert malee_record.first_name == "มะลิ" and malee_record.anonymised_at is None

    log = {r.subject: r for r in session.scalars(select(DestructionRecord))}
    assert set(log) == {f"case:{malee_closed.id}", f"case:{dao.id}", f"child:{dao.child_id}"}
    assert log[f"case:{dao.id}"].retention_period == "P1Y" and log[f"case:{dao.id}"].details["variables_removed"] > 0
    assert log[f"case:{malee_closed.id}"].details["comments_blanked"] == 1
    assert log[f"child:{dao.child_id}"].details["fields_removed"] >= 4
    # Statistics: every case and work item is still there.
    assert session.scalar(select(func.count()).select_from(WorkItem)) == items_before
    assert session.get(Case, dao.id).status == "completed"

    # Nothing is done twice.
    again = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM)
    assert again.due == [] and session.scalar(select(func.count()).select_from(DestructionRecord)) == 3


def test_the_last_case_of_a_child_takes_the_record_with_it(session, clock, network, people, retained, scene):
    malee_closed, malee_open, _ = scene
    clock.advance(YEAR)
    run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM)
    close_filed_case(session, network, clock, people["school_worker"], malee_open)
    assert run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM).due == []
    clock.advance(YEAR)
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM)
    assert report.anonymised_cases == [malee_open.reference] and report.children == [malee_closed.child_id]
    session.expire_all()
    assert session.get(Child, malee_closed.child_id).anonymised_at is not None
    assert session.scalars(select(Guardian.name)).all() == []  # the intake named no guardian


def test_a_protocol_without_a_period_keeps_everything(session, clock, network, scene):
    clock.advance(YEAR * 20)
    assert run_retention(session=session, network=replace(network, retention=RetentionSchedule()), now=clock.now(),
                         actor=SYSTEM).due == []


def test_the_worker_anonymises_in_its_pass(session, session_factory, database_url, clock, retained, scene):
    malee_closed, _, dao = scene
    clock.advance(YEAR)
    # Nobody here has an e-mail address, so the pass sends nothing and needs no mail server.
    result = work_once(session_factory=session_factory, clock=clock, network=retained,
                       settings=Settings(database_url=database_url))
    assert result.retention.anonymised_cases == [malee_closed.reference, dao.reference]
    actions = session.scalars(select(AuditEvent.actor_username).where(AuditEvent.action == "case.anonymised")).all()
    assert actions == ["system", "system"]


def test_a_restricted_case_is_kept_until_the_restriction_is_lifted(session, clock, network, people, retained, scene):
    malee_closed, _, dao = scene
    committee = add_user(session, "committee", "committee", None)
    restrict_case(session=session, actor=committee, case_id=dao.id, reason="ผู้ปกครองขอให้เก็บไว้ใช้ในคดี", now=clock.now())
    clock.advance(YEAR)
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM)
    assert report.anonymised_cases == [malee_closed.reference]
    assert session.get(Child, dao.child_id).anonymised_at is None
    lift_restriction(session=session, actor=committee, case_id=dao.id, note="คดีสิ้นสุดแล้ว", clock=clock, network=network)
    assert [d.reference for d in run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM).due] == [dao.reference]

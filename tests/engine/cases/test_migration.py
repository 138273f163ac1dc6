"""Moving running cases between protocol versions, and versions that never change."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.migration import migrate_cases
from engine.cases.models import Case, WorkItem
from engine.deadlines.tick import tick
from engine.errors import InvalidState
from engine.network.definition import load_network
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion
from engine.settings import PROJECT_ROOT
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")
THAI = re.compile("[\u0e00-\u0e7f]")
KEY = "reference"

RENAMED = REFERENCE.replace("ประเมินสภาพปัญหา", "ประเมินความปลอดภัย").replace("ติดตามงานที่ล่าช้า", "ติดตามผล")
# Filing is dropped: the default path ends at once.
WITHOUT_FILING = (
    REFERENCE.replace('<bpmn:userTask id="file_report" name="บันทึกเรื่อง" camunda:formKey="note_form">\n      <bpmn:incoming>to_file</bpmn:incoming><bpmn:outgoing>to_end_filed</bpmn:outgoing>\n    </bpmn:userTask>', "")
    .replace('<bpmn:sequenceFlow id="to_file" sourceRef="triage" targetRef="file_report"/>', '<bpmn:sequenceFlow id="to_file" sourceRef="triage" targetRef="end_filed"/>')
    .replace('<bpmn:sequenceFlow id="to_end_filed" sourceRef="file_report" targetRef="end_filed"/>', "")
    .replace("<bpmn:incoming>to_end_filed</bpmn:incoming>", "<bpmn:incoming>to_file</bpmn:incoming>")
    .replace("<bpmn:flowNodeRef>file_report</bpmn:flowNodeRef>", "")
)


def publish(session, network, clock, actor, bpmn: str) -> ProtocolVersion:
    version, _ = protocols.store_draft(session=session, key=KEY, bpmn=bpmn, network=network, clock=clock, actor=actor)
    return protocols.publish(session=session, key=KEY, version=version.version, clock=clock, actor=actor)


def start(session, network, clock, people) -> Case:
    return commands.start_case(
        session=session, protocol_key=KEY, data={"channel": "school"}, actor=people["school_worker"], clock=clock, network=network,
    )


# The helper below completes tasks for tests that do not ask for the network fixture.
NETWORK = load_network(PROJECT_ROOT / "protocols" / "network.toml")


def live(session, case_id) -> dict[str, WorkItem]:
    session.expire_all()
    return {
        item.task_name: item
        for item in session.scalars(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state.in_(["open", "claimed"])))
    }


def complete(session, clock, people, item, who, **data):
    return commands.complete(
        session=session, work_item_id=item.id, data=data, actor=people[who], clock=clock, network=NETWORK,
    )


def snapshot(session, case_id):
    session.expire_all()
    case = session.get(Case, case_id)
    items = session.scalars(select(WorkItem).where(WorkItem.case_id == case_id).order_by(WorkItem.id)).all()
    return (
        case.protocol_version_id, case.state_json, case.version, case.status, case.next_timer_at,
        [(i.id, i.task_name, i.label, i.agency_code, i.state, i.form_key, i.assignee_id) for i in items],
    )


def audited(session, case_id, action):
    return [
        e.details for e in session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == action).order_by(AuditEvent.id)
        )
    ]


@pytest.fixture
def policy(people):
    return people["policy"]


# -- acceptance ---------------------------------------------------------------------------------


def test_a_running_case_moves_to_a_version_that_renamed_a_later_task_and_finishes_on_it(session, network, clock, people, policy):
    v1 = publish(session, network, clock, policy, REFERENCE)
    case = start(session, network, clock, people)
    assert set(live(session, case.id)) == {"report"}

    v2 = publish(session, network, clock, policy, RENAMED)
    clock.advance(timedelta(minutes=5))
    report = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)
    assert (report.moved, report.refused) == ([case.id], [])
    session.expire_all()
    assert session.get(Case, case.id).protocol_version_id == v2.id != v1.id
    assert audited(session, case.id, "case.migrated") == [{
        "protocol": KEY, "from_version": 1, "to_version": 2, "work_items": [],
    }]

    # It runs on: the renamed task appears under its new label, with its deadline.
    complete(session, clock, people, live(session, case.id)["report"], "school_worker", severity="high")
    assess = live(session, case.id)["assess"]
    assert (assess.label, assess.agency_code) == ("ประเมินความปลอดภัย", "pmj_tak")
    assert assess.due_at == clock.now() + timedelta(hours=24)
    clock.advance(timedelta(hours=24, minutes=1))
    assert tick(session=session, clock=clock, network=network).timers_fired == 1
    follow_up = live(session, case.id)["follow_up"]
    assert follow_up.label == "ติดตามผล"
    complete(session, clock, people, follow_up, "school_worker")
    complete(session, clock, people, live(session, case.id)["assess"], "social_worker", plan="visit")
    session.expire_all()
    assert session.get(Case, case.id).status == "completed"


def test_a_case_whose_active_task_was_removed_is_refused_and_untouched_while_others_move(session, network, clock, people, policy):
    publish(session, network, clock, policy, REFERENCE)
    filing = start(session, network, clock, people)
    complete(session, clock, people, live(session, filing.id)["report"], "school_worker", severity="low")
    assessing = start(session, network, clock, people)
    complete(session, clock, people, live(session, assessing.id)["report"], "school_worker", severity="high")
    assert set(live(session, filing.id)) == {"file_report"} and set(live(session, assessing.id)) == {"assess"}
    before = snapshot(session, filing.id)

    publish(session, network, clock, policy, WITHOUT_FILING)
    report = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)

    assert report.moved == [assessing.id]
    [(refused_id, reason)] = report.refused
    assert refused_id == filing.id
    assert "'บันทึกเรื่อง' (file_report)" in reason and "does not exist in version 2" in reason
    thai, english = reason.split(" / ")
    assert THAI.search(thai) and "live task" in english
    assert snapshot(session, filing.id) == before
    assert audited(session, filing.id, "case.migration_refused") == [
        {"protocol": KEY, "to_version": 2, "reason": reason},
    ]
    # The refused case still runs on its own version.
    complete(session, clock, people, live(session, filing.id)["file_report"], "school_worker")
    session.expire_all()
    assert session.get(Case, filing.id).status == "completed"


# -- what moves, and what it carries ------------------------------------------------------------


def test_an_open_work_item_takes_the_new_label_and_keeps_its_waiting_deadline(session, network, clock, people, policy):
    publish(session, network, clock, policy, REFERENCE)
    case = start(session, network, clock, people)
    complete(session, clock, people, live(session, case.id)["report"], "school_worker", severity="high")
    assess = live(session, case.id)["assess"]
    due = assess.due_at

    # The new version also shortens the deadline: the waiting timer keeps the due time it was given.
    v2 = publish(session, network, clock, policy, RENAMED.replace("PT24H", "PT12H"))
    clock.advance(timedelta(hours=1))
    report = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)
    assert report.moved == [case.id]
    moved = live(session, case.id)["assess"]
    assert (moved.id, moved.label, moved.due_at) == (assess.id, "ประเมินความปลอดภัย", due)
    session.expire_all()
    assert session.get(Case, case.id).next_timer_at == due
    [details] = audited(session, case.id, "case.migrated")
    assert details["work_items"] == [{
        "work_item_id": assess.id, "task": "assess",
        "before": ["ประเมินสภาพปัญหา", "พมจ.", "pmj_tak", None, "assess_form.schema.json"],
        "after": ["ประเมินความปลอดภัย", "พมจ.", "pmj_tak", None, "assess_form.schema.json"],
    }]

    clock.set(due - timedelta(minutes=1))
    assert tick(session=session, clock=clock, network=network).timers_fired == 0
    clock.set(due + timedelta(minutes=1))
    assert tick(session=session, clock=clock, network=network).timers_fired == 1
    assert live(session, case.id)["follow_up"].label == "ติดตามผล"
    assert session.get(Case, case.id).protocol_version_id == v2.id


def test_a_claimed_item_moved_to_another_agency_is_released(session, network, clock, people, policy):
    publish(session, network, clock, policy, REFERENCE)
    case = start(session, network, clock, people)
    item = live(session, case.id)["report"]
    assignment.claim(session=session, work_item_id=item.id, actor=people["school_worker"], clock=clock)
    moved_lane = REFERENCE.replace("<bpmn:flowNodeRef>report</bpmn:flowNodeRef>", "").replace(
        "<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>assess</bpmn:flowNodeRef><bpmn:flowNodeRef>report</bpmn:flowNodeRef>")
    publish(session, network, clock, policy, moved_lane)
    assert migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy).moved == [case.id]
    report = live(session, case.id)["report"]
    assert (report.agency_code, report.state, report.assignee_id) == ("pmj_tak", "open", None)
    complete(session, clock, people, report, "social_worker", severity="low")
    assert set(live(session, case.id)) == {"file_report"}


@pytest.mark.parametrize("change, complaint", [
    pytest.param(
        lambda text: text.replace('<bpmn:userTask id="report" name="รับแจ้งเหตุ" camunda:formKey="report_form" camunda:candidateGroups="case_worker">',
                                  '<bpmn:manualTask id="report" name="รับแจ้งเหตุ">')
        .replace("<bpmn:outgoing>to_triage</bpmn:outgoing>\n    </bpmn:userTask>", "<bpmn:outgoing>to_triage</bpmn:outgoing>\n    </bpmn:manualTask>"),
        "is a UserTask but a ManualTask in version 2", id="kind-changed",
    ),
    pytest.param(
        lambda text: text.replace(
            "<bpmn:userTask id=\"file_report\"",
            '<bpmn:boundaryEvent id="report_deadline" attachedToRef="report" cancelActivity="false"><bpmn:outgoing>to_late</bpmn:outgoing>'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
            '<bpmn:endEvent id="late"><bpmn:incoming>to_late</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="to_late" sourceRef="report_deadline" targetRef="late"/>'
            "<bpmn:userTask id=\"file_report\"",
        ).replace("<bpmn:flowNodeRef>report</bpmn:flowNodeRef>",
                  "<bpmn:flowNodeRef>report</bpmn:flowNodeRef><bpmn:flowNodeRef>report_deadline</bpmn:flowNodeRef><bpmn:flowNodeRef>late</bpmn:flowNodeRef>"),
        "is reached differently in version 2", id="deadline-added",
    ),
])
def test_a_live_task_that_changed_its_nature_is_refused(session, network, clock, people, policy, change, complaint):
    publish(session, network, clock, policy, REFERENCE)
    case = start(session, network, clock, people)
    before = snapshot(session, case.id)
    publish(session, network, clock, policy, change(REFERENCE))
    report = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)
    assert report.moved == [] and [case_id for case_id, _ in report.refused] == [case.id]
    assert complaint in report.refused[0][1]
    assert snapshot(session, case.id) == before


def test_a_case_whose_completed_task_was_removed_is_refused(session, network, clock, people, policy):
    publish(session, network, clock, policy, REFERENCE)
    case = start(session, network, clock, people)
    complete(session, clock, people, live(session, case.id)["report"], "school_worker", severity="low")
    renamed_id = REFERENCE.replace('id="report"', 'id="intake"').replace('targetRef="report"', 'targetRef="intake"').replace(
        'sourceRef="report"', 'sourceRef="intake"').replace("<bpmn:flowNodeRef>report</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>intake</bpmn:flowNodeRef>")
    publish(session, network, clock, policy, renamed_id)
    report = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)
    assert "completed task 'รับแจ้งเหตุ' (report) does not exist in version 2" in report.refused[0][1]


# -- which cases, to which version --------------------------------------------------------------


def test_only_active_cases_on_other_versions_are_considered_unless_named(session, network, clock, people, policy):
    publish(session, network, clock, policy, REFERENCE)
    first, second, cancelled = (start(session, network, clock, people) for _ in range(3))
    commands.cancel_case(session=session, case_id=cancelled.id, reason="duplicate", actor=people["school_supervisor"], clock=clock)
    publish(session, network, clock, policy, RENAMED)
    named = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy, case_ids=[second.id, cancelled.id])
    assert named.moved == [second.id]
    assert named.refused == [(cancelled.id, f"คดี {cancelled.reference} อยู่ในสถานะ cancelled ไม่ได้ดำเนินอยู่ / case {cancelled.reference} is cancelled, not active")]
    everything = migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)
    assert (everything.moved, everything.refused) == ([first.id], [])


def test_cases_only_move_to_a_published_version(session, network, clock, people, policy):
    publish(session, network, clock, policy, REFERENCE)
    case = start(session, network, clock, people)
    protocols.store_draft(session=session, key=KEY, bpmn=RENAMED, network=network, clock=clock, actor=policy)
    with pytest.raises(InvalidState, match="not published"):
        migrate_cases(session=session, protocol_key=KEY, to_version=2, clock=clock, actor=policy)
    session.expire_all()
    assert session.get(Case, case.id).protocol_version_id == protocols.get_version(session=session, key=KEY, version=1).id


# -- immutability -------------------------------------------------------------------------------


def test_store_draft_never_changes_an_existing_version(session, network, clock, people, policy):
    first = publish(session, network, clock, policy, REFERENCE)
    kept = (first.bpmn_text, first.content_hash, first.spec_json, first.tasks_json, first.name, first.published_at)

    again, _ = protocols.store_draft(session=session, key=KEY, bpmn=REFERENCE.encode("utf-8"), network=network, clock=clock, actor=policy)
    # Same text with a BOM is the same content: the same version, unchanged.
    bom, _ = protocols.store_draft(session=session, key=KEY, bpmn="\ufeff" + REFERENCE, network=network, clock=clock, actor=policy)
    edited, _ = protocols.store_draft(session=session, key=KEY, bpmn=RENAMED, network=network, clock=clock, actor=policy)
    spaced, _ = protocols.store_draft(session=session, key=KEY, bpmn=REFERENCE + "\n", network=network, clock=clock, actor=policy)

    assert again.id == bom.id == first.id
    assert (edited.version, spaced.version) == (2, 3)
    session.expire_all()
    stored = session.get(ProtocolVersion, first.id)
    assert (stored.bpmn_text, stored.content_hash, stored.spec_json, stored.tasks_json, stored.name, stored.published_at) == kept
    assert stored.published and stored.version == 1
    assert stored.bpmn_text == REFERENCE

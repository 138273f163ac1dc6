"""Named assignees checked against the user table at upload (issue 9, item 16, the lint part).

A protocol could hand a pmj_tak task to worker.police_tak with camunda:assignee, and the police
officer was then shown a child's case of another agency.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.models import WorkItem
from engine.errors import InvalidInput, ProtocolInvalid
from engine.people.models import User
from engine.protocols import service as protocols
from engine.protocols.assignees import accounts_in
from engine.protocols.findings import Severity
from engine.protocols.parsing import parse_protocol
from tests.bpmn_builders import one_task
from tests.conftest import add_user

SPIFF_ASSIGNEE = (
    "<bpmn:extensionElements><spiffworkflow:properties>"
    '<spiffworkflow:property name="assignee" value="{who}"/>'
    "</spiffworkflow:properties></bpmn:extensionElements>"
)


@pytest.fixture
def people(session):
    return {
        "policy": add_user(session, "policy.one", "policy", None),
        "police": add_user(session, "worker.police_tak", "case_worker", "police_tak"),
        "police_head": add_user(session, "supervisor.police_tak", "supervisor", "police_tak"),
        "social": add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak"),
        "head": add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak"),
        "admin": add_user(session, "admin.one", "admin", None),
    }


def assigned(who: str, *, spiff: bool = False, role: str | None = None) -> str:
    if spiff:
        return one_task(inner="").replace(
            '<bpmn:incoming>f1</bpmn:incoming>', SPIFF_ASSIGNEE.format(who=who) + "<bpmn:incoming>f1</bpmn:incoming>", 1)
    groups = f' camunda:candidateGroups="{role}"' if role else ""
    return one_task(attributes=f' camunda:assignee="{who}"{groups}')


def lint(session, network, document: str) -> list[tuple[str, str | None, Severity]]:
    try:
        findings = parse_protocol(document, network=network, accounts=accounts_in(session)).findings
    except ProtocolInvalid as exc:
        findings = exc.findings
    return [(f.code, f.element_id, f.severity) for f in findings]


@pytest.mark.parametrize("who", ["worker.pmj_tak", "supervisor.pmj_tak"])
def test_a_worker_or_supervisor_of_the_lanes_agency_may_be_named_but_not_one_of_another(session, network, people, who):
    assert lint(session, network, assigned(who)) == []
    other = who.replace("pmj_tak", "police_tak")
    assert lint(session, network, assigned(other)) == [("assignee-not-in-agency", "assess", Severity.ERROR)]


@pytest.mark.parametrize("who, spiff", [
    ("worker.police_tak", False),   # another agency
    ("worker.police_tak", True),    # the spiff-arena property, same rule
    ("policy.one", False),          # a role that works no tasks
    ("admin.one", False),
])
def test_someone_who_may_not_work_the_lanes_tasks_is_refused_at_the_task(session, network, people, who, spiff):
    assert lint(session, network, assigned(who, spiff=spiff)) == [("assignee-not-in-agency", "assess", Severity.ERROR)]


def test_a_case_worker_named_for_a_supervisors_task_is_refused(session, network, people):
    assert lint(session, network, assigned("worker.pmj_tak", role="supervisor")) == [
        ("assignee-not-in-agency", "assess", Severity.ERROR),
    ]
    assert lint(session, network, assigned("supervisor.pmj_tak", role="supervisor")) == []


def test_the_finding_says_who_and_which_agency_in_thai_and_english(session, network, people):
    with pytest.raises(ProtocolInvalid) as refused:
        parse_protocol(assigned("worker.police_tak"), network=network, accounts=accounts_in(session))
    [finding] = refused.value.findings
    for message in (finding.message_en, finding.message_th):
        assert "worker.police_tak" in message and "police_tak" in message and "pmj_tak" in message


def test_an_unknown_or_disabled_account_is_a_warning_and_the_protocol_stores(session, network, people, clock):
    assert lint(session, network, assigned("somchai.pmj_tak")) == [("assignee-unknown", "assess", Severity.WARNING)]
    leaver = session.get(User, people["social"].user_id)
    leaver.active = False
    session.commit()
    assert lint(session, network, assigned("worker.pmj_tak")) == [("assignee-unknown", "assess", Severity.WARNING)]
    version, findings = protocols.store_draft(
        session=session, key="assigned", bpmn=assigned("somchai.pmj_tak"), network=network, clock=clock,
        actor=people["policy"],
    )
    assert version.version == 1 and [f.code for f in findings] == ["assignee-unknown"]


def test_uploads_check_assignees_against_the_user_table_which_a_file_alone_cannot(session, network, people, clock):
    with pytest.raises(ProtocolInvalid) as refused:
        protocols.store_draft(
            session=session, key="assigned", bpmn=assigned("worker.police_tak"), network=network, clock=clock,
            actor=people["policy"],
        )
    assert [(f.code, f.element_id) for f in refused.value.findings] == [("assignee-not-in-agency", "assess")]
    # Linting a file on its own (the CLI) cannot know the accounts.
    assert parse_protocol(assigned("worker.police_tak"), network=network).findings == []


# -- at runtime (issue 9, item 16, the runtime part) -----------------------------------------------


def _published_case(session, network, clock, people, who: str):
    version, _ = protocols.store_draft(session=session, key="assigned", bpmn=assigned(who), network=network, clock=clock,
                                       actor=people["policy"])
    protocols.publish(session=session, key="assigned", version=version.version, clock=clock, actor=people["policy"])
    session.commit()
    return commands.start_case(session=session, protocol_key="assigned", data={}, actor=people["head"], clock=clock,
                               network=network)


def _refusals(session):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == "work_item.assignee_refused")).all()


def test_a_named_assignee_of_the_lanes_agency_gets_the_task(session, network, people, clock):
    case = _published_case(session, network, clock, people, "worker.pmj_tak")
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert (item.state, item.assignee_id) == ("claimed", people["social"].user_id)
    assert _refusals(session) == []


def test_a_named_assignee_who_moved_to_another_agency_is_refused_at_runtime_and_audited(session, network, people, clock):
    """Lint passed when the protocol was published; then the account moved to the police. The
    task must not go to them: it waits in the lane's agency's queue, and the refusal is audited."""
    version, _ = protocols.store_draft(session=session, key="assigned", bpmn=assigned("worker.pmj_tak"), network=network,
                                       clock=clock, actor=people["policy"])
    protocols.publish(session=session, key="assigned", version=version.version, clock=clock, actor=people["policy"])
    moved = session.get_one(User, people["social"].user_id)
    moved.agency_code = "police_tak"
    session.commit()
    case = commands.start_case(session=session, protocol_key="assigned", data={}, actor=people["head"], clock=clock,
                               network=network)
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    assert (item.state, item.assignee_id, item.agency_code) == ("open", None, "pmj_tak")
    [refusal] = _refusals(session)
    assert (refusal.case_id, refusal.work_item_id) == (case.id, item.id)
    assert {k: refusal.details[k] for k in ("assignee", "assignee_agency", "agency", "named_by")} == {
        "assignee": "worker.pmj_tak", "assignee_agency": "police_tak", "agency": "pmj_tak", "named_by": "protocol",
    }
    assert "must belong to the lane's agency" in refusal.details["message"]


def test_a_supervisor_cannot_give_a_task_to_someone_of_another_agency_and_the_attempt_is_audited(
    session, network, people, clock
):
    case = _published_case(session, network, clock, people, "worker.pmj_tak")
    item = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    with pytest.raises(InvalidInput) as refused:
        assignment.reassign(session=session, work_item_id=item.id, assignee_id=people["police"].user_id,
                            actor=people["head"], clock=clock)
    assert refused.value.details["field"] == "assignee_id"
    assert "worker.police_tak" in refused.value.message and "pmj_tak" in refused.value.message
    session.expire_all()
    assert session.get_one(WorkItem, item.id).assignee_id == people["social"].user_id  # unchanged
    [refusal] = _refusals(session)
    assert (refusal.actor_id, refusal.work_item_id) == (people["head"].user_id, item.id)
    assert (refusal.details["assignee"], refusal.details["named_by"]) == ("worker.police_tak", "supervisor")

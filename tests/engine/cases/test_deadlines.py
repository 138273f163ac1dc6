"""Deadlines and timers in running cases, on the simulated clock.

Each test publishes a small protocol written below, starts a case, moves the clock and ticks.
The values asserted are exact instants: a deadline that is off by the server's UTC offset or by
the time it took to run the command is a wrong deadline.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.models import Case, WorkItem
from engine.cases.state import workflow_from_rows
from engine.clock import SimulatedClock
from engine.deadlines.tick import tick
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion
from tests.conftest import START

TAK = timezone(timedelta(hours=7))
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def protocol(process_id: str, body: str, *, root: str = "", **lanes: list[str]) -> str:
    """A one-process BPMN document; each keyword is an agency-code lane and the ids it holds.

    ``root`` holds definitions-level elements (messages), which the XSD does not allow inside
    a process.
    """
    lane_xml = "".join(
        f'<bpmn:lane id="lane_{code}" name="{code}">'
        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
        + "</bpmn:lane>"
        for code, refs in lanes.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:spiffworkflow="{SPIFF_NS}" '
        f'xmlns:camunda="{CAMUNDA_NS}" id="{process_id}_definitions" '
        'targetNamespace="https://khumkrong.example/test">\n'
        f"{root}\n"
        f'<bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">\n'
        f'<bpmn:laneSet id="{process_id}_lanes">{lane_xml}</bpmn:laneSet>\n'
        f"{body}\n"
        "</bpmn:process>\n"
        "</bpmn:definitions>\n"
    )


def flow(flow_id: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'


def user_task(task_id: str, incoming: str, outgoing: str, extra: str = "", attributes: str = "") -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="{task_id}"{attributes}>{extra}'
        f"<bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>"
        "</bpmn:userTask>"
    )


def start_event(outgoing: str) -> str:
    return f'<bpmn:startEvent id="begin"><bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:startEvent>'


def end_event(end_id: str, incoming: str) -> str:
    return f'<bpmn:endEvent id="{end_id}"><bpmn:incoming>{incoming}</bpmn:incoming></bpmn:endEvent>'


def timer(kind: str, text: str) -> str:
    return f"<bpmn:timerEventDefinition><bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition>"


def boundary(event_id: str, attached: str, outgoing: str, definition: str, *, interrupting: bool) -> str:
    return (
        f'<bpmn:boundaryEvent id="{event_id}" attachedToRef="{attached}" '
        f'cancelActivity="{"true" if interrupting else "false"}">'
        f"<bpmn:outgoing>{outgoing}</bpmn:outgoing>{definition}</bpmn:boundaryEvent>"
    )


def deadline_protocol(process_id: str, definition: str, *, interrupting: bool = False) -> str:
    """assess (school) with one timer boundary event leading to follow_up (social welfare)."""
    body = "\n".join([
        start_event("to_assess"),
        user_task("assess", "to_assess", "to_done"),
        boundary("assess_deadline", "assess", "to_follow_up", definition, interrupting=interrupting),
        user_task("follow_up", "to_follow_up", "to_followed_up"),
        end_event("done", "to_done"),
        end_event("followed_up", "to_followed_up"),
        flow("to_assess", "begin", "assess"),
        flow("to_done", "assess", "done"),
        flow("to_follow_up", "assess_deadline", "follow_up"),
        flow("to_followed_up", "follow_up", "followed_up"),
    ])
    return protocol(
        process_id, body,
        spm_tak=["begin", "assess", "assess_deadline", "done"],
        pmj_tak=["follow_up", "followed_up"],
    )


def publish(session, network, clock, people, key: str, bpmn: str) -> ProtocolVersion:
    version, _ = protocols.store_draft(
        session=session, key=key, bpmn=bpmn, network=network, clock=clock, actor=people["policy"]
    )
    return protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=people["policy"])


def start(session, network, clock, people, key: str, **data) -> Case:
    return commands.start_case(
        session=session, protocol_key=key, data=data, actor=people["school_worker"], clock=clock, network=network
    )


def items(session, case_id: int, task_name: str | None = None) -> list[WorkItem]:
    statement = select(WorkItem).where(WorkItem.case_id == case_id).order_by(WorkItem.id)
    if task_name is not None:
        statement = statement.where(WorkItem.task_name == task_name)
    session.expire_all()
    return list(session.scalars(statement))


def live(session, case_id: int) -> dict[str, WorkItem]:
    return {i.task_name: i for i in items(session, case_id) if i.state in ("open", "claimed")}


def next_timer(session, case_id: int) -> datetime | None:
    session.expire_all()
    return session.get(Case, case_id).next_timer_at


# -- 1. every way of writing a timer works in a running case ------------------------------------


@pytest.mark.parametrize(
    "text, delay",
    [
        # What a modeller types; the loader quotes it so SpiffWorkflow's evaluator reads a string.
        ("PT24H", timedelta(hours=24)),
        # Already quoted: the loader must leave it alone, not quote it twice.
        ('"PT2H"', timedelta(hours=2)),
        # Expressions return timedeltas, which the engine turns into ISO durations.
        ("hours(3)", timedelta(hours=3)),
        ("days(1)", timedelta(days=1)),
    ],
    ids=["unquoted", "quoted", "hours-expression", "days-expression"],
)
def test_duration_timer_forms_set_the_deadline_and_fire(session, network, clock, people, text, delay):
    publish(session, network, clock, people, "deadline_forms", deadline_protocol("deadline_forms", timer("timeDuration", text)))
    case = start(session, network, clock, people, "deadline_forms")
    assess = live(session, case.id)["assess"]
    assert assess.created_at == START
    assert assess.due_at == START + delay
    assert next_timer(session, case.id) == START + delay

    clock.advance(delay - timedelta(minutes=1))
    early = tick(session=session, clock=clock, network=network)
    assert (early.cases_examined, early.timers_fired) == (0, 0)
    assert set(live(session, case.id)) == {"assess"}

    clock.advance(timedelta(minutes=2))
    fired = tick(session=session, clock=clock, network=network)
    assert (fired.cases_examined, fired.timers_fired, fired.failed_case_ids) == (1, 1, [])
    after = live(session, case.id)
    assert set(after) == {"assess", "follow_up"}
    assert after["follow_up"].agency_code == "pmj_tak"
    assert after["follow_up"].created_at == START + delay + timedelta(minutes=1)
    # Non-interrupting: the task stays with its owner, and its deadline is spent.
    assert after["assess"].id == assess.id
    assert next_timer(session, case.id) is None


def test_time_date_on_an_intermediate_catch_event_waits_until_that_instant(session, network, clock, people):
    body = "\n".join([
        start_event("to_wait"),
        '<bpmn:intermediateCatchEvent id="wait_until"><bpmn:incoming>to_wait</bpmn:incoming>'
        "<bpmn:outgoing>to_assess</bpmn:outgoing>"
        + timer("timeDate", "2026-12-01T09:00:00+07:00")
        + "</bpmn:intermediateCatchEvent>",
        user_task("assess", "to_assess", "to_done"),
        end_event("done", "to_done"),
        flow("to_wait", "begin", "wait_until"),
        flow("to_assess", "wait_until", "assess"),
        flow("to_done", "assess", "done"),
    ])
    publish(session, network, clock, people, "wait_date", protocol("wait_date", body, spm_tak=["begin", "wait_until", "assess", "done"]))
    case = start(session, network, clock, people, "wait_date")
    due = datetime(2026, 12, 1, 9, 0, tzinfo=TAK)
    assert items(session, case.id) == []
    assert next_timer(session, case.id) == due
    assert next_timer(session, case.id) == datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)

    clock.set(due - timedelta(minutes=1))
    assert tick(session=session, clock=clock, network=network).timers_fired == 0
    assert items(session, case.id) == []

    clock.set(due + timedelta(minutes=1))
    report = tick(session=session, clock=clock, network=network)
    assert (report.cases_examined, report.timers_fired) == (1, 1)
    assess = live(session, case.id)["assess"]
    assert assess.created_at == due + timedelta(minutes=1)
    assert assess.due_at is None
    assert next_timer(session, case.id) is None


def test_cycle_on_a_non_interrupting_boundary_fires_twice_then_stops(session, network, clock, people):
    bpmn = deadline_protocol("reminders", timer("timeCycle", "R2/PT1H"))
    publish(session, network, clock, people, "reminders", bpmn)
    case = start(session, network, clock, people, "reminders")
    assess = live(session, case.id)["assess"]
    assert assess.due_at == START + timedelta(hours=1)
    assert next_timer(session, case.id) == START + timedelta(hours=1)

    clock.advance(timedelta(minutes=61))
    assert tick(session=session, clock=clock, network=network).cases_examined == 1
    assert len(items(session, case.id, "follow_up")) == 1
    # The second cycle is due one interval after the first was due, not after it fired.
    assert next_timer(session, case.id) == START + timedelta(hours=2)

    clock.advance(timedelta(hours=1))
    assert tick(session=session, clock=clock, network=network).cases_examined == 1
    assert len(items(session, case.id, "follow_up")) == 2
    assert next_timer(session, case.id) is None

    clock.advance(timedelta(hours=5))
    assert tick(session=session, clock=clock, network=network).cases_examined == 0
    # Another command runs the workflow (and its timer refresh) again: still no third reminder.
    first = items(session, case.id, "follow_up")[0]
    commands.complete(session=session, work_item_id=first.id, data={}, actor=people["social_worker"], clock=clock, network=network)
    follow_ups = items(session, case.id, "follow_up")
    assert [(i.created_at, i.state) for i in follow_ups] == [
        (START + timedelta(minutes=61), "completed"), (START + timedelta(minutes=121), "open"),
    ]
    assert live(session, case.id)["assess"].id == assess.id
    assert next_timer(session, case.id) is None


def test_cycle_firings_are_counted_and_audited(session, network, clock, people):
    publish(session, network, clock, people, "reminders", deadline_protocol("reminders", timer("timeCycle", "R2/PT1H")))
    case = start(session, network, clock, people, "reminders")
    reports = []
    for _ in range(2):
        clock.advance(timedelta(hours=1, minutes=1))
        reports.append(tick(session=session, clock=clock, network=network))
    clock.advance(timedelta(minutes=5))
    first = items(session, case.id, "follow_up")[0]
    commands.complete(session=session, work_item_id=first.id, data={}, actor=people["social_worker"], clock=clock, network=network)

    assert [(r.cases_examined, r.timers_fired) for r in reports] == [(1, 1), (1, 1)]
    audited = [
        (e.action, e.details)
        for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
        if e.action in ("case.timers_fired", "work_item.created")
    ]
    # Each firing is recorded before the reminder it opened; the exhausted cycle fires nothing.
    assert [(action, details.get("timers", details.get("task"))) for action, details in audited] == [
        ("work_item.created", "assess"),
        ("case.timers_fired", ["assess_deadline"]), ("work_item.created", "follow_up"),
        ("case.timers_fired", ["assess_deadline"]), ("work_item.created", "follow_up"),
    ]


# -- 2. due_at: the earliest deadline, interrupting timers, dueDate ---------------------------


def escalation_protocol() -> str:
    body = "\n".join([
        start_event("to_assess"),
        user_task("assess", "to_assess", "to_done"),
        boundary("remind", "assess", "to_follow_up", timer("timeDuration", "PT48H"), interrupting=False),
        boundary("take_over", "assess", "to_review", timer("timeDuration", "PT12H"), interrupting=True),
        user_task("follow_up", "to_follow_up", "to_followed_up"),
        user_task("supervisor_review", "to_review", "to_reviewed", attributes=' camunda:candidateGroups="supervisor"'),
        end_event("done", "to_done"),
        end_event("followed_up", "to_followed_up"),
        end_event("reviewed", "to_reviewed"),
        flow("to_assess", "begin", "assess"),
        flow("to_done", "assess", "done"),
        flow("to_follow_up", "remind", "follow_up"),
        flow("to_followed_up", "follow_up", "followed_up"),
        flow("to_review", "take_over", "supervisor_review"),
        flow("to_reviewed", "supervisor_review", "reviewed"),
    ])
    return protocol(
        "escalation", body,
        spm_tak=["begin", "assess", "remind", "take_over", "supervisor_review", "done", "reviewed"],
        pmj_tak=["follow_up", "followed_up"],
    )


def test_due_at_is_the_earliest_boundary_timer_and_an_interrupting_one_takes_the_work_away(
    session, network, clock, people
):
    publish(session, network, clock, people, "escalation", escalation_protocol())
    case = start(session, network, clock, people, "escalation")
    assess = live(session, case.id)["assess"]
    assert assess.due_at == START + timedelta(hours=12)
    assert next_timer(session, case.id) == START + timedelta(hours=12)
    assignment.claim(session=session, work_item_id=assess.id, actor=people["school_worker"], clock=clock)

    clock.advance(timedelta(hours=12, minutes=1))
    report = tick(session=session, clock=clock, network=network)
    assert (report.cases_examined, report.timers_fired) == (1, 1)

    session.expire_all()
    withdrawn = session.get(WorkItem, assess.id)
    assert withdrawn.state == "cancelled"
    assert withdrawn.completed_at == clock.now()
    assert withdrawn.completed_by_id is None
    now_live = live(session, case.id)
    assert set(now_live) == {"supervisor_review"}
    review = now_live["supervisor_review"]
    assert (review.agency_code, review.candidate_role, review.due_at) == ("spm_tak", "supervisor", None)
    # The 48-hour reminder went with the task it was attached to.
    assert next_timer(session, case.id) is None
    clock.advance(timedelta(days=3))
    assert tick(session=session, clock=clock, network=network).timers_fired == 0
    assert items(session, case.id, "follow_up") == []

    actions = [
        (e.action, e.details.get("task"))
        for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id))
    ]
    case_actions = [a for a in actions if not a[0].startswith("escalation.")]
    assert case_actions[-3:] == [
        ("case.timers_fired", None), ("work_item.cancelled", "assess"), ("work_item.created", "supervisor_review"),
    ]
    # The interrupting deadline also raised an escalation about the withdrawn task.
    assert actions.count(("escalation.raised", None)) == 1


def test_due_date_property_alone_sets_due_at_and_no_timer(session, network, clock, people):
    due_date = (
        '<bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="dueDate" value="P2D"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )
    body = "\n".join([
        start_event("to_assess"),
        user_task("assess", "to_assess", "to_record", extra=due_date),
        user_task("record", "to_record", "to_done"),
        end_event("done", "to_done"),
        flow("to_assess", "begin", "assess"),
        flow("to_record", "assess", "record"),
        flow("to_done", "record", "done"),
    ])
    publish(session, network, clock, people, "due_date_only", protocol("due_date_only", body, spm_tak=["begin", "assess", "record", "done"]))
    case = start(session, network, clock, people, "due_date_only")
    assess = live(session, case.id)["assess"]
    assert assess.due_at == START + timedelta(days=2)
    # A dueDate is a deadline to show, not a timer: nothing will fire for it.
    assert next_timer(session, case.id) is None

    clock.advance(timedelta(hours=5))
    commands.complete(session=session, work_item_id=assess.id, data={}, actor=people["school_worker"], clock=clock, network=network)
    record = live(session, case.id)["record"]
    assert record.created_at == START + timedelta(hours=5)
    assert record.due_at is None
    assert next_timer(session, case.id) is None


def test_camunda_due_date_counts_from_the_task_not_the_case(session, network, clock, people):
    body = "\n".join([
        start_event("to_assess"),
        user_task("assess", "to_assess", "to_record"),
        user_task("record", "to_record", "to_done", attributes=' camunda:dueDate="PT36H"'),
        end_event("done", "to_done"),
        flow("to_assess", "begin", "assess"),
        flow("to_record", "assess", "record"),
        flow("to_done", "record", "done"),
    ])
    publish(session, network, clock, people, "camunda_due", protocol("camunda_due", body, spm_tak=["begin", "assess", "record", "done"]))
    case = start(session, network, clock, people, "camunda_due")
    assess = live(session, case.id)["assess"]
    assert assess.due_at is None
    clock.advance(timedelta(hours=3))
    commands.complete(session=session, work_item_id=assess.id, data={}, actor=people["school_worker"], clock=clock, network=network)
    assert live(session, case.id)["record"].due_at == START + timedelta(hours=39)


# -- 3. the event-based gateway caveat ----------------------------------------------------------


def event_gateway_protocol() -> str:
    body = "\n".join([
        start_event("to_report"),
        user_task("report", "to_report", "to_gate"),
        '<bpmn:eventBasedGateway id="gate"><bpmn:incoming>to_gate</bpmn:incoming>'
        "<bpmn:outgoing>to_reply</bpmn:outgoing><bpmn:outgoing>to_silence</bpmn:outgoing></bpmn:eventBasedGateway>",
        '<bpmn:intermediateCatchEvent id="reply_received"><bpmn:incoming>to_reply</bpmn:incoming>'
        '<bpmn:outgoing>to_handle</bpmn:outgoing><bpmn:messageEventDefinition messageRef="reply_message"/>'
        "</bpmn:intermediateCatchEvent>",
        '<bpmn:intermediateCatchEvent id="no_reply"><bpmn:incoming>to_silence</bpmn:incoming>'
        "<bpmn:outgoing>to_chase</bpmn:outgoing>" + timer("timeDuration", "PT6H") + "</bpmn:intermediateCatchEvent>",
        user_task("handle_reply", "to_handle", "to_handled"),
        user_task("chase_up", "to_chase", "to_chased"),
        end_event("handled", "to_handled"),
        end_event("chased", "to_chased"),
        flow("to_report", "begin", "report"),
        flow("to_gate", "report", "gate"),
        flow("to_reply", "gate", "reply_received"),
        flow("to_silence", "gate", "no_reply"),
        flow("to_handle", "reply_received", "handle_reply"),
        flow("to_chase", "no_reply", "chase_up"),
        flow("to_handled", "handle_reply", "handled"),
        flow("to_chased", "chase_up", "chased"),
    ])
    return protocol(
        "await_reply", body, root='<bpmn:message id="reply_message" name="agency_reply"/>',
        spm_tak=["begin", "report", "gate", "reply_received", "no_reply", "handled", "chased"],
        pmj_tak=["handle_reply", "chase_up"],
    )


def test_timer_behind_an_event_based_gateway_is_scheduled(session, network, clock, people):
    version = publish(session, network, clock, people, "await_reply", event_gateway_protocol())
    case = start(session, network, clock, people, "await_reply")
    assert next_timer(session, case.id) is None
    report = live(session, case.id)["report"]

    # The timer counts from when the gateway is reached, not from the start of the case.
    clock.advance(timedelta(hours=1))
    entered = clock.now()
    commands.complete(session=session, work_item_id=report.id, data={}, actor=people["school_worker"], clock=clock, network=network)
    assert live(session, case.id) == {}
    assert next_timer(session, case.id) == entered + timedelta(hours=6)

    # Why the engine cannot take due times from SpiffWorkflow's own listing: it shows no time.
    session.expire_all()
    workflow = workflow_from_rows(session, session.get(Case, case.id), version.spec_json)
    waiting = workflow.waiting_events()
    assert [(e.event_type, e.value) for e in waiting] == [("MultipleEventDefinition", None)]
    gate = [t for t in workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == "gate"]
    assert len(gate) == 1

    clock.advance(timedelta(hours=5, minutes=59))
    assert tick(session=session, clock=clock, network=network).timers_fired == 0
    assert live(session, case.id) == {}

    clock.advance(timedelta(minutes=2))
    fired = tick(session=session, clock=clock, network=network)
    assert (fired.cases_examined, fired.timers_fired, fired.failed_case_ids) == (1, 1, [])
    chase = live(session, case.id)
    assert set(chase) == {"chase_up"}
    assert chase["chase_up"].agency_code == "pmj_tak"
    assert chase["chase_up"].created_at == entered + timedelta(hours=6, minutes=1)
    assert next_timer(session, case.id) is None
    assert items(session, case.id, "handle_reply") == []


# -- 4. simulated time, not wall time -----------------------------------------------------------


def test_timers_follow_the_simulated_clock_not_the_wall_clock(session, network, people):
    """A case living in January 2020: the wall clock is years past its deadline, the case's is not."""
    past = SimulatedClock(datetime(2020, 1, 6, 9, 0, tzinfo=TAK))
    opened = past.now()
    body = "\n".join([
        start_event("to_fork"),
        '<bpmn:parallelGateway id="fork"><bpmn:incoming>to_fork</bpmn:incoming>'
        "<bpmn:outgoing>to_assess</bpmn:outgoing><bpmn:outgoing>to_note</bpmn:outgoing></bpmn:parallelGateway>",
        user_task("assess", "to_assess", "to_assessed"),
        boundary("assess_deadline", "assess", "to_follow_up", timer("timeDuration", "PT1H"), interrupting=False),
        user_task("note", "to_note", "to_noted"),
        user_task("follow_up", "to_follow_up", "to_followed_up"),
        end_event("assessed", "to_assessed"),
        end_event("noted", "to_noted"),
        end_event("followed_up", "to_followed_up"),
        flow("to_fork", "begin", "fork"),
        flow("to_assess", "fork", "assess"),
        flow("to_note", "fork", "note"),
        flow("to_assessed", "assess", "assessed"),
        flow("to_noted", "note", "noted"),
        flow("to_follow_up", "assess_deadline", "follow_up"),
        flow("to_followed_up", "follow_up", "followed_up"),
    ])
    bpmn = protocol(
        "wall_clock", body,
        spm_tak=["begin", "fork", "assess", "assess_deadline", "note", "assessed", "noted"],
        pmj_tak=["follow_up", "followed_up"],
    )
    publish(session, network, past, people, "wall_clock", bpmn)
    case = start(session, network, past, people, "wall_clock")
    assert live(session, case.id)["assess"].due_at == opened + timedelta(hours=1)
    assert next_timer(session, case.id) == opened + timedelta(hours=1)

    not_moved = tick(session=session, clock=past, network=network)
    assert (not_moved.cases_examined, not_moved.timers_fired) == (0, 0)

    # Any command re-checks timers; this one runs inside SpiffWorkflow, where a wall-clock
    # reading would see the 2020 deadline as long gone.
    past.advance(timedelta(minutes=30))
    note = live(session, case.id)["note"]
    commands.complete(session=session, work_item_id=note.id, data={}, actor=people["school_worker"], clock=past, network=network)
    assert set(live(session, case.id)) == {"assess"}
    assert next_timer(session, case.id) == opened + timedelta(hours=1)

    past.advance(timedelta(minutes=31))
    moved = tick(session=session, clock=past, network=network)
    assert (moved.cases_examined, moved.timers_fired) == (1, 1)
    assert set(live(session, case.id)) == {"assess", "follow_up"}


# -- 5. one tick, several cases -----------------------------------------------------------------


def test_tick_fires_only_the_cases_that_are_due(session, network, clock, people):
    publish(session, network, clock, people, "two_cases", deadline_protocol("two_cases", timer("timeDuration", "PT2H")))
    first = start(session, network, clock, people, "two_cases")
    clock.advance(timedelta(hours=1))
    second = start(session, network, clock, people, "two_cases")
    assert next_timer(session, first.id) == START + timedelta(hours=2)
    assert next_timer(session, second.id) == START + timedelta(hours=3)

    clock.set(START + timedelta(hours=2, minutes=30))
    between = tick(session=session, clock=clock, network=network)
    assert (between.cases_examined, between.timers_fired, between.failed_case_ids) == (1, 1, [])
    assert set(live(session, first.id)) == {"assess", "follow_up"}
    assert set(live(session, second.id)) == {"assess"}
    assert next_timer(session, first.id) is None
    assert next_timer(session, second.id) == START + timedelta(hours=3)

    clock.set(START + timedelta(hours=3, minutes=1))
    later = tick(session=session, clock=clock, network=network)
    assert (later.cases_examined, later.timers_fired) == (1, 1)
    assert set(live(session, second.id)) == {"assess", "follow_up"}
    assert len(items(session, first.id, "follow_up")) == 1

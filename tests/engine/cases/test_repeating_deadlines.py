"""Issue 9 item 2: a deadline that repeats every second (``R/PT1S``, published before lint refused
it) must neither multiply escalations nor grow the case's stored state with every firing.

Before: an hour on the simulated clock made 3,599 escalations, and the state grew by about a
kilobyte per second of firing.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, Escalation, WorkItem
from engine.cases.state import finished_rows
from engine.deadlines import service as deadlines
from engine.deadlines.tick import tick
from engine.protocols import service as protocols
from engine.workflow.live import live_workflows
from tests.bpmn_builders import with_timer
from tests.conftest import add_user
from tests.engine.cases.test_run_budget import PLACEHOLDER, publish_unlinted, start

WORKER_INTERVAL = timedelta(seconds=15)  # the worker's default: what one pass sees of R/PT1S


def pass_time(session, network, clock, span: timedelta) -> int:
    """Tick as the worker would over ``span``; the timer firings."""
    fired = 0
    for _ in range(int(span / WORKER_INTERVAL)):
        clock.advance(WORKER_INTERVAL)
        report = tick(session=session, clock=clock, network=network)
        assert report.failed_case_ids == []
        fired += report.timers_fired
    return fired


def state_bytes(session, case_id: int) -> int:
    """The whole stored state: the live part and the finished tasks stored apart (the pruned
    branches' rows must go as well)."""
    session.expire_all()
    rows = sum(len(row.task_json.encode()) for row in finished_rows(session, case_id))
    return len(session.get(Case, case_id).state_json.encode()) + rows


def test_an_hour_of_a_deadline_repeating_every_second(session, network, clock, people):
    publish_unlinted(session, network, clock, people, "flood", "R/PT1S")
    case = start(session, network, clock, people, "flood")
    assess = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
    fired = pass_time(session, network, clock, timedelta(minutes=1))
    after_a_minute = state_bytes(session, case.id)

    fired += pass_time(session, network, clock, timedelta(minutes=59))
    after_an_hour = state_bytes(session, case.id)

    # Every second of the hour but the last, which is due and not yet past (SpiffWorkflow fires a
    # timer once its time is strictly behind the clock).
    assert fired == 3599
    # One open escalation for the one late task, however often its deadline fired.
    escalations = session.scalars(select(Escalation).where(Escalation.case_id == case.id)).all()
    assert [(e.work_item_id, e.level, e.status) for e in escalations] == [(assess.id, 1, "open")]
    assert session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "escalation.raised")
    ) == 1
    # The state is as big after an hour as after a minute (give or take the timer's own counters).
    assert after_an_hour - after_a_minute < 64, (after_a_minute, after_an_hour)

    # And the pruned state still runs: the task completes and so does the case.
    commands.complete(session=session, work_item_id=assess.id, data={}, actor=people["social_worker"], clock=clock, network=network)
    session.expire_all()
    assert session.get(Case, case.id).status == "completed"


def test_a_repeating_deadline_raises_again_once_its_escalation_was_acknowledged(session, network, clock, people):
    publish_unlinted(session, network, clock, people, "flood", "R/PT1H")
    case = start(session, network, clock, people, "flood")
    clock.advance(timedelta(minutes=61))
    tick(session=session, clock=clock, network=network)
    [first] = session.scalars(select(Escalation).where(Escalation.case_id == case.id)).all()
    supervisor = add_user(session, "supervisor.pmj_tak", "supervisor", "pmj_tak")
    deadlines.acknowledge(session=session, escalation_id=first.id, note="รับทราบ", actor=supervisor, clock=clock)

    clock.advance(timedelta(hours=1))
    tick(session=session, clock=clock, network=network)
    clock.advance(timedelta(hours=1))
    tick(session=session, clock=clock, network=network)

    rows = session.scalars(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id)).all()
    # Still late after it was seen: one new escalation, a level up, and no more while it is open.
    assert [(e.level, e.status) for e in rows] == [(1, "acknowledged"), (2, "open")]


def test_the_database_holds_one_open_escalation_per_work_item_and_deadline(session, network, clock, people):
    publish_unlinted(session, network, clock, people, "flood", "R/PT1H")
    case = start(session, network, clock, people, "flood")
    clock.advance(timedelta(minutes=61))
    tick(session=session, clock=clock, network=network)
    [first] = session.scalars(select(Escalation).where(Escalation.case_id == case.id)).all()

    def copy(**changes) -> Escalation:
        columns = {c.key: getattr(first, c.key) for c in Escalation.__mapper__.column_attrs if c.key not in ("id", "version")}
        return Escalation(**{**columns, **changes})

    # A second open one for the same work item and deadline is refused by the index itself,
    # whatever code writes it (two workers racing on PostgreSQL, say).
    session.add(copy())
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # Another deadline of the same item, or the same deadline once the first is handled, may.
    session.add(copy(source_element="another_deadline"))
    session.add(copy(status="resolved"))
    session.flush()
    session.rollback()


def escalating_deadline() -> str:
    """The builders' task whose repeating deadline leads to an escalation end event (statutory_limit)."""
    document = with_timer("timeCycle", PLACEHOLDER)
    document = document.replace(
        '<bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:endEvent id="late"><bpmn:incoming>f3</bpmn:incoming>'
        '<bpmn:escalationEventDefinition id="late_escalation" escalationRef="esc_limit"/></bpmn:endEvent>',
    )
    return document.replace(
        "<bpmn:process ", '<bpmn:escalation id="esc_limit" name="เกินกำหนด" escalationCode="statutory_limit"/>\n<bpmn:process ', 1,
    )


def test_an_escalation_event_on_a_repeating_deadline_path_is_raised_once_while_open(session, network, clock, people):
    publish_unlinted(session, network, clock, people, "flood", "R/PT1S", document=escalating_deadline())
    case = start(session, network, clock, people, "flood")
    assess = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))

    assert pass_time(session, network, clock, timedelta(minutes=5)) == 299

    rows = session.scalars(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id)).all()
    # One for the deadline, one for what its path threw; each once.
    assert [(e.reason, e.source_element, e.code, e.work_item_id, e.status) for e in rows] == [
        ("overdue", "assess_deadline", None, assess.id, "open"),
        ("thrown", "late", "statutory_limit", assess.id, "open"),
    ]


@pytest.mark.postgres
def test_two_commands_raising_the_same_deadline_at_once_make_one_escalation(postgres_session_factory, network, clock):
    """Race-safe on PostgreSQL: the second insert waits on the unique index until the first
    commits, fails there inside its savepoint, and takes the first one's escalation."""
    from engine.cases.escalations import raise_for_deadline
    from engine.network.service import sync_network
    from engine.people.actors import Actor
    from engine.people.models import User
    from tests.conftest import START

    with postgres_session_factory() as session:
        sync_network(session=session, network=network)
        users = {}
        for name, role, agency in (("race.worker", "case_worker", "pmj_tak"), ("race.policy", "policy", None)):
            user = User(username=name, display_name=name, role_code=role, agency_code=agency, active=True, created_at=START)
            session.add(user)
            session.commit()
            users[role] = Actor.of(user)
        people = {"policy": users["policy"], "school_worker": users["case_worker"]}
        publish_unlinted(session, network, clock, people, "flood", "R/PT1H")
        case_id = start(session, network, clock, people, "flood").id
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id))

    first, second = postgres_session_factory(), postgres_session_factory()
    try:
        def raise_in(session):
            case, item = session.get_one(Case, case_id), session.get_one(WorkItem, item_id)
            return raise_for_deadline(session=session, case=case, work_item=item, timer_element="assess_deadline",
                                      now=clock.now(), network=network)

        won = raise_in(first)  # inserted, not yet committed
        outcome: dict[str, object] = {}
        racer = threading.Thread(target=lambda: outcome.update(escalation=raise_in(second)))
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive()  # waiting on the index for the first to finish
        first.commit()
        racer.join(timeout=10)
        assert not racer.is_alive()
        assert outcome["escalation"].id == won.id
        second.commit()
    finally:
        first.close()
        second.close()
    with postgres_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Escalation).where(Escalation.case_id == case_id)) == 1
        # The loser did not count a deadline either.
        assert session.get_one(WorkItem, item_id).deadlines_fired == 1


def test_a_reminder_task_a_repeating_timer_opened_keeps_its_form_values_once_done(session, network, clock, people):
    """What pruning keeps: a branch with a user task in it, whose form values are still read
    after it is done (the task page shows them)."""
    from engine.cases.stepping import restore
    from engine.workflow.running import task_data
    from tests.engine.cases.test_deadlines import deadline_protocol, items, timer

    version, _ = protocols.store_draft(
        session=session, key="reminders", bpmn=deadline_protocol("reminders", timer("timeCycle", "R3/PT1H")),
        network=network, clock=clock, actor=people["policy"],
    )
    protocols.publish(session=session, key="reminders", version=version.version, clock=clock, actor=people["policy"])
    case = start(session, network, clock, people, "reminders")
    clock.advance(timedelta(minutes=61))
    tick(session=session, clock=clock, network=network)
    [first] = items(session, case.id, "follow_up")
    commands.complete(session=session, work_item_id=first.id, data={"note": "โทรแล้ว"}, actor=people["social_worker"],
                      clock=clock, network=network)
    for _ in range(2):  # two more reminders; the second is done too, so the first's branch has ended
        clock.advance(timedelta(hours=1))
        tick(session=session, clock=clock, network=network)
        if len(items(session, case.id, "follow_up")) == 2:
            second = items(session, case.id, "follow_up")[1]
            commands.complete(session=session, work_item_id=second.id, data={"note": "เยี่ยมแล้ว"},
                              actor=people["social_worker"], clock=clock, network=network)

    session.expire_all()
    workflow = restore(session=session, case=session.get_one(Case, case.id))
    assert task_data(workflow, first.task_id)["note"] == "โทรแล้ว"
    assert [i.state for i in items(session, case.id, "follow_up")] == ["completed", "completed", "open"]


def test_a_workflow_whose_stored_state_was_pruned_is_not_kept_in_memory(session, network, clock, people):
    # Kept, the live workflow would hold every firing's branch that the stored state left out,
    # and each later step would walk them all: an hour of R/PT1S took minutes instead of seconds.
    publish_unlinted(session, network, clock, people, "flood", "R/PT1S")
    start(session, network, clock, people, "flood")
    cache = live_workflows(session.info)
    assert cache is not None
    pass_time(session, network, clock, timedelta(minutes=1))
    hits, misses = cache.hits, cache.misses
    pass_time(session, network, clock, WORKER_INTERVAL * 2)
    # Each pass pruned what the previous one fired, so each rebuilt from the pruned state.
    assert (cache.hits, cache.misses) == (hits, misses + 2)
    assert len(cache) == 0

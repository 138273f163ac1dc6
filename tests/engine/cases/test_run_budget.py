"""Issue 9 item 1, the runtime depth: a protocol published before lint refused zero-gap repeating
timers (or anything lint misses) cannot make one command spin. Each command — and the worker, for
each case in a pass — runs under the network's ``[limits]`` budget of engine steps, timer
firings and seconds; a case that needs more goes into ``error`` with an audit event, and a case
start that needs more creates nothing and takes no case number.

Before the budget, every test here hung (``do_engine_steps`` fired the timer again on every step).
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, Escalation, ReferenceCounter, WorkItem
from engine.deadlines.tick import tick
from engine.errors import RunBudgetExceeded
from engine.network.definition import load_network
from engine.protocols import service as protocols
from engine.settings import PROJECT_ROOT
from engine.workflow import budget as budget_module
from tests.bpmn_builders import flow, protocol, with_timer

PLACEHOLDER = "R3/PT1H"  # what lint lets through; swapped for the text an old version held
# Fifty firings rather than the shipped 500: the same path, a tenth of the work, and far from the
# ten seconds of wall time on a busy machine, so the limit reached is always the one tested.
FIRINGS = 50


@pytest.fixture
def network(network):
    return replace(network, limits=replace(network.limits, max_timer_firings=FIRINGS))


def publish_unlinted(session, network, clock, people, key: str, cycle: str, *, document: str | None = None) -> None:
    """Publish a protocol whose deadline repeats on ``cycle`` as an old, unlinted version would
    hold it: stored with a valid timer, then the stored spec and BPMN carry ``cycle``."""
    version, _ = protocols.store_draft(
        session=session, key=key, bpmn=document or with_timer("timeCycle", PLACEHOLDER), network=network, clock=clock,
        actor=people["policy"],
    )
    assert PLACEHOLDER in version.spec_json
    version.spec_json = version.spec_json.replace(PLACEHOLDER, cycle)
    version.bpmn_text = version.bpmn_text.replace(PLACEHOLDER, cycle)
    session.commit()
    protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=people["policy"])


def publish_control(session, network, clock, people) -> None:
    """A well-behaved protocol: one task, due in an hour."""
    version, _ = protocols.store_draft(
        session=session, key="control", bpmn=with_timer("timeDuration", "PT1H"), network=network, clock=clock,
        actor=people["policy"],
    )
    protocols.publish(session=session, key="control", version=version.version, clock=clock, actor=people["policy"])


def start(session, network, clock, people, key: str) -> Case:
    return commands.start_case(session=session, protocol_key=key, data={}, actor=people["school_worker"], clock=clock, network=network)


def audited(session, action: str, case_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if case_id is not None:
        query = query.where(AuditEvent.case_id == case_id)
    return list(session.scalars(query))


# Began a month before the tests' clock: a month of once-a-second firings is due at the start.
CATCHING_UP = "R/2026-11-01T00:00:00+07:00/PT1S"


def test_a_case_start_that_spins_is_refused_without_creating_anything(session, network, clock, people):
    publish_unlinted(session, network, clock, people, "flood", CATCHING_UP)

    with pytest.raises(RunBudgetExceeded) as refused:
        start(session, network, clock, people, "flood")

    details = refused.value.details
    assert details["exceeded"] == "timer_firings"
    assert details["element"] == "assess_deadline"
    assert details["timer_firings"] == network.limits.max_timer_firings + 1
    session.expire_all()
    assert session.scalars(select(Case)).all() == []
    # No case number was taken, let alone kept locked.
    assert session.scalars(select(ReferenceCounter.last_number)).all() == []
    [refusal] = audited(session, "case.start_refused")
    assert refusal.details["protocol"] == "flood" and refusal.details["element"] == "assess_deadline"
    assert refusal.details["limit"] == network.limits.max_timer_firings

    # The next case start (on any protocol) is numbered and answered as usual.
    publish_control(session, network, clock, people)
    assert start(session, network, clock, people, "control").reference.endswith("-000001")


@pytest.mark.parametrize("interrupting", [False, True])
def test_a_zero_gap_cycle_is_refused_at_its_first_firing(session, network, clock, people, interrupting):
    """``R/PT0S`` has no interval and no end: once due it is due again after every firing (in
    SpiffWorkflow 3.2.0 even when its first firing interrupts its task), so it is refused at once
    rather than after the firings limit's worth of work."""
    publish_unlinted(
        session, network, clock, people, "flood", "R/2026-11-01T00:00:00+07:00/PT0S",
        document=with_timer("timeCycle", PLACEHOLDER, interrupting=interrupting),
    )

    with pytest.raises(RunBudgetExceeded) as refused:
        start(session, network, clock, people, "flood")

    details = refused.value.details
    assert (details["exceeded"], details["element"], details["endless"], details["timer_firings"]) == (
        "timer_firings", "assess_deadline", True, 1,
    )
    session.expire_all()
    assert session.scalars(select(Case)).all() == []
    [refusal] = audited(session, "case.start_refused")
    assert refusal.details["endless"] is True


def test_the_case_number_is_not_taken_while_the_workflow_runs(session_factory, session, network, clock, people, monkeypatch):
    """Another case start can take its number while this one's workflow is still running: the
    counter row is neither locked (PostgreSQL) nor written (SQLite) before the workflow has moved."""
    publish_control(session, network, clock, people)
    from engine.cases import referrals

    real_advance = referrals.advance
    numbered_meanwhile: list[str] = []
    calls = itertools.count()

    def advance_while_another_starts(workflow):
        if next(calls) == 0:  # the first case's run; the other start below runs plainly
            with session_factory() as other:
                numbered_meanwhile.append(start(other, network, clock, people, "control").reference)
        return real_advance(workflow)

    monkeypatch.setattr(referrals, "advance", advance_while_another_starts)
    case = start(session, network, clock, people, "control")
    assert numbered_meanwhile[0].endswith("-000001")
    assert case.reference.endswith("-000002")


def test_the_worker_sets_a_spinning_case_to_error_and_still_escalates_the_others(session, network, clock, people):
    # Due every second from its start: two hours on, 7,200 firings are due in one pass.
    publish_unlinted(session, network, clock, people, "flood", "R/PT1S")
    publish_control(session, network, clock, people)
    flood = start(session, network, clock, people, "flood")
    control = start(session, network, clock, people, "control")
    state_before = session.get(Case, flood.id).state_json

    clock.advance(timedelta(hours=2))
    report = tick(session=session, clock=clock, network=network)

    assert report.failed_case_ids == [flood.id]
    session.expire_all()
    flood = session.get(Case, flood.id)
    assert flood.status == "error" and "timer firings" in flood.error_message
    # The last consistent state is kept and its open work is still there to read.
    assert flood.state_json == state_before
    assert [i.state for i in session.scalars(select(WorkItem).where(WorkItem.case_id == flood.id))] == ["open"]
    [error] = audited(session, "case.error", flood.id)
    assert error.details["error"] == "run-budget-exceeded"
    assert (error.details["exceeded"], error.details["element"]) == ("timer_firings", "assess_deadline")
    assert error.details["timer_firings"] == network.limits.max_timer_firings + 1
    # The control case got its deadline in the same pass.
    assert [(e.level, e.source_element) for e in session.scalars(select(Escalation).where(Escalation.case_id == control.id))] == [
        (1, "assess_deadline"),
    ]
    assert session.scalars(select(Escalation).where(Escalation.case_id == flood.id)).all() == []
    # The next pass does not pick the failed case up again.
    assert tick(session=session, clock=clock, network=network).cases_examined == 0


def two_tasks_one_repeating_deadline() -> str:
    """start → split → 'assess' (with the repeating deadline 'assess_deadline') and 'visit' → join → end."""
    body = (
        '<bpmn:startEvent id="begin"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:parallelGateway id="split"><bpmn:incoming>f0</bpmn:incoming></bpmn:parallelGateway>\n'
        '<bpmn:parallelGateway id="join"><bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>\n'
        '<bpmn:endEvent id="done"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:userTask id="assess" name="ประเมิน"/><bpmn:userTask id="visit" name="เยี่ยมบ้าน"/>\n'
        '<bpmn:boundaryEvent id="assess_deadline" attachedToRef="assess" cancelActivity="false">'
        f'<bpmn:outgoing>f5</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeCycle>{PLACEHOLDER}</bpmn:timeCycle>'
        '</bpmn:timerEventDefinition></bpmn:boundaryEvent>\n'
        '<bpmn:endEvent id="late"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>\n'
        + flow("f0", "begin", "split") + flow("f1", "split", "assess") + flow("f2", "split", "visit")
        + flow("f3", "assess", "join") + flow("f4", "visit", "join") + flow("f5", "assess_deadline", "late")
        + flow("f9", "join", "done")
    )
    return protocol(body, tasks=["assess", "visit"])


def test_a_user_command_on_a_case_that_spins_fails_fast_and_flags_it(session, network, clock, people):
    # Starts cleanly (the cycle begins tomorrow), then spins once it is due.
    publish_unlinted(
        session, network, clock, people, "flood", "R/2026-12-01T09:00:00+07:00/PT0S", document=two_tasks_one_repeating_deadline(),
    )
    case = start(session, network, clock, people, "flood")
    visit = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_name == "visit"))
    clock.advance(timedelta(days=2))

    with pytest.raises(RunBudgetExceeded) as refused:
        commands.complete(session=session, work_item_id=visit.id, data={}, actor=people["social_worker"], clock=clock, network=network)

    assert refused.value.details["element"] == "assess_deadline"
    session.expire_all()
    assert session.get(Case, case.id).status == "error"
    # The completion did not happen: the work is open, as the last consistent state has it.
    assert {i.task_name: i.state for i in session.scalars(select(WorkItem).where(WorkItem.case_id == case.id))} == {
        "assess": "open", "visit": "open",
    }
    assert [e.details["exceeded"] for e in audited(session, "case.error", case.id)] == ["timer_firings"]


def test_wall_time_is_bounded_too(session, network, clock, people, monkeypatch):
    """A run that is slow rather than long is stopped by the seconds it takes (read from a
    monotonic counter, here one that moves ten milliseconds per reading)."""
    seconds = itertools.count()
    monkeypatch.setattr(budget_module, "MONOTONIC", lambda: next(seconds) / 100)
    slow = replace(network, limits=replace(network.limits, max_run_seconds=3, max_timer_firings=10**6, max_engine_steps=10**6))
    publish_unlinted(session, network, clock, people, "flood", CATCHING_UP)

    with pytest.raises(RunBudgetExceeded) as refused:
        start(session, slow, clock, people, "flood")
    assert refused.value.details["exceeded"] == "wall_time"
    assert refused.value.details["element"] == "assess_deadline"


def test_the_limits_come_from_the_network_definition(network):
    shipped = load_network(PROJECT_ROOT / "protocols" / "network.toml").limits
    assert (shipped.max_engine_steps, shipped.max_timer_firings, shipped.max_run_seconds) == (2000, 500, 10)
    budget = commands.budget_for(replace(network, limits=replace(network.limits, max_engine_steps=7)))
    assert budget.max_engine_steps == 7


def test_waiting_before_the_engine_runs_is_not_charged(network, monkeypatch):
    """Seconds spent before the engine first runs in a command (waiting for a case's lock, say)
    are not work: a command that waited long for its lock is not set to error for it."""
    from engine.workflow.budget import RunBudget

    now = [0.0]
    monkeypatch.setattr(budget_module, "MONOTONIC", lambda: now[0])
    budget = RunBudget(max_seconds=10)
    now[0] = 60.0  # a minute waiting for the lock
    budget.start()
    now[0] = 65.0
    budget.charge_step("work")
    assert budget.elapsed == 5.0
    now[0] = 70.5
    with pytest.raises(RunBudgetExceeded) as over:
        budget.charge_step("work")
    assert (over.value.details["exceeded"], over.value.details["seconds"]) == ("wall_time", 10.5)

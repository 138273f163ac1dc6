"""The process's cache of live workflows: used only when it holds exactly what the database
holds, never after a failed command, and bounded."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.cases.stepping import lock_case, restore
from engine.errors import InvalidInput
from engine.protocols.cache import cached_session_factory
from engine.workflow.live import LiveWorkflows, live_workflows
from engine.workflow.running import ready_task, run_task
from tests.engine.cases.test_commands import open_items, publish_reference, start


def cache_of(session: Session) -> LiveWorkflows:
    cache = live_workflows(session.info)
    assert cache is not None
    return cache


def test_a_command_moves_the_workflow_the_last_one_committed(session, network, clock, people):
    publish_reference(session, network, clock, people["policy"])
    case = start(session, clock, network, people)
    cache = cache_of(session)
    assert len(cache) == 1  # the started case's workflow, kept at the version its start wrote
    report = open_items(session, case.id)["report"]
    before = cache.hits
    commands.complete(session=session, work_item_id=report.id, data={"severity": "high"},
                      actor=people["school_worker"], clock=clock, network=network)
    assert cache.hits == before + 1
    assert set(open_items(session, case.id)) == {"assess"}
    # What is cached is what was stored: rebuilding from the database gives the same live tasks.
    assess = open_items(session, case.id)["assess"]
    locked = lock_case(session=session, case_id=case.id)
    assert locked is not None
    assert ready_task(restore(session=session, case=locked), assess.task_id) is not None
    session.rollback()


def test_another_process_s_write_makes_the_cached_workflow_stale(session_factory, db_engine, session, network, clock, people):
    publish_reference(session, network, clock, people["policy"])
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]
    # A second process: its own sessions and its own caches, on the same database.
    other = cached_session_factory(db_engine)
    with other() as elsewhere:
        commands.complete(session=elsewhere, work_item_id=report.id, data={"severity": "high"},
                          actor=people["school_worker"], clock=clock, network=network)
    # This process still holds the workflow as the start left it; it must not be used.
    cache = cache_of(session)
    misses = cache.misses
    assess = session.scalar(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state == "open"))
    assert assess is not None and assess.task_name == "assess"
    commands.complete(session=session, work_item_id=assess.id, data={"plan": "visit"},
                      actor=people["social_worker"], clock=clock, network=network)
    assert cache.misses == misses + 1
    assert session.get(Case, case.id).status == "completed"


def test_a_state_rewritten_under_the_same_version_is_not_taken_from_the_cache(session, network, clock, people):
    """A backup restored under a running process can bring back a version number with other
    contents: the state text itself is compared too."""
    publish_reference(session, network, clock, people["policy"])
    first = start(session, clock, network, people)
    second = start(session, clock, network, people)
    # The first case's row now holds the second case's state (its own version kept).
    session.execute(update(Case).where(Case.id == first.id).values(state_json=second.state_json)
                    .execution_options(synchronize_session=False))
    session.commit()
    cache = cache_of(session)
    misses = cache.misses
    locked = lock_case(session=session, case_id=first.id)
    assert locked is not None
    restore(session=session, case=locked)
    assert cache.misses == misses + 1
    session.rollback()


def test_a_failed_command_leaves_no_half_moved_workflow_behind(session, network, clock, people):
    publish_reference(session, network, clock, people["policy"])
    case = start(session, clock, network, people)
    report = open_items(session, case.id)["report"]

    def run_then_fail(_case, workflow, _items, _now):
        task = ready_task(workflow, report.task_id)
        assert task is not None
        run_task(task, {"severity": "high"})
        raise InvalidInput("refused after the workflow moved", field="data")

    try:
        commands.run_command(session=session, case_id=case.id, clock=clock, actor=people["school_worker"],
                             act=run_then_fail, network=network)
    except InvalidInput:
        pass
    else:
        raise AssertionError("the act's refusal was swallowed")
    assert len(cache_of(session)) == 0
    # The report is still the task to do, and completing it takes the low branch as asked.
    commands.complete(session=session, work_item_id=report.id, data={"severity": "low"},
                      actor=people["school_worker"], clock=clock, network=network)
    assert set(open_items(session, case.id)) == {"file_report"}


def test_the_cache_is_bounded():
    cache = LiveWorkflows(2)
    for case_id in (1, 2, 3):
        cache.keep(case_id, version=1, spec_key=1, state_json="{}", workflow=object())  # type: ignore[arg-type]
    assert len(cache) == 2
    assert cache.take(1, version=1, spec_key=1, state_json="{}") is None
    assert cache.take(3, version=1, spec_key=1, state_json="{}") is not None
    assert cache.take(3, version=1, spec_key=1, state_json="{}") is None  # taking it removed it
    assert cache.take(2, version=2, spec_key=1, state_json="{}") is None  # another version
    assert len(LiveWorkflows(0)) == 0

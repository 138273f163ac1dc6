"""A case's finished tasks are written once, apart from its live state (case_finished_tasks):
each command writes the live state and only the tasks that finished since; restoring merges
them back; an old case with its whole state in one text still restores and is split by its next
command; a failed command leaves no finished row behind; on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select, update

from engine.audit import AuditEvent
from engine.cases import commands, referrals
from engine.cases.models import Case, CaseFinishedTask, WorkItem
from engine.cases.state import finished_rows, workflow_from_rows
from engine.protocols.models import ProtocolVersion
from engine.workflow.live import live_workflows
from engine.workflow.serialization import SPLIT_KEY, state_json_of
from engine.workflow.tree import live_manual_tasks
from tests.engine.workflow.test_serialization import _publish


def _open_item(session, case_id):
    return session.scalar(select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open"))


def _complete_next(session, network, clock, people, case_id, **data):
    commands.complete(session=session, work_item_id=_open_item(session, case_id).id, data=data,
                      actor=people["school_worker"], clock=clock, network=network)


def _rows(session, case_id) -> dict[str, str]:
    session.expire_all()
    return {row.task_id: row.task_json for row in finished_rows(session, case_id)}


def _chain_case(session, network, clock, people, length=30):
    _publish(session, network, clock, people["policy"], "chain", length)
    case = commands.start_case(session=session, protocol_key="chain", data={}, actor=people["school_worker"],
                               clock=clock, network=network)
    _complete_next(session, network, clock, people, case.id, long_path=True)
    return case


def _forget_cached(session, case_id):
    cache = live_workflows(session.info)
    if cache is not None:
        cache.forget(case_id)


def _whole_state(session, case_id) -> str:
    """The case's state rebuilt from the database, as one text (predictions left out)."""
    session.expire_all()
    case = session.get(Case, case_id)
    return state_json_of(workflow_from_rows(session, case, session.get(ProtocolVersion, case.protocol_version_id).spec_json))


def test_each_command_writes_the_live_state_and_only_the_newly_finished_tasks(session, network, clock, people):
    case = _chain_case(session, network, clock, people)
    live_sizes, new_rows = [], []
    for done in range(12):
        before = _rows(session, case.id)
        _complete_next(session, network, clock, people, case.id, **{f"note_{done}": "บันทึก" * 50})
        after = _rows(session, case.id)
        # Append-only: every row written before is still there, byte for byte.
        assert {task_id: after[task_id] for task_id in before} == before
        new_rows.append(len(after.keys() - before.keys()))
        live_sizes.append(len(session.get(Case, case.id).state_json))
    # A chain step finishes one user task (and nothing else): one new row per command.
    assert new_rows == [1] * 12
    # The live part does not grow with the history (each note is stored once, in its task's row).
    assert max(live_sizes) - min(live_sizes) < 200, live_sizes
    assert json.loads(session.get(Case, case.id).state_json)[SPLIT_KEY] == 1


def test_the_cached_and_the_restored_workflow_are_the_same(session, network, clock, people):
    case = _chain_case(session, network, clock, people)
    for done in range(5):
        _complete_next(session, network, clock, people, case.id, **{f"note_{done}": f"ค่า {done}"})
    restored = _whole_state(session, case.id)
    _forget_cached(session, case.id)
    # The next command restores from the rows (no cached workflow) and goes on as before.
    _complete_next(session, network, clock, people, case.id, note_5="ค่า 5")
    session.expire_all()
    case = session.get(Case, case.id)
    spec_json = session.get(ProtocolVersion, case.protocol_version_id).spec_json
    workflow = workflow_from_rows(session, case, spec_json)
    [ready] = live_manual_tasks(workflow)
    # Every note entered so far reaches the task now open, through the finished tasks' data.
    assert {name: ready.data[name] for name in ready.data if name.startswith("note_")} == {
        f"note_{n}": f"ค่า {n}" for n in range(6)
    }
    assert len(json.loads(restored)["tasks"]) > 10


def test_a_whole_state_written_before_the_split_restores_and_the_next_command_splits_it(session, network, clock, people):
    case = _chain_case(session, network, clock, people)
    for done in range(4):
        _complete_next(session, network, clock, people, case.id, **{f"note_{done}": f"ค่า {done}"})
    # As a case last written before migration 0016 looks: its whole state in the text, no rows.
    whole = _whole_state(session, case.id)
    session.execute(delete(CaseFinishedTask).where(CaseFinishedTask.case_id == case.id))
    session.execute(update(Case).where(Case.id == case.id).values(state_json=whole, version=Case.version + 1)
                    .execution_options(synchronize_session=False))
    session.commit()
    _forget_cached(session, case.id)
    assert SPLIT_KEY not in json.loads(whole)
    assert _whole_state(session, case.id) == whole  # it restores as it is

    _complete_next(session, network, clock, people, case.id, note_4="ค่า 4")
    rows = _rows(session, case.id)
    live = session.get(Case, case.id).state_json
    assert json.loads(live)[SPLIT_KEY] == 1 and len(rows) >= 8
    assert len(live) < len(whole) / 2
    _forget_cached(session, case.id)
    _complete_next(session, network, clock, people, case.id, note_5="ค่า 5")
    session.expire_all()
    case = session.get(Case, case.id)
    [ready] = live_manual_tasks(workflow_from_rows(session, case, session.get(ProtocolVersion, case.protocol_version_id).spec_json))
    assert [ready.data.get(f"note_{n}") for n in range(6)] == [f"ค่า {n}" for n in range(6)]


def test_a_split_state_is_not_restored_without_its_finished_tasks(session, network, clock, people):
    from engine.workflow.serialization import restore_workflow

    case = _chain_case(session, network, clock, people)
    spec_json = session.get(ProtocolVersion, case.protocol_version_id).spec_json
    with pytest.raises(ValueError, match="stored apart"):
        restore_workflow(session.get(Case, case.id).state_json, spec_json)


def test_a_command_that_fails_after_writing_its_state_leaves_no_row_behind(session, network, clock, people, monkeypatch):
    case = _chain_case(session, network, clock, people)
    _complete_next(session, network, clock, people, case.id, note_0="ค่า")
    rows_before, state_before = _rows(session, case.id), session.get(Case, case.id).state_json

    def fail(*_args, **_kwargs):
        raise RuntimeError("the process died after writing the state")

    monkeypatch.setattr(referrals, "note_written", fail)
    with pytest.raises(RuntimeError):
        _complete_next(session, network, clock, people, case.id, note_1="ค่า")
    monkeypatch.undo()
    assert _rows(session, case.id) == rows_before
    assert session.get(Case, case.id).state_json == state_before
    # The next command writes the same rows again, without a clash, and the case goes on.
    _complete_next(session, network, clock, people, case.id, note_1="ค่า")
    assert len(_rows(session, case.id)) == len(rows_before) + 1


def test_a_second_workflow_storing_the_same_case_in_one_transaction_rewrites_every_row(session, network, clock, people):
    from engine.cases.state import store_state
    from engine.cases.stepping import lock_case

    case = _chain_case(session, network, clock, people)
    _complete_next(session, network, clock, people, case.id, note_0="ค่า")
    rows_before = _rows(session, case.id)
    spec_json = session.get(ProtocolVersion, case.protocol_version_id).spec_json
    locked = lock_case(session=session, case_id=case.id)
    first = workflow_from_rows(session, locked, spec_json)
    second = workflow_from_rows(session, locked, spec_json)
    store_state(session, locked, first)
    store_state(session, locked, second)  # knows nothing of what the first wrote: rewrites all
    session.commit()
    assert _rows(session, case.id) == rows_before
    assert session.scalar(select(func.count()).select_from(CaseFinishedTask).where(CaseFinishedTask.case_id == case.id)) == len(rows_before)


def test_a_live_task_whose_work_item_is_finished_gets_no_second_one(session, network, clock, people):
    """A task can be live again after its work item finished (a branch reset by the library keeps
    the task's id): the command that syncs the case's work items adds none for it, writes no
    "created" event and does not trip over the (case, task) uniqueness."""
    case = _chain_case(session, network, clock, people)
    item = _open_item(session, case.id)
    session.execute(update(WorkItem).where(WorkItem.id == item.id).values(state="cancelled"))
    session.commit()
    before = session.scalar(select(func.max(AuditEvent.id)))

    commands.run_command(session=session, case_id=case.id, clock=clock, actor=people["school_worker"],
                         act=lambda *_: None, network=network)

    session.expire_all()
    rows = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.task_id == item.task_id)).all()
    assert [row.state for row in rows] == ["cancelled"]
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id, AuditEvent.id > before)).all() == []
    assert session.get(Case, case.id).status == "active"

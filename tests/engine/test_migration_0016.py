"""Migration 0016 both ways with cases in it: a case whose finished tasks are stored apart is
merged back into one ``state_json`` by the downgrade (and restores without the table), and a
whole state left by the downgrade restores after the upgrade; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import create_engine, text

from engine.workflow.running import advance, ready_task, run_task, start_with
from engine.workflow.serialization import (
    SPLIT_KEY,
    new_workflow,
    restore_workflow,
    spec_json_of,
    split_state_of,
    state_json_of,
)
from engine.workflow.tree import live_manual_tasks
from tests.engine.test_migrations import _migrate, empty_databases  # noqa: F401 - the fixture
from tests.engine.workflow.test_serialization import sized_protocol

AT = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def _moved_workflow():
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(sized_protocol(4).encode())
    spec_json = spec_json_of(parser.get_spec("sized"), {})
    workflow = new_workflow(spec_json)
    start_with(workflow, {"channel": "โรงเรียน"})
    advance(workflow)
    for data in ({"long_path": True}, {"note": "บันทึกแรก"}, {"note": "บันทึกที่สอง"}):
        [task] = live_manual_tasks(workflow)
        run_task(ready_task(workflow, str(task.id)), data)
        advance(workflow)
    return workflow, spec_json


def test_split_states_are_merged_back_by_the_downgrade(empty_databases):  # noqa: F811
    workflow, spec_json = _moved_workflow()
    write = split_state_of(workflow)
    assert len(write.inserted) >= 6 and SPLIT_KEY in write.state_json
    expected = state_json_of(restore_workflow(write.state_json, spec_json, write.inserted))

    url = empty_databases()
    _migrate(url, "0016")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO protocol_versions (id, key, version, name, process_id, bpmn_text, content_hash, spec_json, "
                "tasks_json, published, created_at) VALUES (1, 'sized', 1, 's', 'sized', '', 'h', :spec, '{}', true, :at)"
            ), {"spec": spec_json, "at": AT})
            for number, state in ((1, write.state_json), (2, "not a state this engine wrote")):
                connection.execute(text(
                    "INSERT INTO cases (id, reference, protocol_version_id, status, state_json, version, max_task_depth, "
                    "created_at, updated_at) VALUES (:id, :reference, 1, 'active', :state, 1, 0, :at, :at)"
                ), {"id": number, "reference": f"TAK-2026-00000{number}", "state": state, "at": AT})
            for row in reversed(write.inserted):  # the order they were written in is kept by seq
                connection.execute(text(
                    "INSERT INTO case_finished_tasks (case_id, task_id, tree_id, seq, task_json) "
                    "VALUES (1, :task_id, :tree_id, :seq, :task_json)"
                ), row._asdict())

        _migrate(url, "0010", down=True)
        with engine.connect() as connection:
            merged = connection.execute(text("SELECT state_json FROM cases WHERE id = 1")).scalar_one()
            untouched = connection.execute(text("SELECT state_json FROM cases WHERE id = 2")).scalar_one()
        assert SPLIT_KEY not in merged and untouched == "not a state this engine wrote"
        assert state_json_of(restore_workflow(merged, spec_json)) == expected

        _migrate(url, "0016")
        # The whole state restores as it is (no rows); the next command would split it.
        assert state_json_of(restore_workflow(merged, spec_json, [])) == expected
    finally:
        engine.dispose()

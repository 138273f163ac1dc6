"""Migration 0010 on a database a flood already hit: the open escalations a repeating deadline
multiplied are resolved down to one per work item and element (the oldest stays open), so the
new unique index can be built; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import create_engine, text

from tests.engine.test_migrations import _migrate, empty_databases  # noqa: F401 - the fixture

RAISED = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


def test_duplicates_a_flood_left_are_resolved_before_the_index_is_built(empty_databases):  # noqa: F811
    url = empty_databases()
    _migrate(url, "0009")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO agencies (code, name_th, name_en, active) VALUES ('pmj_tak', 'พมจ.', 'Social development', true)"
            ))
            connection.execute(text(
                "INSERT INTO protocol_versions (id, key, version, name, process_id, bpmn_text, content_hash, spec_json, "
                "tasks_json, published, created_at) VALUES (1, 'flood', 1, 'f', 'p', '', 'h', '{}', '{}', true, :at)"
            ), {"at": RAISED})
            connection.execute(text(
                "INSERT INTO cases (id, reference, protocol_version_id, status, state_json, version, max_task_depth, "
                "created_at, updated_at) VALUES (1, 'TAK-2026-000001', 1, 'active', '{}', 1, 0, :at, :at)"
            ), {"at": RAISED})
            for item in (1, 2):
                connection.execute(text(
                    "INSERT INTO work_items (id, case_id, task_id, task_name, label, agency_code, state, created_at, "
                    "escalation_level, deadlines_fired) VALUES (:id, 1, :task, 'assess', 'a', 'pmj_tak', 'open', :at, 1, 1)"
                ), {"id": item, "task": f"t{item}", "at": RAISED})
            rows = [(1, "deadline", "open"), (1, "deadline", "open"), (1, "deadline", "open"), (1, "other", "open"),
                    (2, "deadline", "open"), (1, "deadline", "acknowledged")]
            for number, (item, element, status) in enumerate(rows, start=1):
                connection.execute(text(
                    "INSERT INTO escalations (id, case_id, work_item_id, agency_code, reason, source_element, level, "
                    "target_code, target_role, status, raised_at, level_changed_at, version) VALUES "
                    "(:id, 1, :item, 'pmj_tak', 'overdue', :element, 1, 't', 'supervisor', :status, :at, :at, 1)"
                ), {"id": number, "item": item, "element": element, "status": status, "at": RAISED})

        _migrate(url, "0010")

        with engine.connect() as connection:
            found = connection.execute(text("SELECT id, status, resolution_note IS NOT NULL FROM escalations ORDER BY id")).all()
        assert [tuple(row) for row in found] == [
            (1, "open", False), (2, "resolved", True), (3, "resolved", True), (4, "open", False),
            (5, "open", False), (6, "acknowledged", False),
        ]
    finally:
        engine.dispose()

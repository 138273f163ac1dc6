"""The database keeps the audit trail, comments and the destruction log append-only, with one
exception it enforces itself: erasure may blank a row's text once, leaving its skeleton."""
from __future__ import annotations

import os

import pytest
from alembic import command
from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from engine.audit import AuditEvent
from engine.cases.comments import TaskComment
from engine.cases.models import Case, WorkItem
from engine.db import make_engine
from engine.migrations import alembic_config, upgrade_database
from engine.people.models import User
from engine.privacy.models import DestructionRecord
from engine.protocols.models import ProtocolVersion
from tests.conftest import START


def _event(connection, **details) -> int:
    return connection.execute(insert(AuditEvent).values(
        occurred_at=START, action="case.cancelled", actor_username="someone", actor_role="case_worker",
        details=details,
    ).returning(AuditEvent.id)).scalar_one()


def _refused(connection, statement) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        with connection.begin_nested():
            connection.execute(statement)


def test_an_audit_event_may_be_redacted_once_and_its_skeleton_never(db_engine):
    with db_engine.begin() as connection:
        event_id = _event(connection, reason="ด.ญ. มะลิ ใจดี ย้ายไปอยู่กับป้า")
        row = AuditEvent.__table__.c
        # A change of the details alone, without marking the redaction, is tampering.
        _refused(connection, update(AuditEvent).where(row.id == event_id).values(details={}))
        # Neither may a redaction change who acted or when.
        _refused(connection, update(AuditEvent).where(row.id == event_id).values(
            details={}, redacted_at=START, actor_username="someone else"))
        _refused(connection, update(AuditEvent).where(row.id == event_id).values(
            details={}, redacted_at=START, occurred_at=START.replace(year=2025)))
        _refused(connection, delete(AuditEvent).where(row.id == event_id))

        connection.execute(update(AuditEvent).where(row.id == event_id).values(
            details={"redacted": ["reason"]}, redacted_at=START))
        details, actor = connection.execute(select(row.details, row.actor_username).where(row.id == event_id)).one()
        assert details == {"redacted": ["reason"]} and actor == "someone"
        # Once only: a redacted row is as fixed as any other.
        _refused(connection, update(AuditEvent).where(row.id == event_id).values(
            details={"reason": "put back"}, redacted_at=START.replace(year=2027)))


def test_a_comment_may_be_blanked_once(db_engine, session):
    with db_engine.begin() as connection:
        user_id = connection.execute(insert(User).values(
            username="w", display_name="w", role_code="case_worker", active=True, created_at=START,
        ).returning(User.id)).scalar_one()
        version_id = connection.execute(insert(ProtocolVersion).values(
            key="k", version=1, name="k", process_id="k", bpmn_text="", content_hash="h", spec_json="{}",
            tasks_json="{}", published=True, created_at=START,
        ).returning(ProtocolVersion.id)).scalar_one()
        case_id = connection.execute(insert(Case).values(
            reference="TAK-2026-000001", protocol_version_id=version_id, status="completed", state_json="{}",
            version=1, created_at=START, updated_at=START,
        ).returning(Case.id)).scalar_one()
        item_id = connection.execute(insert(WorkItem).values(
            case_id=case_id, task_id="t", task_name="t", label="t", agency_code="spm_tak", state="completed",
            created_at=START,
        ).returning(WorkItem.id)).scalar_one()
        comment_id = connection.execute(insert(TaskComment).values(
            work_item_id=item_id, case_id=case_id, author_id=user_id, body="นักเรียนมีรอยฟกช้ำ", created_at=START,
        ).returning(TaskComment.id)).scalar_one()
        row = TaskComment.__table__.c
        _refused(connection, update(TaskComment).where(row.id == comment_id).values(body="แก้ข้อความ"))
        _refused(connection, update(TaskComment).where(row.id == comment_id).values(
            body="", redacted_at=START, author_id=None))
        _refused(connection, delete(TaskComment).where(row.id == comment_id))
        connection.execute(update(TaskComment).where(row.id == comment_id).values(body="", redacted_at=START))
        assert connection.execute(select(row.body, row.author_id).where(row.id == comment_id)).one() == ("", user_id)
        _refused(connection, update(TaskComment).where(row.id == comment_id).values(body="x", redacted_at=START))


def test_the_destruction_log_is_append_only(db_engine):
    with db_engine.begin() as connection:
        record_id = connection.execute(insert(DestructionRecord).values(
            subject="child:1", destroyed_at=START, kind="child", actor_username="system", details={"fields": 3},
        ).returning(DestructionRecord.id)).scalar_one()
        _refused(connection, update(DestructionRecord).where(DestructionRecord.id == record_id).values(kind="case"))
        _refused(connection, delete(DestructionRecord).where(DestructionRecord.id == record_id))


@pytest.fixture
def own_database_url(tmp_path, postgres_databases):
    """A database of its own: this test moves its schema down and up again."""
    configured = os.environ.get("KHUMKRONG_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        return postgres_databases.create()
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    upgrade_database(url)
    return url


def test_the_migration_goes_down_and_up_keeping_the_trail(own_database_url):
    engine = make_engine(own_database_url)
    try:
        with engine.begin() as connection:
            kept = _event(connection, note="รับทราบ")
            redacted = _event(connection, reason="ชื่อเด็ก")
            connection.execute(update(AuditEvent).where(AuditEvent.id == redacted).values(details={}, redacted_at=START))
        command.downgrade(alembic_config(own_database_url), "0005")
        with engine.begin() as connection:
            rows = connection.execute(text("SELECT id, details FROM audit_events ORDER BY id")).all()
            assert [row[0] for row in rows] == [kept, redacted]
            # Below 0009 the trail is append-only without exception again.
            _refused(connection, text(f"UPDATE audit_events SET action = 'x' WHERE id = {kept}"))
        command.upgrade(alembic_config(own_database_url), "head")
        with engine.begin() as connection:
            assert connection.execute(select(AuditEvent.__table__.c.id).order_by(AuditEvent.id)).scalars().all() == [kept, redacted]
    finally:
        engine.dispose()
        if own_database_url.startswith("sqlite"):
            create_engine(own_database_url).dispose()

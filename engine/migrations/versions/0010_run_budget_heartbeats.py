"""run budget: one open escalation per work item and raising element; worker heartbeats

Revision ID: 0010
Revises: 0013
Create Date: 2026-12-03

Issue 9, items 1-2:

* ``uq_escalations_open_element``: a partial unique index, one open escalation per work item
  and raising element (``source_element``: the deadline timer, or an escalation event on its
  path), so a repeating deadline cannot raise a new escalation at every firing, even from two
  commands at once. Duplicates a flood left behind are resolved
  first (the oldest stays open), with a note saying why.
* ``worker_heartbeats``: one row per running worker, with when it last completed a pass, for
  ``/healthz`` and ``/readyz``.

The downgrade drops both; the resolved duplicates stay resolved.
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0010'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"
MERGED_NOTE = "ปิดโดยระบบ: การแจ้งซ้ำของกำหนดเวลาเดียวกัน (a repeated firing of the same deadline)"


def upgrade() -> None:
    escalations = sa.table(
        'escalations', sa.column('id', sa.Integer), sa.column('work_item_id', sa.Integer),
        sa.column('source_element', sa.String), sa.column('status', sa.String),
        sa.column('raised_at', engine.db.UtcDateTime(timezone=True)),
        sa.column('resolved_at', engine.db.UtcDateTime(timezone=True)), sa.column('resolution_note', sa.Text),
    )
    open_with_element = sa.and_(
        escalations.c.status == 'open', escalations.c.work_item_id.is_not(None),
        escalations.c.source_element.is_not(None),
    )
    keep = (
        sa.select(sa.func.min(escalations.c.id))
        .where(open_with_element)
        .group_by(escalations.c.work_item_id, escalations.c.source_element)
    )
    op.execute(
        escalations.update()
        .where(open_with_element, escalations.c.id.not_in(keep))
        .values(status='resolved', resolved_at=escalations.c.raised_at, resolution_note=MERGED_NOTE)
    )
    op.create_index(
        'uq_escalations_open_element', 'escalations', ['work_item_id', 'source_element'], unique=True,
        sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN),
    )
    op.create_table(
        'worker_heartbeats',
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('interval_seconds', sa.Float(), nullable=False),
        sa.Column('started_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_pass_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_pass_seconds', sa.Float(), nullable=True),
        sa.Column('last_failure_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('failed_passes', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeats')),
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeats')
    op.drop_index('uq_escalations_open_element', table_name='escalations')

"""indexes for the inbox's open seat and for case search by substring

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-03

Issue 13 (performance), the inbox and case search at 1,000,000 work items:

* ``work_items (agency_code, due_at, id, candidate_role) WHERE state = 'open'``: the open tasks
  of an agency in deadline order, which the inbox reads a page of (``engine.cases.inbox``); the
  candidate role is in the index so that the inbox's count, which tests it, reads only the index.
* On PostgreSQL, trigram indexes (the ``pg_trgm`` extension, created if missing) so that a
  search for a part of a reference or of a child's name reads the index instead of every case:
  ``cases.reference``, and the child's full name as case search writes it
  (``engine.cases.queries.CHILD_FULL_NAME``: the index is used only for that exact expression).
  SQLite has no trigram index; its searches scan, as before.

The downgrade drops the indexes. It leaves the extension: other objects may use it by then,
and it changes nothing by being there. ``pg_trgm`` is a trusted extension (PostgreSQL 13 and
later): a database owner without superuser rights may create it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0010'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")
# Must stay the expression of engine.cases.queries.CHILD_FULL_NAME, character for character
# in meaning: PostgreSQL uses an expression index only for the same expression.
CHILD_FULL_NAME = "(first_name || ' ' || coalesce(last_name, ''))"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_index('ix_work_items_open_agency_due', 'work_items', ['agency_code', 'due_at', 'id', 'candidate_role'],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    if _postgres():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_cases_reference_trgm ON cases USING gin (reference gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_children_full_name_trgm ON children USING gin ({CHILD_FULL_NAME} gin_trgm_ops)")


def downgrade() -> None:
    if _postgres():
        op.execute("DROP INDEX IF EXISTS ix_children_full_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_cases_reference_trgm")
    op.drop_index('ix_work_items_open_agency_due', table_name='work_items')

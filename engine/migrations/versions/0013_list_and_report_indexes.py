"""indexes for the task lists, the overdue lists, the dashboards, the committee report and case search

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Issue 13 (performance): each list or report query at national scale reads through an index
that matches its filter and, for the lists, its order, so a page stops after its rows.

* Live work (open or claimed) is a small share of all work items, and every overdue list and
  count reads only live work: two partial indexes hold just those rows, one per agency in
  deadline order (the agency's overdue list, a supervisor's dashboard), one across agencies
  (the committee's overdue list, the overdue counts per agency and protocol).
* ``work_items (state, completed_at)``: the tasks the committee report counts as done in a period.
* ``work_items (case_id, agency_code)``: whether an agency held work in a case, the visibility
  check of case search and the per-agency case counts of the report.
* ``cases (created_at, id)``: case search lists newest first; ``cases (closed_at)`` and
  ``escalations (raised_at)``: the report's periods.

The downgrade drops them; no data changes either way.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

LIVE = sa.text("state IN ('open', 'claimed')")


def upgrade() -> None:
    op.create_index('ix_work_items_live_agency_due', 'work_items', ['agency_code', 'due_at', 'id'],
                    sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_work_items_live_due', 'work_items', ['due_at', 'agency_code', 'case_id'],
                    sqlite_where=LIVE, postgresql_where=LIVE)
    op.create_index('ix_work_items_state_completed_at', 'work_items', ['state', 'completed_at'])
    op.create_index('ix_work_items_case_agency', 'work_items', ['case_id', 'agency_code'])
    op.create_index('ix_cases_created_at_id', 'cases', ['created_at', 'id'])
    op.create_index('ix_cases_closed_at', 'cases', ['closed_at'])
    op.create_index('ix_escalations_raised_at', 'escalations', ['raised_at'])


def downgrade() -> None:
    op.drop_index('ix_escalations_raised_at', table_name='escalations')
    op.drop_index('ix_cases_closed_at', table_name='cases')
    op.drop_index('ix_cases_created_at_id', table_name='cases')
    op.drop_index('ix_work_items_case_agency', table_name='work_items')
    op.drop_index('ix_work_items_state_completed_at', table_name='work_items')
    op.drop_index('ix_work_items_live_due', table_name='work_items')
    op.drop_index('ix_work_items_live_agency_due', table_name='work_items')

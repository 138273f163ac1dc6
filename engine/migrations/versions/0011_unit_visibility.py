"""unit visibility: a school's staff see their school's cases, and not a case about their own staff

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03

Issue 12, items 4 and 6:

* ``users.unit_code``: the reporting unit (a school of the education office) a person works at;
  empty for the office's own staff, who see every school's cases. Unit codes come from the
  network definition, like agency codes on work items, so there is no foreign key.
* ``cases.unit_code``: the unit a case concerns (the child's school), when the intake names one;
  until then the reporting unit stands for it.
* ``cases.unit_kept_out``: the alleged abuser is a teacher or staff of that school, so the
  school's staff may not open the case; the education office's fact-finding goes on without them.

The downgrade drops the three columns; the cases and accounts themselves stay.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('unit_code', sa.String(length=64), nullable=True))
    op.add_column('cases', sa.Column('unit_code', sa.String(length=64), nullable=True))
    op.add_column('cases', sa.Column('unit_kept_out', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('cases', 'unit_kept_out')
    op.drop_column('cases', 'unit_code')
    op.drop_column('users', 'unit_code')

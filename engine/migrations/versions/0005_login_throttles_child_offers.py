"""login throttles and child record offers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Password guessing is counted in ``login_throttles``, one row per counter (a name at an address,
an address, a name), each taken under a row lock before the password is checked, so that
simultaneous guesses are counted one after another (engine.people.throttle).

``child_offers`` records each child record shown as a possible match for an intake: completing
that intake may name only a record offered for it (or one already on a case the person may see).
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_throttles',
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_started_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('locked_until', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('scope', 'username', 'client_address', name=op.f('pk_login_throttles')),
    )

    op.create_table(
        'child_offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('work_item_id', sa.Integer(), nullable=True),
        sa.Column('offered_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_child_offers_child_id_children')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_child_offers_user_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_child_offers_case_id_cases')),
        sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_child_offers_work_item_id_work_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_child_offers')),
    )
    op.create_index('ix_child_offers_user_id_child_id', 'child_offers', ['user_id', 'child_id'])


def downgrade() -> None:
    op.drop_index('ix_child_offers_user_id_child_id', table_name='child_offers')
    op.drop_table('child_offers')
    op.drop_table('login_throttles')

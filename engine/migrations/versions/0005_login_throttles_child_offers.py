"""login throttles

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Password guessing is counted in ``login_throttles``, one row per counter (a name at an address,
an address, a name), each taken under a row lock before the password is checked, so that
simultaneous guesses are counted one after another (engine.people.throttle).
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


def downgrade() -> None:
    op.drop_table('login_throttles')

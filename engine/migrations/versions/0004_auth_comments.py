"""auth sessions, api tokens, login attempts and task comments

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Signing in over HTTP: server-side sessions and personal API tokens (both stored as SHA-256
digests only), the login attempts that rate-limit and lock out password guessing, and comments
on tasks (append-only, like the audit trail, and guarded the same way in the database).
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('occurred_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    )
    op.create_index('ix_login_attempts_username_occurred_at', 'login_attempts', ['username', 'occurred_at'])
    op.create_index('ix_login_attempts_client_address_occurred_at', 'login_attempts', ['client_address', 'occurred_at'])

    op.create_table(
        'auth_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('client_address', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_auth_sessions_token_hash')),
    )
    op.create_index('ix_auth_sessions_user_id', 'auth_sessions', ['user_id'])

    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('hint', sa.String(length=16), nullable=False),
        sa.Column('created_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index('ix_api_tokens_user_id', 'api_tokens', ['user_id'])

    op.create_table(
        'task_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_item_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_task_comments_work_item_id_work_items')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_task_comments_case_id_cases')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_task_comments_author_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_comments')),
    )
    op.create_index('ix_task_comments_work_item_id_id', 'task_comments', ['work_item_id', 'id'])
    op.create_index('ix_task_comments_case_id', 'task_comments', ['case_id'])
    _protect_comments()


def _protect_comments() -> None:
    """Comments are part of the case file: refuse UPDATE and DELETE in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION task_comments_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'task comments are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER task_comments_append_only BEFORE UPDATE OR DELETE ON task_comments "
            "FOR EACH ROW EXECUTE FUNCTION task_comments_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER task_comments_no_{verb.lower()} BEFORE {verb} ON task_comments "
                "BEGIN SELECT RAISE(ABORT, 'task comments are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS task_comments_append_only ON task_comments")
        op.execute("DROP FUNCTION IF EXISTS task_comments_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS task_comments_no_{verb}")
    op.drop_index('ix_task_comments_case_id', table_name='task_comments')
    op.drop_index('ix_task_comments_work_item_id_id', table_name='task_comments')
    op.drop_table('task_comments')
    op.drop_index('ix_api_tokens_user_id', table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index('ix_auth_sessions_user_id', table_name='auth_sessions')
    op.drop_table('auth_sessions')
    op.drop_index('ix_login_attempts_client_address_occurred_at', table_name='login_attempts')
    op.drop_index('ix_login_attempts_username_occurred_at', table_name='login_attempts')
    op.drop_table('login_attempts')

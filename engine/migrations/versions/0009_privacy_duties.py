"""privacy duties: restrictions, held referrals, the destruction log, redaction

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-10

PDPA duties (issue 14, items 1-2):

* ``case_restrictions``: a case frozen against further sharing (s.34), one row per restriction,
  kept after it is lifted; ``held_referrals``: the referrals and replies a restricted case threw,
  held until the restriction is lifted.
* ``destruction_log``: what retention anonymised and when (s.37(3)), append-only like the audit
  trail.
* ``redacted_at`` on ``audit_events`` and ``task_comments``: both stay append-only, with one
  exception the database itself enforces. Erasure may blank a row's text once (the details of
  an audit event, the body of a comment), setting ``redacted_at``; every other column, and so
  the skeleton of the trail (who did what, when, to which case), can never change.
* ``anonymised_at`` on ``children``; an index on ``cases (status, closed_at)`` for the
  retention sweep.

The downgrade keeps every row: the new tables go, and so do the new columns (a blanked text
stays blank), and the original append-only guards come back.
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None

# The columns that make the skeleton of a row: a redaction may change none of them.
AUDIT_SKELETON = (
    "id", "occurred_at", "action", "actor_id", "actor_username", "actor_role", "actor_agency", "client_address",
    "case_id", "work_item_id", "protocol_version_id",
)
COMMENT_SKELETON = ("id", "work_item_id", "case_id", "author_id", "created_at")


def upgrade() -> None:
    op.create_table(
        'case_restrictions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('restricted_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('restricted_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('request_reference', sa.String(length=32), nullable=True),
        sa.Column('lifted_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lift_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_restrictions_case_id_cases')),
        sa.ForeignKeyConstraint(['restricted_by_id'], ['users.id'], name=op.f('fk_case_restrictions_restricted_by_id_users')),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_case_restrictions_lifted_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_restrictions')),
    )
    op.create_index('ix_case_restrictions_case_id_lifted_at', 'case_restrictions', ['case_id', 'lifted_at'])

    op.create_table(
        'held_referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('restriction_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.String(length=255), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('correlations', sa.JSON(), nullable=False),
        sa.Column('held_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('released_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_held_referrals_case_id_cases')),
        sa.ForeignKeyConstraint(['restriction_id'], ['case_restrictions.id'],
                                name=op.f('fk_held_referrals_restriction_id_case_restrictions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_held_referrals')),
    )
    op.create_index('ix_held_referrals_case_id_released_at', 'held_referrals', ['case_id', 'released_at'])

    op.create_table(
        'destruction_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('destroyed_at', engine.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column('subject', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('child_id', sa.Integer(), nullable=True),
        sa.Column('protocol_key', sa.String(length=64), nullable=True),
        sa.Column('closed_at', engine.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column('retention_period', sa.String(length=32), nullable=True),
        sa.Column('actor_username', sa.String(length=64), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_destruction_log_case_id_cases')),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_destruction_log_child_id_children')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_log')),
        sa.UniqueConstraint('subject', name=op.f('uq_destruction_log_subject')),
    )
    op.create_index('ix_destruction_log_destroyed_at', 'destruction_log', ['destroyed_at'])
    _refuse_changes('destruction_log', 'the destruction log is append-only')

    op.add_column('children', sa.Column('anonymised_at', engine.db.UtcDateTime(timezone=True), nullable=True))
    op.create_index('ix_cases_status_closed_at', 'cases', ['status', 'closed_at'])

    _drop_append_only_guards()
    op.add_column('audit_events', sa.Column('redacted_at', engine.db.UtcDateTime(timezone=True), nullable=True))
    op.add_column('task_comments', sa.Column('redacted_at', engine.db.UtcDateTime(timezone=True), nullable=True))
    _guard_with_redaction('audit_events', AUDIT_SKELETON, 'audit events are append-only')
    _guard_with_redaction('task_comments', COMMENT_SKELETON, 'task comments are append-only')


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _refuse_changes(table: str, message: str) -> None:
    """UPDATE and DELETE refused outright (the shape 0001 and 0004 gave their tables)."""
    if _postgres():
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def _drop_guards(table: str) -> None:
    if _postgres():
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")


def _drop_append_only_guards() -> None:
    for table in ("audit_events", "task_comments"):
        _drop_guards(table)


def _guard_with_redaction(table: str, skeleton: tuple[str, ...], message: str) -> None:
    """DELETE refused; UPDATE refused unless it is the one redaction the row may have: from no
    ``redacted_at`` to one, every skeleton column unchanged."""
    if _postgres():
        same = " AND ".join(f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in skeleton)
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND {same} "
            f"THEN RETURN NEW; END IF; RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        same = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in skeleton)
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"WHEN NOT (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND {same}) "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def downgrade() -> None:
    _drop_append_only_guards()
    op.drop_column('task_comments', 'redacted_at')
    op.drop_column('audit_events', 'redacted_at')
    _refuse_changes('audit_events', 'audit events are append-only')
    _refuse_changes('task_comments', 'task comments are append-only')

    op.drop_index('ix_cases_status_closed_at', table_name='cases')
    op.drop_column('children', 'anonymised_at')

    _drop_guards('destruction_log')
    op.drop_index('ix_destruction_log_destroyed_at', table_name='destruction_log')
    op.drop_table('destruction_log')
    op.drop_index('ix_held_referrals_case_id_released_at', table_name='held_referrals')
    op.drop_table('held_referrals')
    op.drop_index('ix_case_restrictions_case_id_lifted_at', table_name='case_restrictions')
    op.drop_table('case_restrictions')

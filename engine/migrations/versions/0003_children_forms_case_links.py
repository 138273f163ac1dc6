"""children forms case links

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Child records and guardians, forms by key, links between cases (referrals), the reporting
unit of a case, and the messages that start a protocol.
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=13), nullable=True),
    sa.Column('g_code', sa.String(length=13), nullable=True),
    sa.Column('first_name', sa.String(length=255), nullable=False),
    sa.Column('last_name', sa.String(length=255), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('nationality', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=64), nullable=True),
    sa.Column('school', sa.String(length=255), nullable=True),
    sa.Column('created_at', engine.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', engine.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_children')),
    sa.UniqueConstraint('g_code', name=op.f('uq_children_g_code')),
    sa.UniqueConstraint('national_id', name=op.f('uq_children_national_id'))
    )
    op.create_table('forms',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('schema_json', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', engine.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_forms'))
    )
    op.create_table('guardians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('alleged_abuser', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_guardians_child_id_children')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardians'))
    )
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardians_child_id'), ['child_id'], unique=False)

    op.create_table('case_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_case_id', sa.Integer(), nullable=False),
    sa.Column('to_case_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=255), nullable=False),
    sa.Column('created_at', engine.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_case_id'], ['cases.id'], name=op.f('fk_case_links_from_case_id_cases')),
    sa.ForeignKeyConstraint(['to_case_id'], ['cases.id'], name=op.f('fk_case_links_to_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_links')),
    sa.UniqueConstraint('from_case_id', 'to_case_id', name=op.f('uq_case_links_from_case_id_to_case_id'))
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_links_from_case_id'), ['from_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_links_to_case_id'), ['to_case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('child_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reporting_unit', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_child_id'), ['child_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_child_id_children'), 'children', ['child_id'], ['id'])

    with op.batch_alter_table('protocol_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_starts', sa.Text(), server_default='[]', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('protocol_versions', schema=None) as batch_op:
        batch_op.drop_column('message_starts')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_child_id_children'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_child_id'))
        batch_op.drop_column('reporting_unit')
        batch_op.drop_column('child_id')

    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_links_to_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_links_from_case_id'))

    op.drop_table('case_links')
    with op.batch_alter_table('guardians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardians_child_id'))

    op.drop_table('guardians')
    op.drop_table('forms')
    op.drop_table('children')

"""referral bases and re-opening: the legal basis of each referral, anonymised cases marked

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Issue 12, items 7 and 3:

* ``legal_basis`` and ``consented_by`` on ``case_links``: the PDPA basis of the disclosure a
  referral made (``legal_duty``, ``public_task``, ``vital_interest``, ``consent``) and, where it
  is consent, who consented. Links made before this revision keep NULL: their basis was never
  recorded, and guessing one now would put a false statement on the record.
* the same two columns on ``held_referrals``, so that a referral held while its case was
  restricted keeps its basis until it is released.
* ``anonymised_at`` on ``cases``: a case retention has anonymised can never be re-opened. Cases
  anonymised before this revision get the time from the destruction log.

The downgrade drops the columns; nothing else changes.
"""
import sqlalchemy as sa
from alembic import op

import engine.db

revision = '0012'
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('case_links', 'held_referrals'):
        op.add_column(table, sa.Column('legal_basis', sa.String(length=32), nullable=True))
        op.add_column(table, sa.Column('consented_by', sa.String(length=200), nullable=True))
    op.add_column('cases', sa.Column('anonymised_at', engine.db.UtcDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE cases SET anonymised_at = (SELECT MIN(d.destroyed_at) FROM destruction_log d "
        "WHERE d.kind = 'case' AND d.case_id = cases.id) "
        "WHERE EXISTS (SELECT 1 FROM destruction_log d WHERE d.kind = 'case' AND d.case_id = cases.id)"
    )


def downgrade() -> None:
    op.drop_column('cases', 'anonymised_at')
    for table in ('held_referrals', 'case_links'):
        op.drop_column(table, 'consented_by')
        op.drop_column(table, 'legal_basis')

"""an index of each case reference's tails from a dash, for case search by a reference's part

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Issue 13 (performance), case search at 1,000,000 work items: the trigram index of 0014 finds a
part of a reference such as ``BEN-2026-0000009`` poorly, because its digits make few distinct
trigrams (``009`` is in one reference of ten, and trigrams keep no positions): at 100,000 cases
it handed 10,295 rows to the recheck, which kept 96.

On PostgreSQL, ``case_reference_tails(reference)`` is the lower-cased reference's tails that
start at a dash (``TAK-2026-000001`` gives ``-2026-000001`` and ``-000001``) as a ``tsvector``,
and a GIN index holds it. A search that contains a dash can only match a reference at a place
where the search's first dash lies on one of the reference's dashes, so the references whose
tails start with the search's own tail from its first dash are all the references it can find
(``engine.cases.queries.matching_cases`` then tests the substring on those few). GIN finds tails
by their beginning (a ``tsquery`` prefix), which trigrams cannot.

SQLite has neither; its searches scan, as before: the upgrade and downgrade do nothing there.

The downgrade drops the index, then the function.
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Lower-cased as ILIKE compares on PostgreSQL (both sides through lower()), so that a tail of
# what a search finds is always a tail of the indexed text.
CASE_REFERENCE_TAILS = """
CREATE FUNCTION case_reference_tails(reference text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT substr(folded.reference, start)
        FROM (SELECT lower(reference) AS reference) AS folded,
             generate_series(1, length(folded.reference)) AS start
        WHERE substr(folded.reference, start, 1) = '-'
    ))
$$
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        op.execute(CASE_REFERENCE_TAILS)
        op.execute("CREATE INDEX ix_cases_reference_tails ON cases USING gin (case_reference_tails(reference))")


def downgrade() -> None:
    if _postgres():
        op.execute("DROP INDEX IF EXISTS ix_cases_reference_tails")
        op.execute("DROP FUNCTION IF EXISTS case_reference_tails(text)")

"""Case search: a part of the reference or of the child's name, or an identifier, among the cases
the reader may see, newest first, counted in full. On PostgreSQL the substrings are found through
trigram indexes (migration 0014), and a search with a dash through the reference tails (0017):
the last tests pin both."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from engine.cases import queries
from engine.cases.models import Case
from engine.cases.queries import matching_cases
from engine.cases.reads import search_cases
from engine.children.models import Child
from tests.conftest import add_user
from tests.engine.cases.test_commands import publish_reference, start


@pytest.fixture
def cases(session, network, clock, people):
    """Four cases of spm_tak (TAK-2026-000001 to 4), one a minute, three of them with a child."""
    publish_reference(session, network, clock, people["policy"])
    made = []
    for _ in range(4):
        made.append(start(session, clock, network, people))
        clock.advance(timedelta(minutes=1))
    now = clock.now()
    children = [
        Child(first_name="มะลิ", last_name="ใจดี", national_id="1101700230708", created_at=now, updated_at=now),
        Child(first_name="Somchai", last_name="Rakdee", g_code="G12345", created_at=now, updated_at=now),
        Child(first_name="Nok", last_name=None, created_at=now, updated_at=now),
    ]
    session.add_all(children)
    session.flush()
    for case, child in zip(made, children, strict=False):
        session.execute(update(Case).where(Case.id == case.id).values(child_id=child.id))
    session.commit()
    return made


def _found(session, clock, actor, q, **filters):
    page = search_cases(session=session, actor=actor, now=clock.now(), q=q, limit=20, offset=0, **filters)
    return [view.case.reference for view in page.rows], page.total


def test_a_part_of_the_reference_finds_the_case_in_any_case(session, clock, people, cases):
    worker = people["school_worker"]
    assert _found(session, clock, worker, "2026-00000") == (
        ["TAK-2026-000004", "TAK-2026-000003", "TAK-2026-000002", "TAK-2026-000001"], 4)
    assert _found(session, clock, worker, "026-000003") == (["TAK-2026-000003"], 1)
    assert _found(session, clock, worker, "tak-2026-000002") == (["TAK-2026-000002"], 1)
    assert _found(session, clock, worker, "  00004 ") == (["TAK-2026-000004"], 1)
    # LIKE's wildcards are the characters themselves.
    assert _found(session, clock, worker, "%") == ([], 0)
    assert _found(session, clock, worker, "TAK_2026") == ([], 0)
    assert _found(session, clock, worker, "2026-000002", status="completed") == ([], 0)


def test_a_part_of_the_childs_name_or_an_identifier_finds_the_case(session, clock, people, cases):
    worker = people["school_worker"]
    assert _found(session, clock, worker, "ะลิ")[0] == ["TAK-2026-000001"]
    assert _found(session, clock, worker, "ใจ")[0] == ["TAK-2026-000001"]
    assert _found(session, clock, worker, "มะลิ ใจ")[0] == ["TAK-2026-000001"]
    assert _found(session, clock, worker, "mchai rak") == (["TAK-2026-000002"], 1)
    assert _found(session, clock, worker, "RAKDEE")[0] == ["TAK-2026-000002"]
    assert _found(session, clock, worker, "1101700230708")[0] == ["TAK-2026-000001"]
    assert _found(session, clock, worker, "g12345")[0] == ["TAK-2026-000002"]
    assert _found(session, clock, worker, "110170023")[0] == []  # identifiers match whole
    # No last name: the first name is found, and the space after it is not part of the name.
    assert _found(session, clock, worker, "Nok ")[0] == ["TAK-2026-000003"]
    assert _found(session, clock, worker, "ok")[0] == ["TAK-2026-000003"]
    # A blank query is no condition.
    assert _found(session, clock, worker, "   ")[1] == 4


def test_a_case_the_reader_may_not_see_is_neither_shown_nor_counted(session, clock, people, cases):
    police = people["police_worker"]
    assert _found(session, clock, police, "2026") == ([], 0)
    assert _found(session, clock, police, "Somchai") == ([], 0)
    committee = add_user(session, "committee", "committee", None)
    assert _found(session, clock, committee, "Somchai") == (["TAK-2026-000002"], 1)
    # A school's staff see their school's cases only (the reporting unit here).
    session.execute(update(Case).where(Case.id == cases[1].id).values(reporting_unit="school_a"))
    session.commit()
    school = add_user(session, "teacher.spm_tak", "case_worker", "spm_tak", unit="school_a")
    assert _found(session, clock, school, "2026") == (["TAK-2026-000002"], 1)
    session.execute(update(Case).where(Case.id == cases[1].id).values(unit_kept_out=True))
    session.commit()
    assert _found(session, clock, school, "Somchai") == ([], 0)


def test_paging_the_search_keeps_the_newest_first_and_the_total(session, clock, people, cases):
    worker = people["school_worker"]
    pages = [search_cases(session=session, actor=worker, now=clock.now(), q="TAK", limit=3, offset=offset)
             for offset in (0, 3)]
    assert [[view.case.reference for view in page.rows] for page in pages] == [
        ["TAK-2026-000004", "TAK-2026-000003", "TAK-2026-000002"], ["TAK-2026-000001"]]
    assert [page.total for page in pages] == [4, 4]
    past_the_end = search_cases(session=session, actor=worker, now=clock.now(), q="TAK", limit=3, offset=6)
    assert past_the_end.rows == [] and past_the_end.total == 4
    unfiltered = search_cases(session=session, actor=worker, now=clock.now(), limit=3, offset=3)
    assert [view.case.reference for view in unfiltered.rows] == ["TAK-2026-000001"] and unfiltered.total == 4


def test_a_search_finding_many_cases_answers_the_same_as_a_narrow_one(session, clock, people, cases, monkeypatch):
    """Past ``SEARCH_CANDIDATES`` found cases the search tests every visible case instead of
    reading the found ones by id: the same cases, order and totals either way."""
    committee = add_user(session, "committee", "committee", None)
    readers = [people["school_worker"], people["police_worker"], committee]
    searches = ["2026", "TAK-2026-000003", "Somchai", "ใจ", "g12345", "Nok", "nothing"]
    narrow = [_found(session, clock, reader, q) for reader in readers for q in searches]
    monkeypatch.setattr(queries, "SEARCH_CANDIDATES", 1)
    assert queries.found_cases(session=session, text="2026") is None
    assert queries.found_cases(session=session, text="Somchai") == {cases[1].id}
    assert [_found(session, clock, reader, q) for reader in readers for q in searches] == narrow
    assert narrow[0] == (["TAK-2026-000004", "TAK-2026-000003", "TAK-2026-000002", "TAK-2026-000001"], 4)


# Each search's tail from its first dash is long enough for PostgreSQL to find the references
# through their tails (migration 0017), except where said; the found case is the same either way.
TAILED_SEARCHES = [
    "TAK-2026-0000",  # at the start of TAK-2026-000002, one place in of XTAK-2026-000001
    "k-2026-000001",  # two letters into the prefix, in lower case
    "2025-a-b-00000",  # the search's first dash is a reference's second
    "-2026-00000",  # from a dash
    "B-C-2025-A",  # from the second character of a tail
    "K-2026-0000%",  # LIKE's wildcard is the character itself
    "it's-a\\-2026",  # a quote and a backslash are characters of the tail, not of tsquery's syntax
    "K-2026",  # a short tail: found by trigrams
    "X-ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",  # longer than any reference
]


def test_a_search_with_a_dash_finds_the_reference_anywhere_in_it(session, clock, people, cases):
    """Whichever way the database finds them, the cases found are those whose reference holds
    the search, at its start or inside it, in any case (compared here with Python's ``in``)."""
    references = ["XTAK-2026-000001", "TAK-2026-000002", "TAK-2025-A-B-000003", "AB-C-2025-A-000004"]
    for case, reference in zip(cases, references, strict=True):
        session.execute(update(Case).where(Case.id == case.id).values(reference=reference))
    session.commit()
    worker = people["school_worker"]
    for q in TAILED_SEARCHES:
        expected = [reference for reference in reversed(references) if q.lower() in reference.lower()]
        assert _found(session, clock, worker, q) == (expected, len(expected)), q
    assert _found(session, clock, worker, "TAK-2026-0000")[0] == ["TAK-2026-000002", "XTAK-2026-000001"]
    assert _found(session, clock, worker, "2025-a-b-00000")[0] == ["TAK-2025-A-B-000003"]
    assert _found(session, clock, worker, "B-C-2025-A")[0] == ["AB-C-2025-A-000004"]


@pytest.mark.postgres
def test_postgresql_finds_a_search_with_a_dash_through_the_reference_tails(postgres_session_factory):
    """A long enough tail reads the tails' index and not the trigram index (which would read
    as many rows as before); a short one, or a search without a dash, reads the trigrams."""
    with postgres_session_factory() as session:
        connection = session.connection()
        connection.execute(text("SET LOCAL enable_seqscan = off"))

        def plan(q: str) -> str:
            statement = matching_cases(q, on_postgresql=True).compile(dialect=session.get_bind().dialect)
            return "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + str(statement), statement.params))

        tailed = plan("BEN-2026-0000009")
        assert "ix_cases_reference_tails" in tailed and "ix_cases_reference_trgm" not in tailed, tailed
        for q in ("BEN-2026", "0000009"):
            untailed = plan(q)
            assert "ix_cases_reference_trgm" in untailed and "ix_cases_reference_tails" not in untailed, untailed
        session.rollback()


@pytest.mark.postgres
def test_postgresql_finds_substrings_through_the_trigram_indexes(postgres_session_factory):
    """The reference and the child's full name as searched are the indexed expressions (a
    changed expression would silently fall back to reading every case)."""
    with postgres_session_factory() as session:
        statement = matching_cases("mchai").compile(dialect=session.get_bind().dialect)
        connection = session.connection()
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + str(statement), statement.params))
        assert "ix_cases_reference_trgm" in plan and "ix_children_full_name_trgm" in plan, plan
        session.rollback()

"""The inbox stays one page at 10,000 tasks: the same statements as at ten, one page of rows (a
statement-count and row-count check; the speed itself is measured by `make bench`)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select

from engine.cases.models import Case, WorkItem
from engine.protocols.service import latest_published
from tests.api.pages.conftest import sign_in
from tests.conftest import add_user

PAGE_ROWS = 25


def add_open_tasks(session, clock, *, count: int, first_case: int, agency: str = "pmj_tak") -> None:
    """``count`` open tasks of ``agency`` on P1 cases, written straight to the tables (100 per case)."""
    version = latest_published(session=session, key="p1_abuse_report")
    now = clock.now()
    per_case = 100
    cases = [
        {"id": first_case + n, "reference": f"TAK-2026-{900000 + first_case + n:06d}", "protocol_version_id": version.id,
         "status": "active", "state_json": "{}", "version": 1, "created_at": now, "updated_at": now}
        for n in range(-(-count // per_case))
    ]
    session.execute(insert(Case), cases)
    session.execute(insert(WorkItem), [
        {"case_id": cases[n // per_case]["id"], "task_id": f"t{n}", "task_name": "receive_report", "label": "รับแจ้งเหตุ",
         "lane": agency, "agency_code": agency, "state": "open", "form_key": "p1_receive_report", "created_at": now,
         # A spread of deadlines, a fifth already past.
         "due_at": now + timedelta(hours=(n % 50) - 10), "escalation_level": 0, "deadlines_fired": 0}
        for n in range(count)
    ])
    session.commit()


@pytest.mark.slow
def test_the_inbox_reads_one_page_whatever_the_number_of_tasks(browser, session, clock, tak_library, accounts):
    add_user(session, "worker.pmj_tak", "case_worker", "pmj_tak")
    sign_in(browser, session, "worker.pmj_tak")
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    engine = browser.app.state.wiring.db
    event.listen(engine, "before_cursor_execute", record)
    try:
        def inbox_page(query: str = ""):
            statements.clear()
            page = browser.get("/inbox" + query)
            assert page.status_code == 200
            return page, list(statements)

        add_open_tasks(session, clock, count=10, first_case=1)
        small, small_statements = inbox_page()
        add_open_tasks(session, clock, count=10_000 - 10, first_case=1000)
        assert session.scalar(select(WorkItem.id).order_by(WorkItem.id.desc()).limit(1)) == 10_000
        large, large_statements = inbox_page()
        last, last_statements = inbox_page("?page=400")
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(re.findall(r'<tr id="task-\d+"', small.text)) == 10
    assert len(re.findall(r'<tr id="task-\d+"', large.text)) == PAGE_ROWS
    assert len(re.findall(r'<tr id="task-\d+"', last.text)) == PAGE_ROWS
    assert "10,000 งาน" in large.text and '<span class="count">10,000</span>' in large.text
    assert "หน้า 400 จาก 400" in last.text
    # As many statements at 10,000 tasks as at 10, and the rows come a page at a time.
    assert len(large_statements) == len(small_statements) == len(last_statements)
    reads_of_rows = [s for s in large_statements if "FROM work_items" in s and "count(" not in s.lower()
                     and "LIMIT" in s and "JOIN cases" in s]
    assert reads_of_rows, "no paged read of the inbox's rows"
    assert all("LIMIT" in s for s in large_statements if "FROM work_items" in s and "count(" not in s.lower()
               and "DISTINCT" not in s)

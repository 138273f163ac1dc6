"""The inbox read model: a worker's claimed tasks and their agency's open ones they may work,
overdue first, filtered, counted, and the way back from a new case to its first task."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.cases import assignment, commands
from engine.cases.inbox import inbox, inbox_count, inbox_entry, next_task_for
from engine.cases.models import WorkItem
from engine.deadlines.tick import tick
from tests.conftest import add_user
from tests.engine.cases.test_commands import publish_reference, start


@pytest.fixture
def reference(session, network, clock, people):
    return publish_reference(session, network, clock, people["policy"])


def _ids(page):
    return [entry.item.id for entry in page.rows]


def _report(session, case):
    return session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))


def test_the_inbox_holds_my_claimed_tasks_and_the_agencys_open_ones(session, network, clock, people, reference):
    first, second, third = (start(session, clock, network, people) for _ in range(3))
    mine = assignment.claim(session=session, work_item_id=_report(session, first).id, actor=people["school_worker"], clock=clock)
    theirs = assignment.claim(session=session, work_item_id=_report(session, second).id,
                              actor=people["school_worker_2"], clock=clock)
    waiting = _report(session, third)
    now = clock.now()
    page = inbox(session=session, actor=people["school_worker"], now=now, limit=10, offset=0)
    assert set(_ids(page)) == {mine.id, waiting.id} and page.total == 2
    assert theirs.id not in _ids(page)
    assert [entry.mine for entry in page.rows if entry.item.id == mine.id] == [True]
    assert page.rows[0].protocol_key == "reference" and page.rows[0].case_reference.startswith("TAK-")
    assert inbox_count(session=session, actor=people["school_worker"], now=now).total == 2
    assert inbox(session=session, actor=people["social_worker"], now=now, limit=10, offset=0).total == 0
    assert inbox_entry(session=session, item=mine).assignee_username == "worker.spm_tak"


def test_overdue_first_then_by_deadline_and_the_due_window(session, network, clock, people, reference):
    cases = [start(session, clock, network, people) for _ in range(3)]
    for case in cases:
        assignment.claim(session=session, work_item_id=_report(session, case).id, actor=people["school_worker"], clock=clock)
    # The report task has no deadline; give them deadlines, one already past.
    now = clock.now()
    dues = [now + timedelta(hours=30), now - timedelta(hours=2), now + timedelta(hours=5)]
    for case, due in zip(cases, dues, strict=True):
        session.execute(update(WorkItem).where(WorkItem.case_id == case.id).values(due_at=due))
    session.commit()
    items = [_report(session, case).id for case in cases]
    page = inbox(session=session, actor=people["school_worker"], now=now, limit=10, offset=0)
    assert _ids(page) == [items[1], items[2], items[0]]
    assert inbox_count(session=session, actor=people["school_worker"], now=now).overdue == 1
    soon = inbox(session=session, actor=people["school_worker"], now=now, due_from=now, due_before=now + timedelta(hours=24),
                 limit=10, offset=0)
    assert _ids(soon) == [items[2]]
    second_page = inbox(session=session, actor=people["school_worker"], now=now, limit=2, offset=2)
    assert _ids(second_page) == [items[0]] and second_page.total == 3
    assert inbox(session=session, actor=people["school_worker"], now=now, protocol="p1_abuse_report", limit=10,
                 offset=0).total == 0


def test_a_task_for_supervisors_is_not_in_a_case_workers_inbox(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    item = _report(session, case)
    session.execute(update(WorkItem).where(WorkItem.id == item.id).values(candidate_role="supervisor"))
    session.commit()
    now = clock.now()
    assert inbox(session=session, actor=people["school_worker"], now=now, limit=10, offset=0).total == 0
    assert _ids(inbox(session=session, actor=people["school_supervisor"], now=now, limit=10, offset=0)) == [item.id]


def test_starting_leads_to_the_first_task_the_starter_may_work(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    assert next_task_for(session=session, actor=people["school_worker"], case_id=case.id).task_name == "report"
    assert next_task_for(session=session, actor=people["social_worker"], case_id=case.id) is None
    committee = add_user(session, "committee", "committee", None)
    assert next_task_for(session=session, actor=committee, case_id=case.id) is None


def test_overdue_items_appear_after_the_deadline_passes(session, network, clock, people, reference):
    case = start(session, clock, network, people)
    commands.complete(session=session, work_item_id=_report(session, case).id, data={"severity": "high"},
                      actor=people["school_worker"], clock=clock, network=network)
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    social = people["social_worker"]
    page = inbox(session=session, actor=social, now=clock.now(), limit=10, offset=0)
    assert [entry.item.task_name for entry in page.rows][0] == "assess"
    assert inbox_count(session=session, actor=social, now=clock.now()).overdue == 1


# -- the seats: read apart, merged in deadline order --------------------------------------------


def _set(session, item_id, **values):
    session.execute(update(WorkItem).where(WorkItem.id == item_id).values(**values))
    session.commit()


def test_a_task_i_hold_in_another_agencys_work_stays_in_my_inbox(session, network, clock, people, reference):
    held, other = (_report(session, start(session, clock, network, people)) for _ in range(2))
    assignment.claim(session=session, work_item_id=held.id, actor=people["school_worker"], clock=clock)
    # Handed to another agency's lane while still held: the held seat is not the agency's.
    _set(session, held.id, agency_code="pmj_tak")
    _set(session, other.id, agency_code="pmj_tak")
    now = clock.now()
    worker = people["school_worker"]
    page = inbox(session=session, actor=worker, now=now, limit=10, offset=0)
    assert _ids(page) == [held.id] and page.total == 1 and page.rows[0].mine
    assert inbox_count(session=session, actor=worker, now=now).total == 1
    # The other agency's worker sees the open one, not the one held by someone else.
    social = inbox(session=session, actor=people["social_worker"], now=now, limit=10, offset=0)
    assert _ids(social) == [other.id] and social.total == 1


def test_pages_across_held_and_open_tasks_keep_the_deadline_order(session, network, clock, people, reference):
    worker = people["school_worker"]
    items = [_report(session, start(session, clock, network, people)) for _ in range(7)]
    now = clock.now()
    # (held by the worker?, due): interleaved, two undated, one overdue in each seat.
    plan = [(True, now + timedelta(hours=1)), (False, now + timedelta(hours=2)), (True, None),
            (False, now - timedelta(hours=1)), (True, now + timedelta(hours=3)), (False, None),
            (True, now - timedelta(hours=5))]
    for item, (held, due) in zip(items, plan, strict=True):
        if held:
            assignment.claim(session=session, work_item_id=item.id, actor=worker, clock=clock)
        _set(session, item.id, due_at=due)
    # Same deadline in both seats: the id decides.
    _set(session, items[1].id, due_at=now + timedelta(hours=1))
    dated = sorted(((due if i != 1 else now + timedelta(hours=1)), item.id)
                   for i, (item, (_, due)) in enumerate(zip(items, plan, strict=True)) if due is not None)
    expected = [item_id for _, item_id in dated] + sorted(items[i].id for i in (2, 5))
    whole = inbox(session=session, actor=worker, now=now, limit=50, offset=0)
    assert _ids(whole) == expected and whole.total == 7
    pages = [inbox(session=session, actor=worker, now=now, limit=2, offset=offset) for offset in range(0, 8, 2)]
    assert [item_id for page in pages for item_id in _ids(page)] == expected
    assert {page.total for page in pages} == {7}
    past_the_end = inbox(session=session, actor=worker, now=now, limit=2, offset=8)
    assert past_the_end.rows == [] and past_the_end.total == 7
    assert _ids(inbox(session=session, actor=worker, now=now, limit=3, offset=3)) == expected[3:6]
    assert inbox_count(session=session, actor=worker, now=now).overdue == 2
    # The due window applies to both seats.
    window = inbox(session=session, actor=worker, now=now, due_from=now, due_before=now + timedelta(hours=2, minutes=30),
                   limit=10, offset=0)
    assert _ids(window) == [items[0].id, items[1].id] and window.total == 2
    # A second worker of the agency sees only the open seat, in the same order.
    other = inbox(session=session, actor=people["school_worker_2"], now=now, limit=10, offset=0)
    assert _ids(other) == [items[3].id, items[1].id, items[5].id] and other.total == 3


def test_the_open_seat_keeps_the_role_rule_when_paging(session, network, clock, people, reference):
    items = [_report(session, start(session, clock, network, people)) for _ in range(4)]
    now = clock.now()
    for n, item in enumerate(items):
        _set(session, item.id, due_at=now + timedelta(hours=n), candidate_role="supervisor" if n % 2 == 0 else None)
    worker, supervisor = people["school_worker"], people["school_supervisor"]
    assert _ids(inbox(session=session, actor=worker, now=now, limit=1, offset=1)) == [items[3].id]
    assert inbox(session=session, actor=worker, now=now, limit=1, offset=0).total == 2
    assert _ids(inbox(session=session, actor=supervisor, now=now, limit=3, offset=1)) == [item.id for item in items[1:]]
    assert inbox_count(session=session, actor=supervisor, now=now).total == 4

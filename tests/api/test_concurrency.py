"""Two people complete the same task at the same moment, over HTTP: one wins, one is told 409."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.children.models import Child
from engine.forms.service import put_form
from tests.api.conftest import API, person
from tests.api.test_http_contract import INTAKE_FORM, NATIONAL_ID
from tests.engine.cases.test_commands import publish_reference


def _race(client, item_id: int, callers) -> list[int]:
    """Each caller completes the task; a barrier releases them together."""
    barrier = threading.Barrier(len(callers))
    answers: list[int] = []

    def complete(who) -> None:
        barrier.wait()
        response = client.post(f"{API}/tasks/{item_id}/complete", headers=who.headers, json={"data": {"severity": "low"}})
        answers.append(response.status_code)
        if response.status_code != 200:
            assert response.headers["content-type"] == "application/problem+json"

    threads = [threading.Thread(target=complete, args=(who,)) for who in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_concurrent_completion_gives_one_200_and_one_409(client, session, clock, network, staff, reference_forms):
    publish_reference(session, network, clock, staff["policy"].actor)
    callers = [staff["worker.spm_tak"], person(session, clock, "worker2.spm_tak", "case_worker", "spm_tak")]
    for _round in range(5):
        case = commands.start_case(session=session, protocol_key="reference", data={}, actor=callers[0].actor,
                                  clock=clock, network=network)
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))
        assert sorted(_race(client, item_id, callers)) == [200, 409]
        completions = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "work_item.completed", AuditEvent.case_id == case.id))
        assert completions == 1


def test_twenty_simultaneous_intakes_of_one_new_child_all_succeed_on_one_record(client, session, clock, network, staff,
                                                                                reference_forms):
    """Find-or-create of the child's record must be race-safe (issue 9, item 10): before, eight
    of twenty answered 500 (UniqueViolation) on PostgreSQL."""
    put_form(session, key="report_form", schema=INTAKE_FORM, clock=clock)
    session.commit()
    publish_reference(session, network, clock, staff["policy"].actor)
    worker = staff["worker.spm_tak"]
    items = []
    for _ in range(20):
        case = commands.start_case(session=session, protocol_key="reference", data={}, actor=worker.actor, clock=clock,
                                  network=network)
        items.append(session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id)))
    data = {"severity": "low", "child_first_name": "ฝน", "child_national_id": NATIONAL_ID}
    barrier = threading.Barrier(len(items))
    answers: list[tuple[int, str]] = []

    def complete(item_id: int) -> None:
        barrier.wait()
        try:
            response = client.post(f"{API}/tasks/{item_id}/complete", headers=worker.headers, json={"data": data})
        except Exception as exc:  # noqa: BLE001 - the test client re-raises what answered 500
            answers.append((500, repr(exc)[:200]))
            return
        answers.append((response.status_code, response.text[:200]))

    threads = [threading.Thread(target=complete, args=(item_id,)) for item_id in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in answers] == [200] * 20, [a for a in answers if a[0] != 200]
    [child_id] = session.scalars(select(Child.id)).all()
    assert set(session.scalars(select(Case.child_id))) == {child_id}

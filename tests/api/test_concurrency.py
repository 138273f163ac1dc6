"""Two people complete the same task at the same moment, over HTTP: one wins, one is told 409."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import WorkItem
from tests.api.conftest import API, person
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

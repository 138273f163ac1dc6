"""Cases whose deadlines fall due together, for the tests of the tick and its workers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.network.service import sync_network
from engine.people.actors import Actor
from engine.people.models import User
from tests.conftest import START
from tests.engine.cases.test_commands import publish_reference


def cases_due_together(factory, network, clock, count: int) -> list[int]:
    """``count`` cases whose follow-up timer falls due at the same moment (they were started
    together on the simulated clock), and that moment passed."""
    with factory() as session:
        sync_network(session=session, network=network)
        worker = User(username="due.worker", display_name="w", role_code="case_worker", agency_code="spm_tak",
                      active=True, created_at=START)
        policy = User(username="due.policy", display_name="p", role_code="policy", active=True, created_at=START)
        session.add_all([worker, policy])
        session.commit()
        worker, policy = Actor.of(worker), Actor.of(policy)
        publish_reference(session, network, clock, policy)
        case_ids = []
        for _ in range(count):
            case = commands.start_case(session=session, protocol_key="reference", data={}, actor=worker, clock=clock,
                                       network=network)
            report = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))
            commands.complete(session=session, work_item_id=report, data={"severity": "high"}, actor=worker,
                              clock=clock, network=network)
            case_ids.append(case.id)
        due = set(session.scalars(select(Case.next_timer_at).where(Case.id.in_(case_ids))))
    assert len(due) == 1, "the cases should fall due at one moment"
    clock.advance(timedelta(hours=25))
    return case_ids

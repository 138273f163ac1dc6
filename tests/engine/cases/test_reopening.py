"""Re-opening a closed case (issue 12, item 3): a new case of the same protocol for the same
child, linked to the closed one, by a supervisor of an agency that worked it; audited; refused
for a case that is not closed, one retention anonymised, and one re-opened already."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.links import case_links
from engine.cases.models import Case, CaseStatus, WorkItem
from engine.cases.reopening import reopen_case
from engine.errors import Forbidden, InvalidInput, InvalidState, NotFound
from engine.migrations import alembic_config
from engine.network.definition import RetentionSchedule
from engine.people.actors import SYSTEM
from engine.privacy.retention import run_retention
from tests.conftest import add_user
from tests.engine.privacy.scenes import MALEE, case_for_child, close_filed_case, publish_intake_protocol
from tests.tables import insert_rows

REASON = "ครูพบรอยช้ำใหม่หลังปิดกรณี"


@pytest.fixture
def closed(session, network, clock, people):
    publish_intake_protocol(session, network, clock, people["policy"])
    case = case_for_child(session, network, clock, people["school_worker"], MALEE)
    case = close_filed_case(session, network, clock, people["school_worker"], case)
    assert case.status == CaseStatus.COMPLETED.value
    return case


def _reopen(session, network, clock, actor, case, reason=REASON):
    return reopen_case(session=session, case_id=case.id, reason=reason, actor=actor, clock=clock, network=network)


def test_a_closed_case_reopens_as_a_new_case_linked_to_its_history(session, network, clock, people, closed):
    clock.advance(timedelta(days=40))
    reopened = _reopen(session, network, clock, people["school_supervisor"], closed)

    session.expire_all()
    old, new = session.get_one(Case, closed.id), session.get_one(Case, reopened.id)
    assert (old.status, old.closed_at) == (CaseStatus.COMPLETED.value, closed.closed_at)  # the closure stands
    assert new.status == CaseStatus.ACTIVE.value and new.id != old.id
    assert (new.child_id, new.reporting_unit, new.protocol_version_id) == (old.child_id, old.reporting_unit, old.protocol_version_id)
    assert new.created_at == clock.now()
    # It runs the protocol from its start, with fresh deadlines.
    [first] = session.scalars(select(WorkItem).where(WorkItem.case_id == new.id)).all()
    assert (first.task_name, first.state, first.created_at) == ("report", "open", clock.now())
    # Each names the other.
    assert [(link.relation, link.case.id) for link in case_links(session=session, case_id=old.id)] == [("reopened_as", new.id)]
    assert [(link.relation, link.case.id) for link in case_links(session=session, case_id=new.id)] == [("reopened_from", old.id)]
    # Both trails say who re-opened it, when and why.
    events = {e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("case.reopened%")))}
    assert (events["case.reopened"].case_id, events["case.reopened"].details["to_case"]) == (old.id, new.reference)
    assert (events["case.reopened_from"].case_id, events["case.reopened_from"].details["from_case"]) == (new.id, old.reference)
    assert {e.details["reason"] for e in events.values()} == {REASON}
    assert {e.actor_username for e in events.values()} == {"supervisor.spm_tak"}


def test_a_case_is_reopened_once_and_the_refusal_names_its_successor(session, network, clock, people, closed):
    reopened = _reopen(session, network, clock, people["school_supervisor"], closed)
    with pytest.raises(InvalidState) as refused:
        _reopen(session, network, clock, people["school_supervisor"], closed)
    assert refused.value.details["reopened_as"] == reopened.reference
    # The new case is active, so it cannot be re-opened either (409 at the API).
    with pytest.raises(InvalidState) as active:
        _reopen(session, network, clock, people["school_supervisor"], reopened)
    assert active.value.details["status"] == "active"


def test_an_anonymised_case_is_never_reopened(session, network, clock, people, closed):
    retained = replace(network, retention=RetentionSchedule("P1Y", {}))
    clock.advance(timedelta(days=400))
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM, dry_run=False)
    assert closed.reference in report.anonymised_cases
    session.expire_all()
    assert session.get_one(Case, closed.id).anonymised_at == clock.now()
    with pytest.raises(InvalidState) as refused:
        _reopen(session, network, clock, people["school_supervisor"], closed)
    assert refused.value.details["status"] == "anonymised"
    assert session.scalar(select(Case.id).where(Case.id != closed.id, Case.child_id == closed.child_id)) is None


def test_who_may_reopen(session, network, clock, people, closed):
    committee = add_user(session, "committee", "committee", None)
    police_head = add_user(session, "supervisor.police_tak", "supervisor", "police_tak")
    # A worker of the agency, and the committee that oversees: not theirs to decide.
    for actor in (people["school_worker"], committee):
        with pytest.raises(Forbidden):
            _reopen(session, network, clock, actor, closed)
    # A supervisor of an agency that never worked the case does not even see it (and is audited).
    with pytest.raises(NotFound):
        _reopen(session, network, clock, police_head, closed)
    denied = session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert (denied.actor_username, denied.details["attempted"]) == ("supervisor.police_tak", "re-open a case")
    with pytest.raises(InvalidInput):
        _reopen(session, network, clock, people["school_supervisor"], closed, reason="  ")
    assert session.scalar(select(Case.id).where(Case.id != closed.id, Case.child_id == closed.child_id)) is None


def test_a_cancelled_case_reopens_too(session, network, clock, people):
    publish_intake_protocol(session, network, clock, people["policy"])
    case = case_for_child(session, network, clock, people["school_worker"], MALEE)
    commands.cancel_case(session=session, case_id=case.id, reason="รายงานซ้ำ", actor=people["school_supervisor"], clock=clock)
    reopened = _reopen(session, network, clock, people["school_supervisor"], case)
    assert reopened.status == CaseStatus.ACTIVE.value


def test_retention_keeps_a_reopened_case_while_the_new_case_is_open(session, network, clock, people, closed):
    retained = replace(network, retention=RetentionSchedule("P1Y", {}))
    reopened = _reopen(session, network, clock, people["school_supervisor"], closed)
    clock.advance(timedelta(days=400))
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM, dry_run=True)
    assert closed.reference not in [due.reference for due in report.due]
    commands.cancel_case(session=session, case_id=reopened.id, reason="ย้ายไปจังหวัดอื่น", actor=people["school_supervisor"],
                         clock=clock)
    report = run_retention(session=session, network=retained, now=clock.now(), actor=SYSTEM, dry_run=True)
    assert closed.reference in [due.reference for due in report.due]


def test_migration_0012_marks_the_cases_retention_anonymised_before_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'before.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    try:
        insert_rows(engine, 1)
        with engine.begin() as connection:
            case_id = connection.execute(text("SELECT id FROM cases")).scalar_one()
            connection.execute(text(
                "INSERT INTO destruction_log (subject, destroyed_at, kind, case_id, actor_username, details) "
                "VALUES (:subject, '2026-03-01 02:00:00.000000', 'case', :case_id, 'system', '{}')"
            ), {"subject": f"case:{case_id}", "case_id": case_id})
        command.upgrade(alembic_config(url), "0012")
        with engine.begin() as connection:
            marked = connection.execute(text("SELECT anonymised_at FROM cases WHERE id = :id"), {"id": case_id}).scalar_one()
            links = connection.execute(text("SELECT legal_basis, consented_by FROM case_links")).all()
        assert marked is not None and str(marked).startswith("2026-03-01 02:00:00")
        # Links made before bases were recorded say so: no basis is guessed for them.
        assert links and all(row == (None, None) for row in links)
    finally:
        engine.dispose()


def test_a_school_kept_out_of_the_closed_case_stays_out_of_the_reopened_one(session, network, clock, people, closed):
    unit = next(iter(network.units))
    session.execute(Case.__table__.update().where(Case.id == closed.id).values(unit_code=unit, unit_kept_out=True))
    session.commit()
    session.expire_all()
    reopened = _reopen(session, network, clock, people["school_supervisor"], session.get_one(Case, closed.id))
    session.expire_all()
    new = session.get_one(Case, reopened.id)
    assert (new.unit_code, new.unit_kept_out) == (unit, True)

"""Scenes for the privacy tests: the reference protocol with an intake that records the child,
and cases of named children run through it."""
from __future__ import annotations

from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import Case, WorkItem
from engine.forms.service import put_form
from tests.api.conftest import ASSESS_FORM, NOTE_FORM
from tests.api.test_http_contract import INTAKE_FORM
from tests.engine.cases.test_commands import publish_reference

MALEE = {"child_first_name": "มะลิ", "child_last_name": "ใจดี", "child_national_id": "1101700230708",
         "child_birth_date": "2011-05-01"}
DAO = {"child_first_name": "ดาว", "child_last_name": "ประกาย", "child_national_id": "3100600123450",
       "child_birth_date": "2010-03-03"}


def publish_intake_protocol(session, network, clock, actor) -> None:
    put_form(session, key="report_form", schema=INTAKE_FORM, clock=clock)
    put_form(session, key="assess_form", schema=ASSESS_FORM, clock=clock)
    put_form(session, key="note_form", schema=NOTE_FORM, clock=clock)
    session.commit()
    publish_reference(session, network, clock, actor)


def live_item(session, case_id: int, task_name: str) -> WorkItem:
    return session.scalars(select(WorkItem).where(
        WorkItem.case_id == case_id, WorkItem.task_name == task_name, WorkItem.state.in_(["open", "claimed"]),
    ).execution_options(populate_existing=True)).one()


def case_for_child(session, network, clock, reporter, child: dict, *, severity: str = "low", summary: str = "") -> Case:
    """A case reported by ``reporter`` (a school worker) whose intake names ``child``; a high
    severity sends it on to the social development office."""
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=reporter, clock=clock,
                               network=network)
    data = {"severity": severity, **child, **({"summary": summary} if summary else {})}
    commands.complete(session=session, work_item_id=live_item(session, case.id, "report").id, data=data,
                      actor=reporter, clock=clock, network=network)
    return session.get_one(Case, case.id)


def close_filed_case(session, network, clock, reporter, case: Case, note: str = "ปิดเรื่อง") -> Case:
    """Finish a low-severity case at the school (its "file the report" task)."""
    commands.complete(session=session, work_item_id=live_item(session, case.id, "file_report").id,
                      data={"note": note}, actor=reporter, clock=clock, network=network)
    return session.get_one(Case, case.id)

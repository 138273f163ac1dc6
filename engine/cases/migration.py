"""Moving running cases to another version of their protocol.

A case stays on the version it started on unless someone moves it. Moving is only safe when the
case's live tasks mean the same thing in the new version, so a case moves only if every live
task's element id exists there with the same kind of element, reached the same way (a task that
gained or lost a deadline timer is attached differently and is refused). Everything else is
refused with the reason, and the case is left exactly as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, WorkItem, WorkItemState
from engine.cases.state import store_state, workflow_from_rows

# Private to the runtime, imported deliberately: a migration must take the case exactly as
# every runtime command does (row lock on PostgreSQL, version check everywhere).
from engine.cases.stepping import lock_case
from engine.clock import Clock, clock_in_effect
from engine.errors import InvalidState
from engine.people.actors import Actor
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import descriptors_from_json
from engine.protocols.service import get_version
from engine.workflow.migration import MigrationRefused, rebuild_on_version
from engine.workflow.tree import next_timer_at


@dataclass
class MigrationReport:
    protocol_key: str
    to_version: int
    moved: list[int] = field(default_factory=list)
    # (case id, reason in Thai / English)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _refresh_work_items(session: Session, *, case: Case, target: ProtocolVersion) -> list[dict[str, Any]]:
    """Labels, lanes, agencies, roles and forms of the case's open work, as the new version says."""
    descriptors = descriptors_from_json(target.tasks_json)
    changes = []
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
    ).all()
    for item in items:
        descriptor = descriptors.get(item.task_name)
        if descriptor is None or descriptor.agency_code is None:
            raise MigrationRefused(
                f"งาน '{item.label}' ({item.task_name}) ไม่มีหน่วยงานรับผิดชอบในฉบับที่ {target.version}",
                f"task '{item.label}' ({item.task_name}) has no agency in version {target.version}",
            )
        before = (item.label, item.lane, item.agency_code, item.candidate_role, item.form_key)
        after = (descriptor.label, descriptor.lane, descriptor.agency_code, descriptor.candidate_role, descriptor.form_key)
        if before == after:
            continue
        if item.agency_code != descriptor.agency_code and item.state == WorkItemState.CLAIMED.value:
            # The person who claimed it works for the old agency; the new one must pick it up.
            item.state, item.assignee_id = WorkItemState.OPEN.value, None
        item.label, item.lane, item.agency_code, item.candidate_role, item.form_key = after
        changes.append({"work_item_id": item.id, "task": item.task_name, "before": list(before), "after": list(after)})
    return changes


def _migrate_one(session: Session, *, case_id: int, target: ProtocolVersion, clock: Clock, actor: Actor) -> None:
    with clock_in_effect(clock):
        case = lock_case(session=session, case_id=case_id)
        if case is None:
            raise MigrationRefused(f"ไม่มีคดี {case_id}", f"case {case_id} does not exist")
        if case.status != CaseStatus.ACTIVE.value:
            raise MigrationRefused(
                f"คดี {case.reference} อยู่ในสถานะ {case.status} ไม่ได้ดำเนินอยู่",
                f"case {case.reference} is {case.status}, not active",
            )
        source = session.get(ProtocolVersion, case.protocol_version_id)
        if source is None or source.key != target.key:
            raise MigrationRefused(
                f"คดี {case.reference} ไม่ได้ใช้โพรโทคอล {target.key}",
                f"case {case.reference} does not run protocol {target.key}",
            )
        if source.id == target.id:
            raise MigrationRefused(
                f"คดี {case.reference} ใช้ฉบับที่ {target.version} อยู่แล้ว",
                f"case {case.reference} is already on version {target.version}",
            )
        labels = {name: d.label for name, d in descriptors_from_json(source.tasks_json).items()}
        workflow = workflow_from_rows(session, case, source.spec_json)
        rebuilt = rebuild_on_version(
            workflow, old_spec_json=source.spec_json, new_spec_json=target.spec_json,
            labels=labels, version=target.version,
        )
        now = clock.now()
        changes = _refresh_work_items(session, case=case, target=target)
        case.protocol_version_id = target.id
        store_state(session, case, rebuilt)  # a new workflow object: every row is rewritten
        case.next_timer_at = next_timer_at(rebuilt)
        case.updated_at = now
        audit.record(
            session, action="case.migrated", actor=actor, at=now, case_id=case.id,
            protocol_version_id=target.id, protocol=target.key,
            from_version=source.version, to_version=target.version, work_items=changes,
        )
        session.commit()


def migrate_cases(
    *,
    session: Session,
    protocol_key: str,
    to_version: int,
    clock: Clock,
    actor: Actor,
    case_ids: list[int] | None = None,
) -> MigrationReport:
    """Move the active cases of a protocol (or the given ones) to a published version.

    One transaction per case: each move, and each refusal's audit record, is committed on its
    own, so one case that cannot move never holds back the others.
    """
    target = get_version(session=session, key=protocol_key, version=to_version)
    if not target.published:
        raise InvalidState(
            f"protocol {protocol_key!r} version {to_version} is not published; cases only run on published versions"
        )
    candidates = select(Case.id).join(ProtocolVersion, Case.protocol_version_id == ProtocolVersion.id).where(
        ProtocolVersion.key == protocol_key,
        Case.status == CaseStatus.ACTIVE.value,
        Case.protocol_version_id != target.id,
    )
    ids = list(case_ids) if case_ids is not None else list(session.scalars(candidates.order_by(Case.id)))
    session.rollback()
    report = MigrationReport(protocol_key=protocol_key, to_version=to_version)
    for case_id in ids:
        try:
            _migrate_one(session, case_id=case_id, target=target, clock=clock, actor=actor)
        except MigrationRefused as refusal:
            session.rollback()
            report.refused.append((case_id, refusal.reason))
            if session.get(Case, case_id) is not None:
                audit.record(
                    session, action="case.migration_refused", actor=actor, at=clock.now(), case_id=case_id,
                    protocol=protocol_key, to_version=to_version, reason=refusal.reason,
                )
                session.commit()
        except StaleDataError:
            session.rollback()
            report.refused.append((
                case_id,
                "คดีถูกแก้ไขพร้อมกันโดยผู้อื่น ให้ลองใหม่ / the case was changed by someone else at the same time; try again",
            ))
        except BaseException:
            session.rollback()
            raise
        else:
            report.moved.append(case_id)
    return report

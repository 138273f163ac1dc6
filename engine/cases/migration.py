"""Moving running cases to another version of their protocol.

A case stays on the version it started on unless someone moves it. Moving is only safe when the
case's live tasks mean the same thing in the new version, so a case moves only if every live
task's element id exists there with the same kind of element, reached the same way (a task that
gained or lost a deadline timer is attached differently and is refused). Everything else is
refused with the reason, and the case is left exactly as it was.

How the workflow is moved (SpiffWorkflow 3.2.0 has no migration API): its state is serialised,
the *predicted* part of the task tree (FUTURE/LIKELY/MAYBE tasks, which describe the old
diagram's future) is dropped, the new version's spec is put in place of the old one, the state is
restored with ``from_dict``, and the live tasks predict their future again from the new spec.
Completed tasks must still resolve in the new spec (the history is kept, not rewritten), and
timers already waiting keep the due time they were given: a changed deadline applies from the
next time a task is reached.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, WorkItem, WorkItemState

# Private to the runtime, imported deliberately: a migration must take the case exactly as
# every runtime command does (row lock on PostgreSQL, version check everywhere).
from engine.cases.runtime import lock_case
from engine.clock import Clock, clock_in_effect
from engine.errors import InvalidState
from engine.workflow.expressions import SCRIPT_ENGINE
from engine.people.actors import Actor
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import descriptors_from_json
from engine.protocols.service import get_version
from engine.workflow.serialization import SERIALIZER, restore_workflow, state_json_of
from engine.workflow.tree import all_tasks, next_timer_at

_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class MigrationReport:
    protocol_key: str
    to_version: int
    moved: list[int] = field(default_factory=list)
    # (case id, reason in Thai / English)
    refused: list[tuple[int, str]] = field(default_factory=list)


class MigrationRefused(Exception):
    def __init__(self, reason_th: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason = f"{reason_th} / {reason_en}"


def _decode(text: str) -> dict[str, Any]:
    return json.loads(text, cls=SERIALIZER.json_decoder_cls)


def _prune_predictions(workflow_dict: dict[str, Any]) -> dict[str, int]:
    """Drop the predicted tasks; return, per live task that had some, the state they had."""
    tasks = workflow_dict["tasks"]
    predicted_under = {}
    for task_id, task in tasks.items():
        if task["state"] & _LIVE:
            states = [tasks[c]["state"] for c in task["children"] if c in tasks and tasks[c]["state"] & _PREDICTED]
            if states:
                predicted_under[task_id] = states[0]
    doomed = {task_id for task_id, task in tasks.items() if task["state"] & _PREDICTED}
    for task_id in doomed:
        del tasks[task_id]
    for task in tasks.values():
        task["children"] = [child for child in task["children"] if child not in doomed]
    if workflow_dict.get("last_task") in doomed:
        workflow_dict["last_task"] = None
    return predicted_under


def _check_tasks(
    workflow_dict: dict[str, Any],
    old_specs: dict[str, Any],
    new_specs: dict[str, Any],
    *,
    labels: dict[str, str],
    version: int,
) -> None:
    tasks = workflow_dict["tasks"]
    for task in tasks.values():
        name = task["task_spec"]
        label = labels.get(name, name)
        live = bool(task["state"] & _LIVE)
        if name not in new_specs:
            if live:
                raise MigrationRefused(
                    f"งาน '{label}' ({name}) ซึ่งยังดำเนินอยู่ ไม่มีในฉบับที่ {version}",
                    f"live task '{label}' ({name}) does not exist in version {version}",
                )
            raise MigrationRefused(
                f"งาน '{label}' ({name}) ที่ทำเสร็จแล้ว ไม่มีในฉบับที่ {version} จึงย้ายประวัติของคดีไม่ได้",
                f"completed task '{label}' ({name}) does not exist in version {version}, so the "
                "case's history cannot be carried over",
            )
        if not live:
            continue
        old_kind, new_kind = old_specs[name]["typename"], new_specs[name]["typename"]
        if old_kind != new_kind:
            raise MigrationRefused(
                f"งาน '{label}' ({name}) ซึ่งยังดำเนินอยู่ เปลี่ยนชนิดจาก {old_kind} เป็น {new_kind} ในฉบับที่ {version}",
                f"live task '{label}' ({name}) is a {old_kind} but a {new_kind} in version {version}",
            )
        parent = tasks.get(task["parent"]) if task["parent"] else None
        if parent is not None and name not in new_specs.get(parent["task_spec"], {}).get("outputs", []):
            # Typically a deadline timer added to or removed from the task: the tree the case
            # holds no longer matches the way the new version reaches it.
            raise MigrationRefused(
                f"งาน '{label}' ({name}) ซึ่งยังดำเนินอยู่ ถูกเชื่อมต่อต่างไปในฉบับที่ {version} "
                "(เช่น เพิ่ม หรือ ลบ ตัวจับเวลา ที่ งาน นี้)",
                f"live task '{label}' ({name}) is reached differently in version {version} (a timer "
                "or event attached to it was added or removed)",
            )


def rebuild_on_version(
    workflow: Any, *, old_spec_json: str, new_spec_json: str, labels: dict[str, str], version: int
) -> Any:
    """The same case state on another spec, or :class:`MigrationRefused` saying why not."""
    state = _decode(state_json_of(workflow))
    old_blob, new_blob = _decode(old_spec_json), _decode(new_spec_json)
    if new_blob.pop(SERIALIZER.VERSION_KEY, None) != state.get(SERIALIZER.VERSION_KEY):
        raise MigrationRefused(
            "ฉบับใหม่ถูกบันทึกด้วยรูปแบบข้อมูลต่างรุ่น",
            "the new version was stored by a different serializer version",
        )
    predicted_under = _prune_predictions(state)
    _check_tasks(state, old_blob["spec"]["task_specs"], new_blob["spec"]["task_specs"], labels=labels, version=version)
    old_subprocess_specs = old_blob.get("subprocess_specs", {})
    new_subprocess_specs = new_blob.get("subprocess_specs", {})
    for subprocess in state.get("subprocesses", {}).values():
        spec_name = subprocess.get("spec")
        if spec_name not in new_subprocess_specs:
            raise MigrationRefused(
                f"กระบวนการย่อย '{spec_name}' ที่ดำเนินอยู่ ไม่มีในฉบับที่ {version}",
                f"running subprocess '{spec_name}' does not exist in version {version}",
            )
        predicted_under |= _prune_predictions(subprocess)
        _check_tasks(
            subprocess, old_subprocess_specs[spec_name]["task_specs"], new_subprocess_specs[spec_name]["task_specs"],
            labels=labels, version=version,
        )

    state["spec"] = new_blob["spec"]
    state["subprocess_specs"] = new_subprocess_specs
    rebuilt = SERIALIZER.from_dict(state)
    rebuilt.script_engine = SCRIPT_ENGINE
    # from_dict does not complain about a spec it cannot find; it leaves task_spec None.
    unresolved = [str(task.id) for task in all_tasks(rebuilt) if task.task_spec is None]
    if unresolved:
        raise MigrationRefused(
            f"งานบางรายการไม่มีในฉบับที่ {version}", f"tasks {', '.join(unresolved)} do not resolve in version {version}"
        )
    for task in [t for t in all_tasks(rebuilt) if t.state & _LIVE]:
        if task.state == TaskState.WAITING and isinstance(task.task_spec, BoundaryEvent):
            # What follows a deadline that has not fired is only a possibility (MAYBE), as
            # SpiffWorkflow predicted it, or nothing yet (a cycle timer adds its children as it
            # fires). Predicting FUTURE here would make it definite, and SpiffWorkflow refuses to
            # drop definite tasks when the task they hang on completes first.
            if str(task.id) in predicted_under:
                task._sync_children(task.task_spec.outputs, predicted_under[str(task.id)])
        else:
            task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
    return rebuilt


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
        case = lock_case(session, case_id)
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
        workflow = restore_workflow(case.state_json, source.spec_json)
        rebuilt = rebuild_on_version(
            workflow, old_spec_json=source.spec_json, new_spec_json=target.spec_json,
            labels=labels, version=target.version,
        )
        now = clock.now()
        changes = _refresh_work_items(session, case=case, target=target)
        case.protocol_version_id = target.id
        case.state_json = state_json_of(rebuilt)
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

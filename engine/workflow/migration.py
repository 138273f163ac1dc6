"""Rebuilding a case's workflow on another version of its protocol.

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
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from engine.workflow.expressions import SCRIPT_ENGINE
from engine.workflow.serialization import SERIALIZER, state_json_of
from engine.workflow.tree import all_tasks
from engine.workflow.types import Workflow

_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


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
                "(เช่น เพิ่มหรือลบตัวจับเวลาที่ติดกับงานนี้)",
                f"live task '{label}' ({name}) is reached differently in version {version} (a timer "
                "or event attached to it was added or removed)",
            )


def rebuild_on_version(
    workflow: Workflow, *, old_spec_json: str, new_spec_json: str, labels: dict[str, str], version: int
) -> Workflow:
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

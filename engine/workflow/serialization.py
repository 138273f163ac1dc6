"""A case's state is stored without its spec; the spec is stored once per protocol version."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.workflow.expressions import SCRIPT_ENGINE
from engine.workflow.predictions import predict_again, serialise_without_predictions, take_marks
from engine.workflow.specs import restored_specs
from engine.workflow.types import ProcessSpec, Workflow

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
_SPEC_KEYS = ("spec", "subprocess_specs")


def _to_json_ready_dict(workflow: Workflow, *, without_predictions: bool = False) -> dict[str, Any]:
    # serialize_json() sets encoder mode around to_dict(); we need the dict itself to split it.
    SERIALIZER.registry._encoder_mode = True
    try:
        if without_predictions:
            return serialise_without_predictions(workflow, SERIALIZER)
        return SERIALIZER.to_dict(workflow)
    finally:
        SERIALIZER.registry._encoder_mode = False


def _dumps(dct: dict[str, Any]) -> str:
    # Thai text stays as UTF-8 characters rather than six-byte \u escapes.
    return json.dumps(dct, cls=SERIALIZER._encoder_cls, separators=(",", ":"), ensure_ascii=False)


def spec_json_of(spec: ProcessSpec, subprocess_specs: dict[str, ProcessSpec]) -> str:
    """The serialised spec of a freshly parsed protocol, as stored on its version."""
    dct = _to_json_ready_dict(BpmnWorkflow(spec, subprocess_specs))
    blob = {key: dct[key] for key in _SPEC_KEYS}
    blob[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return _dumps(blob)


def state_json_of(workflow: Workflow) -> str:
    """The case's state: its tasks without the spec, and without the predicted future that
    restoring predicts again (:mod:`engine.workflow.predictions`)."""
    dct = _to_json_ready_dict(workflow, without_predictions=True)
    for key in _SPEC_KEYS:
        dct.pop(key, None)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return _dumps(dct)


def restore_workflow(state_json: str, spec_json: str) -> Workflow:
    """Rebuild a case's workflow and re-attach the expression-only script engine."""
    dct = json.loads(state_json, cls=SERIALIZER.json_decoder_cls)
    spec, subprocess_specs, spec_version = restored_specs(spec_json, SERIALIZER)
    if spec_version != dct.get(SERIALIZER.VERSION_KEY):
        raise ValueError(
            f"state (format {dct.get(SERIALIZER.VERSION_KEY)}) and spec (format {spec_version}) "
            "were written by different serializer versions"
        )
    if spec_version == SERIALIZER.VERSION:
        # The current format needs no migration: the spec objects rebuilt once are shared
        # (from_dict passes objects through as they are).
        del dct[SERIALIZER.VERSION_KEY]
        dct["spec"], dct["subprocess_specs"] = spec, dict(subprocess_specs)
    else:
        spec_blob = json.loads(spec_json, cls=SERIALIZER.json_decoder_cls)
        spec_blob.pop(SERIALIZER.VERSION_KEY, None)
        dct.update(spec_blob)
        SERIALIZER.migrate(dct)
    marks = take_marks(dct)
    workflow = SERIALIZER.from_dict(dct)
    predict_again(workflow, marks)
    # The script engine is not serialised; without this the library would fall back to its default
    # engine, which evaluates with Python itself.
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def new_workflow(spec_json: str) -> Workflow:
    spec, subprocess_specs, _version = restored_specs(spec_json, SERIALIZER)
    return BpmnWorkflow(spec, dict(subprocess_specs), script_engine=SCRIPT_ENGINE)


def scrub_state(state_json: str, keep: Callable[[str, Any], bool]) -> tuple[str, int]:
    """A case's stored state with every variable ``keep`` refuses removed, wherever the library
    keeps variables: the workflow's and each task's data, each task's data changes, message
    payloads held in tasks or waiting, correlation values, and the same in every subprocess.
    Returns the new state and how many values went. Timer and engine bookkeeping stays, so the
    state still restores."""
    dct = json.loads(state_json, cls=SERIALIZER.json_decoder_cls)
    removed = 0

    def filtered(values: Any) -> Any:
        nonlocal removed
        if not isinstance(values, dict):
            return values
        kept = {name: value for name, value in values.items() if keep(name, value)}
        removed += len(values) - len(kept)
        return kept

    def scrub_workflow(workflow: dict[str, Any]) -> None:
        for key in ("data", "correlations"):
            if key in workflow:
                workflow[key] = filtered(workflow[key])
        for task in (workflow.get("tasks") or {}).values():
            task["data"] = filtered(task.get("data"))
            delta = task.get("delta")
            if isinstance(delta, dict) and "updates" in delta:
                delta["updates"] = filtered(delta["updates"])
            internal = task.get("internal_data")
            if isinstance(internal, dict):
                task["internal_data"] = {
                    name: filtered(value) if isinstance(value, dict) else value for name, value in internal.items()
                }
        for event in workflow.get("bpmn_events") or []:
            if isinstance(event, dict) and isinstance(event.get("payload"), dict):
                event["payload"] = filtered(event["payload"])
        for subprocess in (workflow.get("subprocesses") or {}).values():
            scrub_workflow(subprocess)

    scrub_workflow(dct)
    return _dumps(dct), removed

"""SpiffWorkflow's BPMN parser, as protocols need it: :class:`ProcessReader` reads a loaded
document (XSD-checked) into :class:`ProcessSpecs`, which list the manual tasks and serialise.

Both extension conventions are read: spiff-arena's (``spiffworkflow:properties``, e.g.
``formJsonSchemaFilename``, ``candidateGroups``, ``dueDate``) and Camunda Modeler's
(``camunda:formKey``, ``camunda:candidateGroups``, ``camunda:assignee``, ``camunda:dueDate``,
``camunda:properties``), which SpiffWorkflow's own CamundaParser would drop.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffEndEventParser,
    SpiffIntermediateThrowEventParser,
    SpiffSendTaskParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.parser.task_spec import UserTaskParser as SpiffUserTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, SendTask, UserTask

from engine.workflow.serialization import spec_json_of

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

CAMUNDA_TASK_ATTRIBUTES = ("formKey", "assignee", "candidateGroups", "candidateUsers", "dueDate", "priority")
NAMESPACES = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}


class _CamundaAssignmentMixin:
    """Keep Camunda's assignment attributes and properties beside the spiff extensions."""

    node: Any

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        node = self.node if node is None else node
        extensions = super().parse_extensions(node)  # type: ignore[misc]
        camunda = {
            name: value
            for name in CAMUNDA_TASK_ATTRIBUTES
            if (value := node.get(f"{{{CAMUNDA_NS}}}{name}")) is not None
        }
        if camunda:
            extensions["camunda"] = camunda
        camunda_properties = {
            prop.get("name"): prop.get("value")
            for prop in node.xpath(
                "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NAMESPACES
            )
            if prop.get("name")
        }
        if camunda_properties:
            # spiff-style properties win where both conventions name the same property.
            extensions["properties"] = {**camunda_properties, **extensions.get("properties", {})}
        return extensions


class ProtocolUserTaskParser(_CamundaAssignmentMixin, SpiffUserTaskParser):
    pass


class ProtocolManualTaskParser(_CamundaAssignmentMixin, SpiffTaskParser):
    pass


# Message throws carry the disclosure's legal basis as a property (engine.protocols.disclosure);
# Camunda Modeler writes it as camunda:properties, which SpiffWorkflow alone would drop.
class ProtocolThrowEventParser(_CamundaAssignmentMixin, SpiffIntermediateThrowEventParser):
    pass


class ProtocolEndEventParser(_CamundaAssignmentMixin, SpiffEndEventParser):
    pass


class ProtocolSendTaskParser(_CamundaAssignmentMixin, SpiffSendTaskParser):
    pass


class ProtocolParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (ProtocolUserTaskParser, UserTask),
        full_tag("manualTask"): (ProtocolManualTaskParser, ManualTask),
        full_tag("intermediateThrowEvent"): (ProtocolThrowEventParser, IntermediateThrowEvent),
        full_tag("endEvent"): (ProtocolEndEventParser, EndEvent),
        full_tag("sendTask"): (ProtocolSendTaskParser, SendTask),
    }


class BpmnInvalid(Exception):
    """SpiffWorkflow refused the model: its XSD check, or building the spec."""

    def __init__(self, message: str, *, element_id: str | None, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.line = line

    @classmethod
    def of(cls, exc: ValidationException) -> BpmnInvalid:
        return cls(str(exc), element_id=getattr(exc, "id", None), line=getattr(exc, "line_number", None) or None)


@dataclass(frozen=True)
class ManualTaskSpec:
    """A user or manual task of a parsed process, as the protocol's task catalogue needs it."""

    bpmn_id: str
    name: str | None
    lane: str | None
    extensions: dict[str, Any]


@dataclass(frozen=True)
class ProcessSpecs:
    """A parsed process with the subprocesses it calls, ready to be stored."""

    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]

    def manual_tasks(self) -> list[ManualTaskSpec]:
        return [
            ManualTaskSpec(task_spec.bpmn_id, task_spec.bpmn_name, task_spec.lane, task_spec.extensions or {})
            for spec in (self.spec, *self.subprocess_specs.values())
            for task_spec in spec.task_specs.values()
            if task_spec.manual and task_spec.bpmn_id is not None
        ]

    def spec_json(self) -> str:
        return spec_json_of(self.spec, self.subprocess_specs)


class ProcessReader:
    """One BPMN document read by SpiffWorkflow, with its XSD check; raises :class:`BpmnInvalid`."""

    def __init__(self, tree: etree._ElementTree, *, filename: str) -> None:
        self._parser = ProtocolParser(validator=VALIDATOR)
        try:
            self._parser.add_bpmn_xml(tree, filename=filename)  # the XSD check
            self.process_ids: list[str] = self._parser.get_process_ids()
        except ValidationException as exc:
            raise BpmnInvalid.of(exc) from exc

    def specs(self, process_id: str) -> ProcessSpecs:
        try:
            return ProcessSpecs(self._parser.get_spec(process_id), self._parser.get_subprocess_specs(process_id))
        except ValidationException as exc:
            raise BpmnInvalid.of(exc) from exc

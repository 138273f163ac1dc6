"""SpiffWorkflow's BPMN parser, as protocols need it.

Both extension conventions are read: spiff-arena's (``spiffworkflow:properties``, e.g.
``formJsonSchemaFilename``, ``candidateGroups``, ``dueDate``) and Camunda Modeler's
(``camunda:formKey``, ``camunda:candidateGroups``, ``camunda:assignee``, ``camunda:dueDate``,
``camunda:properties``), which SpiffWorkflow's own CamundaParser would drop.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.parser.task_spec import UserTaskParser as SpiffUserTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, UserTask

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

CAMUNDA_TASK_ATTRIBUTES = ("formKey", "assignee", "candidateGroups", "candidateUsers", "dueDate", "priority")
_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}


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
                "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=_NS
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


class ProtocolParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (ProtocolUserTaskParser, UserTask),
        full_tag("manualTask"): (ProtocolManualTaskParser, ManualTask),
    }

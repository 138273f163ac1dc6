"""Names for SpiffWorkflow's objects as the rest of the engine sees them.

Outside the bridge a workflow and its tasks are passed around and read, never built; these
aliases say what a value is without the rest of the engine importing SpiffWorkflow.
"""
from __future__ import annotations

from typing import TypeAlias

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.workflow import Workflow as SpiffWorkflowBase

# One case's running process (and its subprocesses).
Workflow: TypeAlias = BpmnWorkflow
# The case's workflow or one of its subprocesses: each holds a task tree of its own.
TaskTree: TypeAlias = SpiffWorkflowBase
# One node of a workflow's task tree: a user task, a timer, a gateway…
Task: TypeAlias = SpiffTask
# A parsed process definition: what a protocol version stores.
ProcessSpec: TypeAlias = BpmnProcessSpec
# Something a workflow threw or waits for: a message, a signal, an escalation.
Event: TypeAlias = BpmnEvent

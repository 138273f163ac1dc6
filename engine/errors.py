"""Errors the engine raises to its callers (CLI, API, worker, tests).

Each carries a stable ``code`` so callers can map it (the API to an HTTP status, the CLI to an
exit code) without parsing messages.
"""
from __future__ import annotations


class KhumkrongError(Exception):
    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(KhumkrongError):
    code = "not-found"


class Forbidden(KhumkrongError):
    code = "forbidden"


class Conflict(KhumkrongError):
    """Someone else changed the case or work item first; reload and try again."""

    code = "conflict"


class InvalidState(KhumkrongError):
    """The command does not apply to the object in its current state."""

    code = "invalid-state"


class InvalidInput(KhumkrongError):
    code = "invalid-input"


class ProtocolInvalid(KhumkrongError):
    """A protocol was refused; ``findings`` lists what is wrong."""

    code = "protocol-invalid"

    def __init__(self, message: str, findings: list | None = None) -> None:
        super().__init__(message, findings=findings or [])
        self.findings = findings or []


class WorkflowFailure(KhumkrongError):
    """The workflow library failed while running a case (bad expression, bad timer…)."""

    code = "workflow-failure"


class DepthLimitExceeded(WorkflowFailure):
    """The case's task tree is about to reach the depth where SpiffWorkflow silently stalls."""

    code = "depth-limit"


class RunBudgetExceeded(WorkflowFailure):
    """One command asked SpiffWorkflow for more engine steps, timer firings or wall time than
    the network's ``[limits]`` allow (a zero-gap repeating timer, say); ``details`` say which
    limit, the figures and the element that used the most."""

    code = "run-budget-exceeded"

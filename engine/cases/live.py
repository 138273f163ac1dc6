"""A case's workflow from the process's cache of live workflows, or rebuilt from its state.

A command locks the case (noting the row version it read), takes the workflow, moves it and
serialises it once (noting the workflow with the text written). When the transaction commits,
the noted workflows go into the cache under the version the commit wrote; when it rolls back
they are forgotten, so a failed command never leaves a half-moved workflow behind. See
:mod:`engine.workflow.live` for why an entry is safe to use across processes.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from engine.cases.models import Case, CaseStatus
from engine.cases.state import workflow_from_rows
from engine.protocols.cache import version_cache
from engine.workflow.live import live_workflows
from engine.workflow.serialization import matches_its_state
from engine.workflow.types import Workflow

_SEEN = "khumkrong.live_workflows.seen"  # case id → the row version its lock read
_WRITTEN = "khumkrong.live_workflows.written"  # case id → (case, workflow, state written)


def note_locked(session: Session, case: Case, *, version: int | None = None) -> None:
    """The version of the case the command read under its lock, before it bumps it (``version``
    when the statement that locked it bumped it already)."""
    session.info.setdefault(_SEEN, {})[case.id] = case.version if version is None else version


def workflow_of(session: Session, case: Case) -> Workflow:
    """The case's workflow: the cached one if it is what the command locked, else rebuilt."""
    spec_json = version_cache(session).get(session, case.protocol_version_id).spec_json
    cache = live_workflows(session.info)
    seen = session.info.get(_SEEN, {}).pop(case.id, None)
    if cache is not None and seen is not None:
        workflow = cache.take(case.id, version=seen, spec_key=case.protocol_version_id, state_json=case.state_json)
        if workflow is not None:
            return workflow
    return workflow_from_rows(session, case, spec_json)


def note_written(session: Session, case: Case, workflow: Workflow) -> None:
    """The workflow a command just serialised into ``case.state_json``; kept if it commits."""
    if live_workflows(session.info) is None:
        return
    if matches_its_state(workflow):
        session.info.setdefault(_WRITTEN, {})[case.id] = (case, workflow, case.state_json)
    else:
        session.info.setdefault(_WRITTEN, {}).pop(case.id, None)


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    written: dict[int, tuple[Case, Workflow, str]] = session.info.pop(_WRITTEN, {})
    session.info.pop(_SEEN, None)
    cache = live_workflows(session.info)
    if cache is None:
        return
    for case_id, (case, workflow, state_json) in written.items():
        committed: dict[str, Any] = inspect(case).dict
        # Only the very text this workflow was serialised into, as the commit wrote it.
        if (
            committed.get("state_json") is state_json and committed.get("status") == CaseStatus.ACTIVE.value
            and isinstance(committed.get("version"), int) and case not in session.dirty
        ):
            cache.keep(case_id, version=committed["version"], spec_key=committed["protocol_version_id"],
                       state_json=state_json, workflow=workflow)
        else:
            cache.forget(case_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_WRITTEN, None)
    session.info.pop(_SEEN, None)

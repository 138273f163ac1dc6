"""A case's stored state: the live part on the case row, its finished tasks in
``case_finished_tasks``, each written once (:func:`engine.workflow.serialization.split_state_of`).

Everything that restores a case's workflow from the database reads both (:func:`workflow_from_rows`),
and everything that stores it goes through :func:`store_state`, in the transaction that holds
the case's lock and bumps its version: a command that loses a race rolls its finished rows back
with the rest, so none is left without the state that refers to it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from engine.cases.models import Case, CaseFinishedTask
from engine.workflow import serialization
from engine.workflow.serialization import FinishedRow, StateWrite, split_state_of
from engine.workflow.types import Workflow

# case id → the workflow object that last stored it in this transaction. A second, different
# workflow storing the same case in the same transaction (a reply routed back to a case whose
# command is still running) does not know what the first one wrote: it rewrites every row.
_WRITERS = "khumkrong.case_state.writers"


def finished_rows(session: Session, case_id: int) -> list[FinishedRow]:
    """The case's finished tasks stored apart, in the order they were written."""
    table = CaseFinishedTask
    return [
        FinishedRow(tree_id, task_id, seq, task_json)
        for tree_id, task_id, seq, task_json in session.execute(
            select(table.tree_id, table.task_id, table.seq, table.task_json)
            .where(table.case_id == case_id).order_by(table.seq)
        )
    ]


def workflow_from_rows(session: Session, case: Case, spec_json: str) -> Workflow:
    """The case's workflow rebuilt from what the database holds."""
    return serialization.restore_workflow(case.state_json, spec_json, finished_rows(session, case.id))


def store_state(session: Session, case: Case, workflow: Workflow) -> StateWrite:
    """Write the case's state: its live part into ``case.state_json`` (flushed with the case)
    and only the finished tasks new or changed since the workflow was restored or last stored."""
    writers: dict[int, Workflow] = session.info.setdefault(_WRITERS, {})
    other = writers.get(case.id)
    write = split_state_of(workflow, replace_all=other is not None and other is not workflow)
    # The rows go on their own: what the command changed on the case and elsewhere is flushed
    # with the commit, so that the case row is updated once, with its state.
    with session.no_autoflush:
        _write_finished(session, case.id, write)
    case.state_json = write.state_json
    writers[case.id] = workflow
    return write


def _write_finished(session: Session, case_id: int, write: StateWrite) -> None:
    table = CaseFinishedTask
    if write.replace_all:
        session.execute(delete(table).where(table.case_id == case_id).execution_options(synchronize_session=False))
    elif write.deleted:
        session.execute(
            delete(table).where(table.case_id == case_id, table.task_id.in_(write.deleted))
            .execution_options(synchronize_session=False)
        )
    if write.inserted:
        session.execute(insert(table), [
            {"case_id": case_id, "task_id": row.task_id, "tree_id": row.tree_id, "seq": row.seq,
             "task_json": row.task_json}
            for row in write.inserted
        ])
    for row in write.updated:
        session.execute(
            update(table).where(table.case_id == case_id, table.task_id == row.task_id)
            .values(tree_id=row.tree_id, task_json=row.task_json).execution_options(synchronize_session=False)
        )


def write_rows(session: Session, case_id: int, rows: list[FinishedRow]) -> None:
    """Rewrite the JSON of some finished rows (an anonymisation's scrub)."""
    table = CaseFinishedTask
    for row in rows:
        session.execute(
            update(table).where(table.case_id == case_id, table.task_id == row.task_id)
            .values(task_json=row.task_json).execution_options(synchronize_session=False)
        )


@event.listens_for(Session, "after_commit")
def _forget_writers(session: Session) -> None:
    session.info.pop(_WRITERS, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_writers_rolled_back(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_WRITERS, None)

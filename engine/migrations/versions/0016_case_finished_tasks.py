"""case_finished_tasks: a case's finished tasks stored once, apart from its live state

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-03

Issue 13 (performance): every command rewrote the whole SpiffWorkflow state of its case in
``cases.state_json``, so the bytes written per command grew with the case's history (7.8 KB at
10 completed tasks, 75 KB at 200 on a 220-task chain). A finished task (completed or cancelled,
with a finished parent) never changes again: it is now written once, as one row of
``case_finished_tasks``, and left out of ``cases.state_json``, which keeps the live part and the
key ``khumkrong_finished_apart``.

Upgrade: the table only. Existing cases keep their whole state in ``state_json`` (no key, no
rows), which restores as before; the first command on such a case writes its finished tasks as
rows and shrinks its ``state_json``.

Downgrade: every split state is merged back into one ``state_json`` (the finished tasks put
before their children, as SpiffWorkflow reads them), then the table is dropped.
"""
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

SPLIT_KEY = "khumkrong_finished_apart"


def upgrade() -> None:
    op.create_table(
        'case_finished_tasks',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('tree_id', sa.String(length=36), nullable=True),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('task_json', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_finished_tasks_case_id_cases')),
        sa.PrimaryKeyConstraint('case_id', 'task_id', name=op.f('pk_case_finished_tasks')),
    )


def _parents_first(finished: list[tuple[str, dict[str, Any]]], live: dict[str, Any]) -> dict[str, Any]:
    # As engine.workflow.serialization._parents_first, copied so this revision never changes.
    merged: dict[str, Any] = {}
    waiting: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for task_id, task in [*finished, *live.items()]:
        parent = task.get("parent") if isinstance(task, dict) else None
        if parent is not None and parent not in merged:
            waiting.setdefault(parent, []).append((task_id, task))
            continue
        ready = [(task_id, task)]
        while ready:
            current_id, current = ready.pop(0)
            merged[current_id] = current
            ready[0:0] = waiting.pop(current_id, [])
    for orphans in waiting.values():
        for task_id, task in orphans:
            merged.setdefault(task_id, task)
    return merged


def downgrade() -> None:
    connection = op.get_bind()
    rows = sa.table('case_finished_tasks', sa.column('case_id', sa.Integer), sa.column('task_id', sa.String),
                    sa.column('tree_id', sa.String), sa.column('seq', sa.Integer), sa.column('task_json', sa.Text))
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('state_json', sa.Text))
    case_ids = list(connection.execute(sa.select(rows.c.case_id).distinct()).scalars())
    for case_id in case_ids:
        state_json = connection.execute(sa.select(cases.c.state_json).where(cases.c.id == case_id)).scalar()
        try:
            state = json.loads(state_json or "")
        except ValueError:
            continue  # not a state this engine wrote; left as it is
        if not isinstance(state, dict) or SPLIT_KEY not in state:
            continue
        by_tree: dict[str | None, list[tuple[str, dict[str, Any]]]] = {}
        for tree_id, task_id, task_json in connection.execute(
            sa.select(rows.c.tree_id, rows.c.task_id, rows.c.task_json).where(rows.c.case_id == case_id)
            .order_by(rows.c.seq)
        ):
            by_tree.setdefault(tree_id, []).append((task_id, json.loads(task_json)))
        for tree_id, tasks in by_tree.items():
            tree = state if tree_id is None else (state.get("subprocesses") or {}).get(tree_id)
            if tree is not None:
                tree["tasks"] = _parents_first(tasks, tree.get("tasks") or {})
        del state[SPLIT_KEY]
        connection.execute(
            cases.update().where(cases.c.id == case_id)
            .values(state_json=json.dumps(state, separators=(",", ":"), ensure_ascii=False))
        )
    op.drop_table('case_finished_tasks')

"""Tasks (work items): the list, one task with its form, claim, unclaim, assign, complete, comments."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.deps import ClockDep, NetworkDep, SessionDep, TaskReader, VisibleTask
from api.pagination import Page, PageDep, paged
from api.problems import errors
from api.schemas import EntityId, JsonObject, Moment, Text, WorkItemOut
from engine.cases import assignment, commands, reads
from engine.cases.comments import add_comment
from engine.cases.queries import TaskScope
from engine.cases.reads import CommentView, TaskView

router = APIRouter(tags=["tasks"])
TaskStateName = Literal["open", "claimed", "completed", "cancelled"]


class TaskSummary(WorkItemOut):
    case_reference: str
    protocol: str
    assignee_username: str | None


class TaskDetail(TaskSummary):
    form_schema: dict[str, Any] | None = Field(description="The task's form (JSON Schema), if it has one.")
    data: dict[str, Any] = Field(description="The current values of the form's fields.")
    may_work: bool
    may_assign: bool
    comment_count: int


class CompleteIn(BaseModel):
    data: JsonObject = Field(default_factory=dict, description="The form's field values.")
    child_id: EntityId | None = Field(default=None, description="On an intake form: the child record the user confirmed.")


class AssigneeIn(BaseModel):
    assignee_id: EntityId = Field(description="The user to give the task to (of the owning agency).")


class CommentIn(BaseModel):
    body: Text = Field(min_length=1, max_length=4000)


class CommentOut(BaseModel):
    id: int
    work_item_id: int
    author_id: int
    author_username: str
    body: str
    created_at: datetime


def _summary(view: TaskView, now: datetime) -> TaskSummary:
    return TaskSummary(**WorkItemOut.of(view.item, now=now).model_dump(), case_reference=view.case_reference,
                       protocol=view.protocol_key, assignee_username=view.assignee_username)


def _comment(view: CommentView) -> CommentOut:
    c = view.comment
    return CommentOut(id=c.id, work_item_id=c.work_item_id, author_id=c.author_id, author_username=view.author_username,
                      body=c.body, created_at=c.created_at)


@router.get("/tasks", summary="Tasks, overdue first then by due date", responses=errors(422))
def list_tasks(
    session: SessionDep, clock: ClockDep, actor: TaskReader, page: PageDep,
    scope: Annotated[TaskScope | None, Query(description="mine, agency (default with an agency) or all (committee, admin)")] = None,
    state: Annotated[TaskStateName | None, Query(description="Default: open and claimed.")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or only not overdue (false).")] = None,
    due_before: Annotated[Moment | None, Query(description="Only tasks due before this moment.")] = None,
    protocol: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,63}$")] = None,
    agency: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,31}$")] = None,
) -> Page[TaskSummary]:
    now = clock.now()
    found = reads.list_tasks(session=session, actor=actor, now=now, scope=scope, state=state, overdue=overdue,
                             due_before=due_before, protocol=protocol, agency=agency, limit=page.limit, offset=page.offset)
    return paged(found, page, lambda view: _summary(view, now))


@router.get("/tasks/{task_id}", summary="One task with its form's JSON Schema and current data", responses=errors(404))
def get_task(task: VisibleTask, session: SessionDep, clock: ClockDep, actor: TaskReader) -> TaskDetail:
    now = clock.now()
    detail = reads.read_task(session=session, item=task, actor=actor, now=now)
    return TaskDetail(
        **_summary(detail, now).model_dump(), form_schema=detail.form_schema, data=detail.data,
        may_work=detail.may_work, may_assign=detail.may_assign, comment_count=detail.comment_count,
    )


@router.post("/tasks/{task_id}/claim", summary="Take an open task", responses=errors(404, 409))
def claim(task: VisibleTask, session: SessionDep, clock: ClockDep, actor: TaskReader) -> TaskSummary:
    item = assignment.claim(session=session, work_item_id=task.id, actor=actor, clock=clock)
    return _summary(reads.task_view(session=session, item=item, actor=actor), clock.now())


@router.post("/tasks/{task_id}/unclaim", summary="Give a claimed task back to the agency's queue", responses=errors(404, 409))
def unclaim(task: VisibleTask, session: SessionDep, clock: ClockDep, actor: TaskReader) -> TaskSummary:
    item = assignment.unclaim(session=session, work_item_id=task.id, actor=actor, clock=clock)
    return _summary(reads.task_view(session=session, item=item, actor=actor), clock.now())


@router.put("/tasks/{task_id}/assignee", summary="Assign the task to a person (supervisors, committee)",
            responses=errors(404, 409, 422))
def assign(body: AssigneeIn, task: VisibleTask, session: SessionDep, clock: ClockDep, actor: TaskReader) -> TaskSummary:
    item = assignment.reassign(session=session, work_item_id=task.id, assignee_id=body.assignee_id, actor=actor, clock=clock)
    return _summary(reads.task_view(session=session, item=item, actor=actor), clock.now())


@router.post("/tasks/{task_id}/complete", summary="Complete the task with its form data; the case moves on",
             responses=errors(404, 409, 422))
def complete(
    body: CompleteIn, task: VisibleTask, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: TaskReader,
) -> TaskSummary:
    item = commands.complete(session=session, work_item_id=task.id, data=body.data, actor=actor, clock=clock,
                             network=network, child_id=body.child_id)
    return _summary(reads.task_view(session=session, item=item, actor=actor), clock.now())


@router.post("/tasks/{task_id}/comments", status_code=status.HTTP_201_CREATED, summary="Comment on a task",
             responses=errors(404, 422))
def post_comment(body: CommentIn, task: VisibleTask, session: SessionDep, clock: ClockDep, actor: TaskReader) -> CommentOut:
    comment = add_comment(session=session, item=task, body=body.body, actor=actor, clock=clock)
    return _comment(CommentView(comment, actor.username))


@router.get("/tasks/{task_id}/comments", summary="A task's comments, oldest first", responses=errors(404))
def list_comments(task: VisibleTask, session: SessionDep, clock: ClockDep, actor: TaskReader, page: PageDep) -> Page[CommentOut]:
    found = reads.read_comments(session=session, item=task, actor=actor, now=clock.now(), limit=page.limit, offset=page.offset)
    return paged(found, page, _comment)

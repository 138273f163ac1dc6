"""Tasks (work items): the list, one task with its form, claim, unclaim, assign, complete, comments."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from api.deps import ClockDep, NetworkDep, SessionDep, require_role
from api.pagination import Page, PageDep, paginate
from api.problems import errors
from api.schemas import EntityId, JsonObject, Moment, Text, WorkItemOut, path_id
from engine.cases import assignment, commands
from engine.cases.access import may_see_case, record_denied, record_read
from engine.cases.comments import TaskComment, add_comment, comments_on
from engine.cases.models import Case, WorkItem
from engine.cases.queries import TaskScope, task_form_data, task_list_query
from engine.cases.rights import may_assign, may_work
from engine.errors import NotFound
from engine.forms.service import form_schema
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_READING_ROLES
from engine.protocols.models import ProtocolVersion

router = APIRouter(tags=["tasks"])
Reader = Annotated[Actor, Depends(require_role(CASE_READING_ROLES, "work with case data"))]
TaskId = Annotated[int, path_id("The task's (work item's) id.")]
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


def visible_item(session: SessionDep, actor: Actor, task_id: int, *, clock: ClockDep, attempted: str) -> WorkItem:
    """The work item, if the actor may see its case; otherwise audited and answered as 404."""
    item = session.get(WorkItem, task_id)
    if item is None or not may_see_case(session, actor, item.case_id):
        record_denied(session, actor=actor, at=clock.now(), resource="task", resource_id=task_id,
                      case_id=item.case_id if item else None, work_item_id=item.id if item else None, attempted=attempted)
        raise NotFound(f"task {task_id} not found", field="task_id")
    return item


def _summary(session: SessionDep, item: WorkItem, now: datetime) -> TaskSummary:
    reference, key = session.execute(
        select(Case.reference, ProtocolVersion.key).join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .where(Case.id == item.case_id)
    ).one()
    assignee = session.scalar(select(User.username).where(User.id == item.assignee_id)) if item.assignee_id else None
    return TaskSummary(**WorkItemOut.of(item, now=now).model_dump(), case_reference=reference, protocol=key,
                       assignee_username=assignee)


@router.get("/tasks", summary="Tasks, overdue first then by due date", responses=errors(422))
def list_tasks(
    session: SessionDep, clock: ClockDep, actor: Reader, page: PageDep,
    scope: Annotated[TaskScope | None, Query(description="mine, agency (default with an agency) or all (committee, admin)")] = None,
    state: Annotated[TaskStateName | None, Query(description="Default: open and claimed.")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or only not overdue (false).")] = None,
    due_before: Annotated[Moment | None, Query(description="Only tasks due before this moment.")] = None,
    protocol: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,63}$")] = None,
    agency: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{1,31}$")] = None,
) -> Page[TaskSummary]:
    now = clock.now()
    query = task_list_query(actor, now=now, scope=scope, state=state, overdue=overdue, due_before=due_before,
                            protocol=protocol, agency=agency)
    return paginate(session, query, page, lambda row: TaskSummary(
        **WorkItemOut.of(row[0], now=now).model_dump(), case_reference=row[1], protocol=row[2], assignee_username=row[3],
    ))


@router.get("/tasks/{task_id}", summary="One task with its form's JSON Schema and current data", responses=errors(404))
def get_task(session: SessionDep, clock: ClockDep, actor: Reader, task_id: TaskId) -> TaskDetail:
    item = visible_item(session, actor, task_id, clock=clock, attempted="view task")
    now = clock.now()
    count = session.scalar(select(func.count(TaskComment.id)).where(TaskComment.work_item_id == item.id)) or 0
    detail = TaskDetail(
        **_summary(session, item, now).model_dump(), form_schema=form_schema(session, item.form_key),
        data=task_form_data(session, item), may_work=may_work(actor, item), may_assign=may_assign(actor, item),
        comment_count=count,
    )
    record_read(session, action="task.viewed", actor=actor, at=now, case_id=item.case_id, work_item_id=item.id)
    session.commit()
    return detail


@router.post("/tasks/{task_id}/claim", summary="Take an open task", responses=errors(404, 409))
def claim(session: SessionDep, clock: ClockDep, actor: Reader, task_id: TaskId) -> TaskSummary:
    visible_item(session, actor, task_id, clock=clock, attempted="claim task")
    item = assignment.claim(session=session, work_item_id=task_id, actor=actor, clock=clock)
    return _summary(session, item, clock.now())


@router.post("/tasks/{task_id}/unclaim", summary="Give a claimed task back to the agency's queue", responses=errors(404, 409))
def unclaim(session: SessionDep, clock: ClockDep, actor: Reader, task_id: TaskId) -> TaskSummary:
    visible_item(session, actor, task_id, clock=clock, attempted="unclaim task")
    item = assignment.unclaim(session=session, work_item_id=task_id, actor=actor, clock=clock)
    return _summary(session, item, clock.now())


@router.put("/tasks/{task_id}/assignee", summary="Assign the task to a person (supervisors, committee)",
            responses=errors(404, 409, 422))
def assign(body: AssigneeIn, session: SessionDep, clock: ClockDep, actor: Reader, task_id: TaskId) -> TaskSummary:
    visible_item(session, actor, task_id, clock=clock, attempted="assign task")
    item = assignment.reassign(session=session, work_item_id=task_id, assignee_id=body.assignee_id, actor=actor, clock=clock)
    return _summary(session, item, clock.now())


@router.post("/tasks/{task_id}/complete", summary="Complete the task with its form data; the case moves on",
             responses=errors(404, 409, 422))
def complete(
    body: CompleteIn, session: SessionDep, clock: ClockDep, network: NetworkDep, actor: Reader, task_id: TaskId,
) -> TaskSummary:
    visible_item(session, actor, task_id, clock=clock, attempted="complete task")
    item = commands.complete(session=session, work_item_id=task_id, data=body.data, actor=actor, clock=clock,
                            network=network, child_id=body.child_id)
    return _summary(session, item, clock.now())


@router.post("/tasks/{task_id}/comments", status_code=status.HTTP_201_CREATED, summary="Comment on a task",
             responses=errors(404, 422))
def post_comment(body: CommentIn, session: SessionDep, clock: ClockDep, actor: Reader, task_id: TaskId) -> CommentOut:
    item = visible_item(session, actor, task_id, clock=clock, attempted="comment on task")
    comment = add_comment(session, item=item, body=body.body, actor=actor, clock=clock)
    return CommentOut(id=comment.id, work_item_id=item.id, author_id=comment.author_id, author_username=actor.username,
                      body=comment.body, created_at=comment.created_at)


@router.get("/tasks/{task_id}/comments", summary="A task's comments, oldest first", responses=errors(404))
def list_comments(session: SessionDep, clock: ClockDep, actor: Reader, page: PageDep, task_id: TaskId) -> Page[CommentOut]:
    item = visible_item(session, actor, task_id, clock=clock, attempted="view comments")
    total = session.scalar(select(func.count(TaskComment.id)).where(TaskComment.work_item_id == item.id)) or 0
    rows = comments_on(session, item.id, limit=page.limit, offset=page.offset)
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_({c.author_id for c in rows}))).all()) if rows else {}
    record_read(session, action="task.comments_viewed", actor=actor, at=clock.now(), case_id=item.case_id, work_item_id=item.id)
    session.commit()
    return Page[CommentOut](
        items=[CommentOut(id=c.id, work_item_id=c.work_item_id, author_id=c.author_id, author_username=names.get(c.author_id, "?"),
                          body=c.body, created_at=c.created_at) for c in rows],
        total=total, limit=page.limit, offset=page.offset,
    )

"""Case workers' pages: the inbox, claiming, and a task with its form, comments and diagram.

The task's form is drawn from its JSON Schema (``formfields``) and checked here first, so each
error is shown in Thai beside its field with every value kept; the engine checks it again when
the task is completed. An intake form that records the child first asks the engine for records
of the same child (``offer_matches`` for this task) and lets the worker confirm one or start a
new record.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ClockDep, NetworkDep, SessionDep
from api.pages.casework import diagram_status, visible_case_or_404, visible_task_or_404
from api.pages.errors import PageRoute
from api.pages.formfields import SubmittedForm, form_fields, raw_from_data, read_submission, unplaced_errors
from api.pages.i18n import N_, language_of
from api.pages.protocols import bpmn_url
from api.pages.rendering import gettext_for, render
from api.pages.security import CsrfChecked, PageUser, page_role, safe_next
from api.schemas import MAX_ID
from engine.cases import assignment, commands, reads
from engine.cases.comments import MAX_COMMENT_LENGTH, add_comment
from engine.cases.inbox import inbox, inbox_count, inbox_entry
from engine.cases.models import LIVE_WORK_ITEM_STATES, WorkItem, WorkItemState
from engine.children.masking import child_as_seen_by
from engine.children.service import CHILD_RECORD_FLAG, ChildIdentity, MatchOffer, offer_matches
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from engine.forms.service import form_schema
from engine.people.roles import CASE_READING_ROLES, WORKING_ROLES
from engine.protocols.service import published_versions

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Worker = Annotated[PageUser, Depends(page_role(WORKING_ROLES, "work tasks"))]
Reader = Annotated[PageUser, Depends(page_role(CASE_READING_ROLES, "read case data"))]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_SIZE = 25
MAX_PAGE = 4000
DUE_WINDOWS = {
    "overdue": N_("Overdue"), "24h": N_("Due within 24 hours"), "7d": N_("Due within 7 days"),
}
PROTOCOL_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
REFERENCE = re.compile(r"^[A-Z0-9]{1,16}-\d{4}-\d{1,9}$")
NEW_RECORD = "new"
# Up to this many comments are shown on a task (a case file, not a chat).
COMMENTS_SHOWN = 200


# -- the inbox ----------------------------------------------------------------------------------


@router.get("/inbox")
def inbox_page(request: Request, session: SessionDep, clock: ClockDep, user: Worker,
               protocol: str = "", due: str = "", page: int = 1, completed: str = "") -> Response:
    now = clock.now()
    protocol = protocol if PROTOCOL_KEY.match(protocol) else ""
    due = due if due in DUE_WINDOWS else ""
    page = min(max(page, 1), MAX_PAGE)
    window: dict[str, Any] = {
        "overdue": {"due_before": now},
        "24h": {"due_from": now, "due_before": now + timedelta(hours=24)},
        "7d": {"due_from": now, "due_before": now + timedelta(days=7)},
    }.get(due, {})
    found = inbox(session=session, actor=user.actor, now=now, protocol=protocol or None, limit=PAGE_SIZE,
                  offset=(page - 1) * PAGE_SIZE, **window)
    _ = gettext_for(request)
    counts = inbox_count(session=session, actor=user.actor, now=now)
    return render(
        request, "work/inbox.html", user, entries=found.rows, total=found.total, page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)), protocol=protocol, due=due,
        due_windows={key: _(label) for key, label in DUE_WINDOWS.items()},
        protocols=[(version.key, version.name) for version in published_versions(session=session)],
        counts=counts, task_count=counts.total,
        completed=completed if REFERENCE.match(completed) else "",
    )


def _wants_fragment(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.post("/tasks/{task_id}/claim", dependencies=[CsrfChecked])
def claim(request: Request, session: SessionDep, clock: ClockDep, user: Worker, task_id: TaskId,
          next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """One click: the task is the worker's. htmx swaps the inbox row; without it the browser goes on."""
    item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    taken = False
    try:
        item = assignment.claim(session=session, work_item_id=item.id, actor=user.actor, clock=clock)
    except Conflict:
        taken = True
        item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    entry = inbox_entry(session=session, item=item)
    if _wants_fragment(request):
        return render(request, "work/_inbox_row.html", user, entry=entry, taken=taken)
    if taken:
        return RedirectResponse(f"/tasks/{item.id}", status_code=303)
    return RedirectResponse(safe_next(next, f"/tasks/{item.id}"), status_code=303)


@router.post("/tasks/{task_id}/unclaim", dependencies=[CsrfChecked])
def unclaim(request: Request, session: SessionDep, clock: ClockDep, user: Worker, task_id: TaskId) -> Response:
    item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    assignment.unclaim(session=session, work_item_id=item.id, actor=user.actor, clock=clock)
    return RedirectResponse("/inbox", status_code=303)


# -- one task -----------------------------------------------------------------------------------


def _task_page(
    request: Request, session, clock, user: PageUser, item: WorkItem, *,
    raw: dict[str, Any] | None = None, errors: dict[str, str] | None = None, extra_rows: dict[str, int] | None = None,
    offers: list[MatchOffer] | None = None, problem: str | None = None, comment: str = "",
    comment_error: str | None = None, status_code: int = 200,
) -> Response:
    now = clock.now()
    language = language_of(request)
    detail = reads.read_task(session=session, item=item, actor=user.actor, now=now)
    case = visible_case_or_404(request, session, user.actor, item.case_id, now)
    case_detail = reads.read_case(session=session, case=case, actor=user.actor, now=now)
    comments = reads.read_comments(session=session, item=item, actor=user.actor, now=now, limit=COMMENTS_SHOWN, offset=0)
    schema = detail.form_schema
    live = item.state in LIVE_WORK_ITEM_STATES
    editable = live and detail.may_work and (item.state == WorkItemState.OPEN.value or item.assignee_id == user.actor.user_id)
    fields = []
    if schema is not None:
        shown = raw if raw is not None else raw_from_data(schema, detail.data)
        fields = form_fields(schema, language=language, raw=shown, errors=errors, extra_rows=extra_rows)
    return render(
        request, "work/task.html", user, status_code=status_code, task=detail, item=item, case=case_detail,
        schema=schema, fields=fields, other_errors=unplaced_errors(fields, errors or {}), editable=editable, live=live,
        comments=comments.rows, comment_total=comments.total, comment=comment, comment_error=comment_error,
        comment_limit=MAX_COMMENT_LENGTH, offers=offers or [], problem=problem,
        bpmn_url=bpmn_url(case_detail.protocol_key, case_detail.protocol_version),
        status=diagram_status(case_detail.work_items, now, language, current=item.task_name),
        child=child_as_seen_by(user.actor, case_detail.child, case_detail.guardians) if case_detail.child else None,
        works=user.role in WORKING_ROLES,
    )


@router.get("/tasks/{task_id}")
def task_page(request: Request, session: SessionDep, clock: ClockDep, user: Reader, task_id: TaskId) -> Response:
    item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    return _task_page(request, session, clock, user, item)


def _chosen_record(form: Any) -> str | None:
    """The worker's answer to the offered records: a record id, "new", or None (not asked yet)."""
    value = form.get("child_match")
    if not isinstance(value, str) or not value:
        return None
    return value if value == NEW_RECORD or value.isdigit() else None


@router.post("/tasks/{task_id}", dependencies=[CsrfChecked])
def complete_task(request: Request, session: SessionDep, clock: ClockDep, network: NetworkDep, user: Worker,
                  task_id: TaskId, form: SubmittedForm) -> Response:
    """Complete the task with its form; on any problem the page comes back with every value kept."""
    _ = gettext_for(request)
    item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    schema = form_schema(session, item.form_key) or {"type": "object", "properties": {}}
    submitted = read_submission(schema, form)
    if submitted.more_rows_for:
        return _task_page(request, session, clock, user, item, raw=submitted.raw, extra_rows=submitted.extra_rows())
    errors = submitted.errors(_)
    if errors:
        return _task_page(request, session, clock, user, item, raw=submitted.raw, errors=errors, status_code=422)
    child_id: int | None = None
    if schema.get(CHILD_RECORD_FLAG):
        choice = _chosen_record(form)
        if choice is None:
            # Before a new record is made, the worker sees records that may be the same child.
            offers = offer_matches(session, ChildIdentity.from_form(submitted.data), actor=user.actor,
                                   now=clock.now(), work_item=item)
            session.commit()
            if any(not offer.exact for offer in offers):
                return _task_page(request, session, clock, user, item, raw=submitted.raw, offers=offers)
        elif choice != NEW_RECORD:
            child_id = int(choice)
    try:
        done = commands.complete(session=session, work_item_id=item.id, data=submitted.data, actor=user.actor,
                                 clock=clock, network=network, child_id=child_id)
    except InvalidInput as exc:
        field = str(exc.details.get("field") or "")
        message = _("This value is not accepted: %(reason)s") % {"reason": exc.message}
        return _task_page(request, session, clock, user, item, raw=submitted.raw, errors={field: message},
                          status_code=422)
    except NotFound:
        # The chosen record was not offered for this task (or no longer may be named).
        return _task_page(request, session, clock, user, item, raw=submitted.raw, status_code=422,
                          problem=_("The chosen child record cannot be linked to this case. Look the child up again."))
    except (Conflict, InvalidState):
        return _task_page(request, session, clock, user, item, raw=submitted.raw, status_code=409,
                          problem=_("Someone else changed this task or case meanwhile. Nothing was saved; check the task and try again."))
    reference = reads.task_view(session=session, item=done).case_reference
    return RedirectResponse(f"/inbox?completed={reference}", status_code=303)


@router.post("/tasks/{task_id}/comments", dependencies=[CsrfChecked])
def comment(request: Request, session: SessionDep, clock: ClockDep, user: Reader, task_id: TaskId,
            body: Annotated[str, Form(max_length=MAX_COMMENT_LENGTH * 2)] = "") -> Response:
    item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    try:
        add_comment(session=session, item=item, body=body, actor=user.actor, clock=clock)
    except InvalidInput:
        session.rollback()
        _ = gettext_for(request)
        error = (_("Write a comment first.") if not body.strip()
                 else _("A comment may have at most %(limit)s characters.") % {"limit": f"{MAX_COMMENT_LENGTH:,}"})
        return _task_page(request, session, clock, user, item, comment=body, comment_error=error, status_code=422)
    return RedirectResponse(f"/tasks/{item.id}#comments", status_code=303)

"""Supervisors' dashboard and the committee's monitoring report.

The dashboard: overdue work per agency and per protocol as bar charts (every agency's, as the
API's overdue report shows them), the overdue list the supervisor watches (their agency's; the
committee's and administrators' whole network) with its CSV export, the escalations they may
handle (acknowledge, resolve, give the late task to someone), and on-time rates per agency over
30 and 90 days. The monitoring report (CPA s.20) counts, over a chosen period, per agency and
per protocol, what was opened, closed, done on time and escalated; it names no child.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ClockDep, SessionDep, attempted
from api.pages.casework import visible_task_or_404
from api.pages.errors import PageRoute
from api.pages.formatting import DISPLAY_ZONE, format_datetime
from api.pages.i18n import N_, language_of
from api.pages.names import NetworkNames
from api.pages.rendering import gettext_for, render
from api.pages.security import CsrfChecked, PageUser, page_role
from api.schemas import MAX_ID
from engine.cases import assignment
from engine.cases.access import visible_escalation
from engine.cases.assignees import assignment_choices
from engine.deadlines import service as escalations
from engine.deadlines.queries import list_escalations, overdue_counts
from engine.deadlines.reports import (
    export_overdue,
    holder_names,
    monitoring_report,
    on_time_rates,
    overdue_chart,
    overdue_for,
    overdue_scope,
)
from engine.errors import Conflict, InvalidInput, InvalidState
from engine.people.roles import REPORT_ROLES, SUPERVISION_ROLES
from engine.protocols.library import protocol_summaries

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Supervisor = Annotated[PageUser, Depends(page_role(SUPERVISION_ROLES, "watch overdue work"))]
ReportReader = Annotated[PageUser, Depends(page_role(REPORT_ROLES, "read reports"))]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
OVERDUE_SHOWN = 50
ESCALATIONS_SHOWN = 100
RATE_WINDOWS = (30, 90)
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 5 * 366
NOTICES = {
    "acknowledged": N_("The escalation was acknowledged; it stops climbing."),
    "resolved": N_("The escalation was resolved."),
    "reassigned": N_("The task was given to %(who)s."),
}


def _bars(values: dict[str, int], label) -> list[dict[str, Any]]:
    """Bars for a chart: largest first, each as a share of the largest."""
    largest = max(values.values(), default=0)
    return [
        {"key": key, "label": label(key), "value": value, "share": round(100 * value / largest, 1) if largest else 0}
        for key, value in sorted(values.items(), key=lambda pair: (-pair[1], pair[0]))
    ]


def _protocol_names(session) -> dict[str, str]:
    return {summary.key: summary.name for summary in protocol_summaries(session=session)}


def _dashboard(request: Request, session, clock, user: PageUser, *, errors: dict[str, str] | None = None,
               notice: str | None = None, status_code: int = 200) -> Response:
    now = clock.now()
    names = NetworkNames(request.app.state.wiring.network, language_of(request))
    protocol_names = _protocol_names(session)
    by_agency, by_protocol = overdue_chart(overdue_counts(session=session, now=now))
    overdue = overdue_for(session=session, actor=user.actor, now=now, limit=OVERDUE_SHOWN)
    unresolved = [
        view for status in ("open", "acknowledged")
        for view in list_escalations(session=session, actor=user.actor, status=status, limit=ESCALATIONS_SHOWN,
                                     offset=0).rows
    ]
    task_ids = {row.work_item_id for row in overdue} | {
        view.escalation.work_item_id for view in unresolved if view.escalation.work_item_id
    }
    rates = {days: {rate.agency_code: rate for rate in on_time_rates(session=session, now=now, days=days)}
             for days in RATE_WINDOWS}
    rate_agencies = sorted({code for found in rates.values() for code in found}, key=names.agency)
    scope = overdue_scope(user.actor)
    return render(
        request, "supervision/dashboard.html", user, status_code=status_code,
        agency_bars=_bars(by_agency, names.agency),
        protocol_bars=_bars(by_protocol, lambda key: protocol_names.get(key, key)),
        overdue=overdue, overdue_total=_overdue_total(session, user, now, scope, by_agency),
        holders=holder_names(session=session, rows=overdue),
        scope=scope, escalations=unresolved, choices=assignment_choices(session=session, actor=user.actor, work_item_ids=task_ids),
        rates=rates, rate_windows=RATE_WINDOWS, rate_agencies=rate_agencies, protocol_names=protocol_names,
        errors=errors or {}, notice=notice,
    )


def _overdue_total(session, user: PageUser, now, scope: str | None, by_agency: dict[str, int]) -> int:
    """How many overdue tasks the supervisor watches: their agency's, or for a school's staff
    their own school's only (the charts stay the network's figures)."""
    if user.actor.unit_code is not None:
        mine, _ = overdue_chart(overdue_counts(session=session, now=now, visible_to=user.actor))
        return mine.get(scope, 0) if scope else sum(mine.values())
    return by_agency.get(scope, 0) if scope else sum(by_agency.values())


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, clock: ClockDep, user: Supervisor,
              done: str = "", who: str = "") -> Response:
    _ = gettext_for(request)
    notice = _(NOTICES[done]) % {"who": who[:64]} if done in NOTICES else None
    return _dashboard(request, session, clock, user, notice=notice)


def _handle(request: Request, session, clock, user: PageUser, escalation_id: int, note: str, act, done: str) -> Response:
    visible_escalation(session=session, actor=user.actor, escalation_id=escalation_id, now=clock.now(),
                       attempted=attempted(request))
    _ = gettext_for(request)
    try:
        act(session=session, escalation_id=escalation_id, note=note, actor=user.actor, clock=clock)
    except InvalidInput:
        session.rollback()
        return _dashboard(request, session, clock, user, status_code=422,
                          errors={f"escalation-{escalation_id}": _("Write a note: what you saw or did.")})
    except (InvalidState, Conflict):
        session.rollback()
        return _dashboard(request, session, clock, user, status_code=409,
                          errors={f"escalation-{escalation_id}": _("Someone else handled this escalation meanwhile.")})
    return RedirectResponse(f"/dashboard?done={done}", status_code=303)


@router.post("/escalations/{escalation_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge(request: Request, session: SessionDep, clock: ClockDep, user: Supervisor, escalation_id: ObjectId,
                note: Annotated[str, Form(max_length=8000)] = "") -> Response:
    return _handle(request, session, clock, user, escalation_id, note, escalations.acknowledge, "acknowledged")


@router.post("/escalations/{escalation_id}/resolve", dependencies=[CsrfChecked])
def resolve(request: Request, session: SessionDep, clock: ClockDep, user: Supervisor, escalation_id: ObjectId,
            note: Annotated[str, Form(max_length=8000)] = "") -> Response:
    return _handle(request, session, clock, user, escalation_id, note, escalations.resolve, "resolved")


@router.post("/tasks/{task_id}/assignee", dependencies=[CsrfChecked])
def reassign(request: Request, session: SessionDep, clock: ClockDep, user: Supervisor, task_id: ObjectId,
             assignee: Annotated[str, Form(max_length=16)] = "") -> Response:
    """Give a (late) task to a named person of its agency."""
    item = visible_task_or_404(request, session, user.actor, task_id, clock.now())
    _ = gettext_for(request)
    people = assignment_choices(session=session, actor=user.actor, work_item_ids=[item.id]).get(item.id, [])
    chosen = next((person for person in people if str(person.id) == assignee), None)
    if chosen is None:
        return _dashboard(request, session, clock, user, status_code=422,
                          errors={f"task-{item.id}": _("Choose a person of the agency who may work this task.")})
    try:
        assignment.reassign(session=session, work_item_id=item.id, assignee_id=chosen.id, actor=user.actor, clock=clock)
    except (InvalidInput, Conflict, InvalidState):
        session.rollback()
        return _dashboard(request, session, clock, user, status_code=409,
                          errors={f"task-{item.id}": _("The task could not be given: it changed meanwhile.")})
    return RedirectResponse(f"/dashboard?done=reassigned&who={chosen.username}", status_code=303)


# A value that a spreadsheet would run as a formula is written as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@router.get("/dashboard/overdue.csv")
def overdue_csv(request: Request, session: SessionDep, clock: ClockDep, user: Supervisor) -> Response:
    """The overdue list the supervisor watches, as a spreadsheet file; the export is audited."""
    now = clock.now()
    language = language_of(request)
    names = NetworkNames(request.app.state.wiring.network, language)
    protocol_names = _protocol_names(session)
    rows = export_overdue(session=session, actor=user.actor, now=now)
    _ = gettext_for(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Case"), _("Protocol"), _("Task"), _("Agency"), _("Due"), _("Hours overdue"),
                     _("Escalation level"), _("Held by")])
    holders = holder_names(session=session, rows=rows)
    for row in rows:
        writer.writerow([_cell(v) for v in (
            row.case_reference, protocol_names.get(row.protocol_key, row.protocol_key), row.label,
            names.agency(row.agency_code), format_datetime(row.due_at, language), row.overdue_seconds // 3600,
            row.escalation_level, holders.get(row.assignee_id, "") if row.assignee_id else "",
        )])
    stamp = now.astimezone(DISPLAY_ZONE).strftime("%Y%m%d-%H%M")
    return Response(
        "\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="overdue-{stamp}.csv"'},
    )


# -- the committee's monitoring report ----------------------------------------------------------


def _day(text: str, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


@router.get("/committee")
def committee(request: Request, session: SessionDep, clock: ClockDep, user: ReportReader,
              start: str = "", end: str = "") -> Response:
    """Per agency and protocol over a period (Tak dates, both included): printable."""
    today = clock.now().astimezone(DISPLAY_ZONE).date()
    last = _day(end, today)
    first = _day(start, last - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=MAX_PERIOD_DAYS))
    report = monitoring_report(
        session=session,
        start=datetime.combine(first, time(0), DISPLAY_ZONE),
        end=datetime.combine(last + timedelta(days=1), time(0), DISPLAY_ZONE),
    )
    levels = sorted({level for row in report.by_agency + report.by_protocol for level in row.escalations_by_level}) or [1]
    return render(request, "supervision/committee.html", user, report=report, first=first, last=last,
                  protocol_names=_protocol_names(session), levels=levels)

"""Cases: the list a person may see, one case with its history and diagram, and starting one.

A case page shows what the API's case detail shows the same person: its tasks and escalations,
the linked (referred) cases they may see, the agencies involved, and the child's record, with
names and identifiers masked for roles that oversee rather than work cases
(``engine.children.masking``). To someone who may not see the case it does not exist.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ClockDep, NetworkDep, SessionDep
from api.pages.casework import LEGAL_BASIS_LABELS, TIMELINE_ACTIONS, diagram_status, visible_case_or_404
from api.pages.errors import PageRoute
from api.pages.i18n import language_of
from api.pages.names import NetworkNames
from api.pages.protocols import bpmn_url
from api.pages.rendering import gettext_for, render
from api.pages.security import CsrfChecked, PageUser, page_role
from api.schemas import MAX_ID
from engine.cases import commands, reads, reopening
from engine.cases.inbox import next_task_for
from engine.cases.models import CaseStatus
from engine.cases.rights import may_reopen
from engine.cases.timeline import case_timeline
from engine.children.masking import child_as_seen_by
from engine.errors import Conflict, InvalidInput, InvalidState
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.roles import CASE_READING_ROLES, CASE_STARTING_ROLES, SUPERVISOR_ROLE
from engine.protocols.starts import startable_versions

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Reader = Annotated[PageUser, Depends(page_role(CASE_READING_ROLES, "read case data"))]
Starter = Annotated[PageUser, Depends(page_role(CASE_STARTING_ROLES, "start cases"))]
Reopener = Annotated[PageUser, Depends(page_role({SUPERVISOR_ROLE}, "re-open a closed case"))]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
PAGE_SIZE = 25
HISTORY_PAGE = 100
MAX_PAGE = 4000
STATUSES = tuple(status.value for status in CaseStatus)


def _page_number(value: int) -> int:
    return min(max(value, 1), MAX_PAGE)


@router.get("/cases")
def case_list(request: Request, session: SessionDep, clock: ClockDep, user: Reader,
              q: str = "", status: str = "", page: int = 1) -> Response:
    q = q.strip()[:100]
    status = status if status in STATUSES else ""
    page = _page_number(page)
    found = reads.search_cases(session=session, actor=user.actor, now=clock.now(), q=q or None, status=status or None,
                               limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    # The read model names each child as this reader may see it (engine.children.masking).
    rows = [(view, view.child_name) for view in found.rows]
    return render(request, "cases/list.html", user, rows=rows, total=found.total, q=q, status=status, page=page,
                  pages=max(1, -(-found.total // PAGE_SIZE)), statuses=STATUSES)


# -- starting a case ----------------------------------------------------------------------------


def _reporting_units(network: Network, names: NetworkNames, actor: Actor) -> list[tuple[str, str]]:
    """Who may be named as reporting: any active agency or reporting unit (a school) of the network,
    since a report reaches the agency that starts the protocol from anywhere; a school's staff
    report for their own school."""
    if actor.unit_code is not None:
        return [(actor.unit_code, names.unit(actor.unit_code))]
    agencies = [(code, names.agency(code)) for code in network.active_agencies]
    units = [(code, names.unit(code)) for code in network.units]
    return sorted(agencies, key=lambda pair: pair[1]) + sorted(units, key=lambda pair: pair[1])


def _start_page(request: Request, session, network: Network, user: PageUser, *, chosen: str = "", unit: str = "",
                error: str | None = None, status_code: int = 200) -> Response:
    names = NetworkNames(network, language_of(request))
    versions = startable_versions(session=session, actor=user.actor, network=network)
    units = _reporting_units(network, names, user.actor)
    return render(request, "cases/start.html", user, status_code=status_code, versions=versions, units=units,
                  chosen=chosen, unit=unit or (user.actor.unit_code or user.actor.agency_code or ""), error=error)


@router.get("/cases/new")
def start_page(request: Request, session: SessionDep, network: NetworkDep, user: Starter) -> Response:
    return _start_page(request, session, network, user)


@router.post("/cases/new", dependencies=[CsrfChecked])
def start(request: Request, session: SessionDep, clock: ClockDep, network: NetworkDep, user: Starter,
          protocol: Annotated[str, Form(max_length=64)] = "",
          reporting_unit: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Open a case of a protocol the user's agency starts, and go to its first task."""
    _ = gettext_for(request)
    startable = {version.key for version in startable_versions(session=session, actor=user.actor, network=network)}
    if protocol not in startable:
        return _start_page(request, session, network, user, unit=reporting_unit, status_code=422,
                           error=_("Choose one of the protocols your agency starts."))
    names = NetworkNames(network, language_of(request))
    if reporting_unit not in {code for code, _name in _reporting_units(network, names, user.actor)}:
        return _start_page(request, session, network, user, chosen=protocol, status_code=422,
                           error=_("Choose who is reporting."))
    case = commands.start_case(session=session, protocol_key=protocol, data={}, actor=user.actor, clock=clock,
                               network=network, reporting_unit=reporting_unit)
    first = next_task_for(session=session, actor=user.actor, case_id=case.id)
    return RedirectResponse(f"/tasks/{first.id}" if first else f"/cases/{case.id}", status_code=303)


# -- one case -----------------------------------------------------------------------------------


def _timeline_entry(event: Any, labels: dict[int, str], gettext) -> dict[str, Any]:
    details = event.details or {}
    what = TIMELINE_ACTIONS.get(event.action)
    about = []
    if event.work_item_id in labels:
        about.append(labels[event.work_item_id])
    if details.get("to_case"):
        about.append(details["to_case"])
    if details.get("from_case"):
        about.append(details["from_case"])
    if details.get("legal_basis") in LEGAL_BASIS_LABELS:
        about.append(gettext("Legal basis") + ": " + gettext(LEGAL_BASIS_LABELS[details["legal_basis"]]))
    if event.action.startswith("escalation.") and details.get("level"):
        about.append(gettext("level %(level)s") % {"level": details["level"]})
    # Why a case was re-opened is part of its history, like an escalation's note.
    note = details.get("reason") if event.action in ("case.reopened", "case.reopened_from") else details.get("note")
    return {"event": event, "what": gettext(what) if what else event.action, "about": " · ".join(map(str, about)),
            "note": note}


@router.get("/cases/{case_id}")
def case_page(request: Request, session: SessionDep, clock: ClockDep, user: Reader, case_id: CaseId,
              history: int = 1, reads_shown: bool = False) -> Response:
    return _case_page(request, session, clock, user, case_id, history=history, reads_shown=reads_shown)


@router.post("/cases/{case_id}/reopen", dependencies=[CsrfChecked])
def reopen(request: Request, session: SessionDep, clock: ClockDep, network: NetworkDep, user: Reopener, case_id: CaseId,
           reason: Annotated[str, Form(max_length=reopening.MAX_REASON)] = "") -> Response:
    """Re-open a closed case as a new case linked to it, and go to the new case."""
    _ = gettext_for(request)
    if not reason.strip():
        return _case_page(request, session, clock, user, case_id, status_code=422,
                          reopen_error=_("Say why the case is re-opened."), reopen_reason=reason)
    try:
        reopened = reopening.reopen_case(session=session, case_id=case_id, reason=reason, actor=user.actor, clock=clock,
                                         network=network)
    except (InvalidState, Conflict, InvalidInput):
        session.rollback()
        return _case_page(request, session, clock, user, case_id, status_code=409, reopen_reason=reason,
                          reopen_error=_("This case cannot be re-opened: it is not closed, was anonymised, or was "
                                         "re-opened already."))
    return RedirectResponse(f"/cases/{reopened.id}", status_code=303)


def _case_page(request: Request, session, clock, user: PageUser, case_id: int, *, history: int = 1,
               reads_shown: bool = False, status_code: int = 200, reopen_error: str | None = None,
               reopen_reason: str = "") -> Response:
    now = clock.now()
    language = language_of(request)
    case = visible_case_or_404(request, session, user.actor, case_id, now)
    detail = reads.read_case(session=session, case=case, actor=user.actor, now=now)
    history = _page_number(history)
    events = case_timeline(session=session, case=case, actor=user.actor, now=now, include_reads=reads_shown,
                           limit=HISTORY_PAGE, offset=(history - 1) * HISTORY_PAGE)
    labels = {item.id: item.label for item in detail.work_items}
    _ = gettext_for(request)
    involved: list[str] = []
    for item in detail.work_items:
        if item.agency_code not in involved:
            involved.append(item.agency_code)
    # Offered to those who may re-open it (engine.cases.rights.may_reopen), once.
    offer_reopening = (
        case.status in reopening.CLOSED_STATUSES and case.anonymised_at is None
        and may_reopen(user.actor, involved)
        and not any(link.relation == "reopened_as" for link in detail.linked_cases)
    )
    return render(
        request, "cases/case.html", user, status_code=status_code, case=case, detail=detail,
        offer_reopening=offer_reopening, reopen_error=reopen_error, reopen_reason=reopen_reason,
        legal_bases={code: _(label) for code, label in LEGAL_BASIS_LABELS.items()},
        child=child_as_seen_by(user.actor, detail.child, detail.guardians) if detail.child else None,
        timeline=[_timeline_entry(event, labels, _) for event in events.rows], history=history,
        history_pages=max(1, -(-events.total // HISTORY_PAGE)), reads_shown=reads_shown, involved=involved,
        bpmn_url=bpmn_url(detail.protocol_key, detail.protocol_version),
        status=diagram_status(detail.work_items, now, language),
    )

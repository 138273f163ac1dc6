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
from api.pages.casework import TIMELINE_ACTIONS, diagram_status, visible_case_or_404
from api.pages.errors import PageRoute
from api.pages.i18n import language_of
from api.pages.names import NetworkNames
from api.pages.protocols import bpmn_url
from api.pages.rendering import gettext_for, render
from api.pages.security import CsrfChecked, PageUser, page_role
from api.schemas import MAX_ID
from engine.cases import commands, reads
from engine.cases.inbox import next_task_for
from engine.cases.models import CaseStatus
from engine.cases.timeline import case_timeline
from engine.children.masking import child_as_seen_by
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.roles import CASE_READING_ROLES, CASE_STARTING_ROLES
from engine.protocols.starts import startable_versions

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Reader = Annotated[PageUser, Depends(page_role(CASE_READING_ROLES, "read case data"))]
Starter = Annotated[PageUser, Depends(page_role(CASE_STARTING_ROLES, "start cases"))]
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
    if event.action.startswith("escalation.") and details.get("level"):
        about.append(gettext("level %(level)s") % {"level": details["level"]})
    return {"event": event, "what": gettext(what) if what else event.action, "about": " · ".join(map(str, about)),
            "note": details.get("note")}


@router.get("/cases/{case_id}")
def case_page(request: Request, session: SessionDep, clock: ClockDep, user: Reader, case_id: CaseId,
              history: int = 1, reads_shown: bool = False) -> Response:
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
    return render(
        request, "cases/case.html", user, case=case, detail=detail,
        child=child_as_seen_by(user.actor, detail.child, detail.guardians) if detail.child else None,
        timeline=[_timeline_entry(event, labels, _) for event in events.rows], history=history,
        history_pages=max(1, -(-events.total // HISTORY_PAGE)), reads_shown=reads_shown, involved=involved,
        bpmn_url=bpmn_url(detail.protocol_key, detail.protocol_version),
        status=diagram_status(detail.work_items, now, language),
    )

"""Policy staff's pages: the protocol library, the editor, rehearsal, publishing, differences."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ClockDep, NetworkDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.i18n import N_
from api.pages.rendering import EDITOR_CSP, gettext_for, render
from api.pages.security import CsrfChecked, CurrentPageUser, PageUser, page_role
from api.routes.protocols import bpmn_body
from api.schemas import MAX_ID
from engine.errors import InvalidInput, ProtocolInvalid
from engine.forms.library import all_forms
from engine.forms.service import form_catalogue
from engine.people.roles import AUTHORING_ROLES
from engine.protocols import service as protocols
from engine.protocols.diff import CATEGORIES, diff_protocols
from engine.protocols.findings import Finding, Severity
from engine.protocols.library import protocol_summaries, protocol_summary
from engine.protocols.parsing import descriptors_from_json
from engine.protocols.shapes import shape_ids
from engine.rehearsal import ScenarioFailed, library_scenarios, rehearse_text

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Author = Annotated[PageUser, Depends(page_role(AUTHORING_ROLES, "author protocols"))]
ProtocolKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID)]
CATEGORY_LABELS = {
    "renamed": N_("Renamed"), "retyped": N_("Type changed"), "moved": N_("Moved to another lane"),
    "rewired": N_("Connected differently"), "timers": N_("Timer changed"), "conditions": N_("Condition changed"),
    "forms": N_("Form changed"),
}
# Diff categories that change an element both diagrams show (the rest are additions and removals).
CHANGED = tuple(c for c in CATEGORIES if c not in ("added", "removed"))


def bpmn_url(key: str, version: int) -> str:
    return f"/api/v1/protocols/{key}/versions/{version}/bpmn"


@router.get("/protocols")
def protocol_list(request: Request, session: SessionDep, user: CurrentPageUser) -> Response:
    return render(request, "protocols/list.html", user, protocols=protocol_summaries(session=session),
                  authoring=user.role in AUTHORING_ROLES)


@router.get("/protocols/{key}")
def protocol_versions(request: Request, session: SessionDep, user: CurrentPageUser, key: ProtocolKey,
                      published: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Response:
    return render(request, "protocols/versions.html", user, protocol=protocol_summary(session=session, key=key),
                  authoring=user.role in AUTHORING_ROLES, just_published=published)


@router.get("/protocols/{key}/versions/{version}")
def protocol_version(request: Request, session: SessionDep, user: CurrentPageUser, key: ProtocolKey,
                     version: VersionNumber) -> Response:
    row = protocols.get_version(session=session, key=key, version=version)
    tasks = sorted(descriptors_from_json(row.tasks_json).values(), key=lambda task: task.label)
    return render(request, "protocols/version.html", user, version=row, tasks=tasks, bpmn_url=bpmn_url(key, version),
                  authoring=user.role in AUTHORING_ROLES)


@router.get("/protocols/{key}/edit")
def editor(request: Request, session: SessionDep, user: Author, key: ProtocolKey,
           start: Annotated[int | None, Query(alias="from", ge=1, le=MAX_ID)] = None) -> Response:
    summary = protocol_summary(session=session, key=key)
    base = protocols.get_version(session=session, key=key, version=start) if start else summary.latest
    settings = request.app.state.wiring.settings
    scenarios = library_scenarios(settings.network_file.parent / "scenarios", key)
    forms = [{"key": row.key, "title": row.title} for row in all_forms(session=session)]
    return render(request, "protocols/editor.html", user, csp=EDITOR_CSP, protocol=summary, base=base,
                  bpmn_url=bpmn_url(key, base.version), scenarios=scenarios,
                  editor_data={"forms": forms, "key": key})


def _shown_findings(findings: list[Finding], bpmn: bytes) -> list[dict[str, Any]]:
    """Findings with the drawn shape each is about, errors first."""
    owners = shape_ids(bpmn)
    ordered = sorted(findings, key=lambda f: (f.severity is not Severity.ERROR, f.line or 0))
    return [{"finding": f, "shape": owners.get(f.element_id or "")} for f in ordered]


@router.post("/protocols/{key}/drafts", dependencies=[CsrfChecked])
def save_draft(request: Request, session: SessionDep, clock: ClockDep, network: NetworkDep, user: Author,
               key: ProtocolKey, body: Annotated[bytes, Depends(bpmn_body)]) -> Response:
    """Store the editor's diagram as a new version; answers the findings as a fragment of the page."""
    try:
        version, findings = protocols.store_draft(
            session=session, key=key, bpmn=body, network=network, clock=clock, actor=user.actor,
            forms=form_catalogue(session), known_messages=protocols.known_start_messages(session=session, include_drafts=True),
        )
    except ProtocolInvalid as exc:
        session.rollback()
        return render(request, "protocols/_draft_result.html", user, status_code=422, version=None,
                      findings=_shown_findings(exc.details.get("findings", []), body))
    return render(request, "protocols/_draft_result.html", user, version=version, findings=_shown_findings(findings, body))


@router.post("/protocols/{key}/rehearsal", dependencies=[CsrfChecked])
def rehearse(request: Request, session: SessionDep, network: NetworkDep, user: Author, key: ProtocolKey,
             bpmn: Annotated[str, Body(max_length=2 * 1024 * 1024)],
             scenario: Annotated[str, Body(max_length=200_000)]) -> Response:
    """Play a scenario on the editor's diagram (nothing is stored) and show the timeline."""
    context: dict[str, Any] = {"timeline": None, "failure": None, "findings": [], "problem": None}
    status = 200
    try:
        context["timeline"] = rehearse_text(bpmn, network=network, scenario_text=scenario, forms=form_catalogue(session))
    except ScenarioFailed as exc:
        status, context["failure"], context["timeline"] = 422, exc.message, exc.timeline
    except ProtocolInvalid as exc:
        status, context["findings"] = 422, _shown_findings(exc.details.get("findings", []), bpmn.encode("utf-8"))
    except InvalidInput as exc:
        status, context["problem"] = 422, exc.message
    return render(request, "protocols/_rehearsal.html", user, status_code=status, **context)


@router.post("/protocols/{key}/versions/{version}/publish", dependencies=[CsrfChecked])
def publish(session: SessionDep, clock: ClockDep, user: Author, key: ProtocolKey, version: VersionNumber) -> Response:
    protocols.publish(session=session, key=key, version=version, clock=clock, actor=user.actor)
    return RedirectResponse(f"/protocols/{key}?published={version}", status_code=303)


@router.get("/protocols/{key}/diff")
def differences(request: Request, session: SessionDep, network: NetworkDep, user: CurrentPageUser, key: ProtocolKey,
                old: Annotated[int, Query(ge=1, le=MAX_ID)], new: Annotated[int, Query(ge=1, le=MAX_ID)]) -> Response:
    before = protocols.get_version(session=session, key=key, version=old)
    after = protocols.get_version(session=session, key=key, version=new)
    diff = diff_protocols(before.bpmn_text, after.bpmn_text, network=network)
    changed = sorted({change.element_id for category in CHANGED for change in getattr(diff, category)})
    marks = {
        "old": {"removed": [e.id for e in diff.removed], "changed": changed},
        "new": {"added": [e.id for e in diff.added], "changed": changed},
    }
    entries = [(category, item) for category in CATEGORIES for item in getattr(diff, category)]
    _ = gettext_for(request)
    return render(request, "protocols/diff.html", user, protocol=protocol_summary(session=session, key=key),
                  category_labels={category: _(label) for category, label in CATEGORY_LABELS.items()},
                  before=before, after=after, diff=diff, entries=entries, marks=marks,
                  old_url=bpmn_url(key, old), new_url=bpmn_url(key, new))

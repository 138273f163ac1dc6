"""Rendering a page: the Jinja environment of each language, the layout's context, the page CSP."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.pages import formatting
from api.pages.i18n import N_, language_of, translations
from api.pages.names import NetworkNames
from api.pages.security import PageUser, csrf_token, keep_presession
from engine.cases.inbox import inbox_count
from engine.people.roles import (
    ADMIN_ROLE,
    CASE_WORKER_ROLE,
    COMMITTEE_ROLE,
    POLICY_ROLE,
    SUPERVISOR_ROLE,
    WORKING_ROLES,
)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# Pages load only this site's scripts, styles, fonts and images. No inline script or style is
# allowed: scripts are ES modules under /static, data for them travels in JSON data blocks
# (<script type="application/json">, which is never executed). Style *attributes* set through
# the CSSOM, as bpmn-js, diagram-js and the properties panel do, are not governed by style-src.
# img-src allows data: URIs because the properties panel and Swagger UI draw their icons as
# inline SVG images in their stylesheets; an image cannot run code.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

# The editor's one relaxation: bpmn-js-properties-panel builds its two containers from HTML with
# style attributes ("height: 100%" and "flex: none; height: auto"). Only those two exact
# attribute values are allowed, by hash, and only on the editor page; no other inline style.
EDITOR_CSP = PAGE_CSP.replace(
    "style-src 'self';",
    "style-src 'self'; style-src-attr 'unsafe-hashes' 'sha256-nR5hyLltSjfvi2rqC26RbcredWrJvTaPA1yqPX96jpY=' "
    "'sha256-LIWyuNLBDBQuKJLr4mOx2cFEzHX9lM0BrbfcAAzCvSU=';",
)


@functools.cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        date=functools.partial(formatting.format_date, language=language),
        datetime=functools.partial(formatting.format_datetime, language=language),
        deadline=lambda due, now: formatting.relative_deadline(due, now, language),
        deadline_state=formatting.deadline_state,
        number=lambda value: f"{value:,}",
    )
    env.globals["language"] = language
    gettext = translations(language).gettext
    env.globals["case_status"] = lambda code: gettext(CASE_STATUS[code]) if code in CASE_STATUS else (code or "-")
    env.globals["escalation_status"] = lambda code: gettext(ESCALATION_STATUS[code]) if code in ESCALATION_STATUS else code
    env.globals["guardian_relation"] = lambda code: gettext(GUARDIAN_RELATIONS[code]) if code in GUARDIAN_RELATIONS else code
    return env


# A case's status as people read it (the case pages use it too).
CASE_STATUS = {
    "active": N_("in progress"), "completed": N_("completed"), "cancelled": N_("cancelled"),
    "error": N_("stopped by an error"),
}

ESCALATION_STATUS = {"open": N_("open"), "acknowledged": N_("acknowledged"), "resolved": N_("resolved")}

# Who a guardian is to the child (CPA s.4), as the intake forms record it.
GUARDIAN_RELATIONS = {
    "parent": N_("parent"), "step_parent": N_("step-parent"), "adoptive_parent": N_("adoptive parent"),
    "civil_code_guardian": N_("guardian under the Civil and Commercial Code"), "curator": N_("curator"),
    "welfare_guardian": N_("welfare guardian"), "custodian": N_("custodian"),
    "person_child_lives_with": N_("person the child lives with"), "employer": N_("employer"),
    "relative": N_("relative"), "other": N_("other"),
}

AUTHORING_MENU = (("/protocols", N_("Protocols")), ("/forms", N_("Forms")))
ADMIN_MENU = (("/admin/users", N_("Users")), ("/admin/network", N_("Network")), ("/docs", N_("API documentation")))
GENERAL_MENU = (("/home", N_("Overview")), ("/protocols", N_("Protocols")))
INBOX = ("/inbox", N_("Inbox"))
START = ("/cases/new", N_("Start a case"))
CASES = ("/cases", N_("Cases"))
DASHBOARD = ("/dashboard", N_("Dashboard"))
COMMITTEE_REPORT = ("/committee", N_("Monitoring report"))
PROTOCOLS = ("/protocols", N_("Protocols"))
ROLE_MENUS = {
    CASE_WORKER_ROLE: (INBOX, START, CASES, PROTOCOLS),
    SUPERVISOR_ROLE: (DASHBOARD, INBOX, START, CASES, PROTOCOLS),
    COMMITTEE_ROLE: (COMMITTEE_REPORT, DASHBOARD, CASES, PROTOCOLS),
    POLICY_ROLE: AUTHORING_MENU + (COMMITTEE_REPORT,),
    ADMIN_ROLE: AUTHORING_MENU + ADMIN_MENU + (DASHBOARD,),
}


def main_menu(user: PageUser, gettext, path: str = "") -> list[tuple[str, str, bool]]:
    """The header's links for a person's role: (address, label, whether it is the page shown);
    the longest address the page's path is under is the one shown."""
    items = ROLE_MENUS.get(user.role, GENERAL_MENU)
    under = [href for href, _ in items if path == href or path.startswith(href.rstrip("/") + "/")]
    current = max(under, key=len, default=None)
    return [(href, gettext(label), href == current) for href, label in items]


def header_task_count(request: Request, user: PageUser | None) -> int | None:
    """The count beside "My tasks" in the header, for people who work tasks."""
    if user is None or user.role not in WORKING_ROLES:
        return None
    wiring = request.app.state.wiring
    with wiring.session_factory() as session:
        return inbox_count(session=session, actor=user.actor, now=wiring.clock.now()).total


def gettext_for(request: Request):
    return translations(language_of(request)).gettext


def page_context(request: Request, user: PageUser | None, *, task_count: int | None = None) -> dict[str, Any]:
    """The layout's values; ``task_count`` when the page has already counted the person's tasks."""
    language = language_of(request)
    names = NetworkNames(request.app.state.wiring.network, language)
    return {
        "request": request,
        "user": user,
        "names": names,
        "csrf_token": csrf_token(request),
        "now": request.app.state.wiring.clock.now(),
        "path": request.url.path,
        "main_menu": functools.partial(main_menu, gettext=translations(language).gettext, path=request.url.path),
        "task_count": task_count if task_count is not None else header_task_count(request, user),
    }


def render(
    request: Request,
    template: str,
    user: PageUser | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    csp: str = PAGE_CSP,
    **context: Any,
) -> HTMLResponse:
    env = environment(language_of(request))
    layout = page_context(request, user, task_count=context.pop("task_count", None))
    body = env.get_template(template).render(**layout, **context)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["content-security-policy"] = csp
    # Browsers send "Origin: null" with a page's own form posts under no-referrer (the API's
    # policy), and a null origin is refused as cross-site; same-origin keeps the origin for this
    # site's requests and still sends no referrer to any other site.
    response.headers["referrer-policy"] = "same-origin"
    keep_presession(request, response)
    return response

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
from engine.people.roles import ADMIN_ROLE, AUTHORING_ROLES

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
    )
    env.globals["language"] = language
    gettext = translations(language).gettext
    env.globals["case_status"] = lambda code: gettext(CASE_STATUS[code]) if code in CASE_STATUS else (code or "-")
    return env


# A case's status as people read it (the case pages use it too).
CASE_STATUS = {
    "active": N_("in progress"), "completed": N_("completed"), "cancelled": N_("cancelled"),
    "error": N_("stopped by an error"),
}

AUTHORING_MENU = (("/protocols", N_("Protocols")), ("/forms", N_("Forms")))
ADMIN_MENU = (("/admin/users", N_("Users")), ("/admin/network", N_("Network")), ("/docs", N_("API documentation")))
GENERAL_MENU = (("/home", N_("Overview")), ("/protocols", N_("Protocols")))


def main_menu(user: PageUser, gettext) -> list[tuple[str, str]]:
    """The header's links for a person's role (the case-worker pages add theirs here)."""
    if user.role == ADMIN_ROLE:
        items = AUTHORING_MENU + ADMIN_MENU
    elif user.role in AUTHORING_ROLES:
        items = AUTHORING_MENU
    else:
        items = GENERAL_MENU
    return [(href, gettext(label)) for href, label in items]


def gettext_for(request: Request):
    return translations(language_of(request)).gettext


def page_context(request: Request, user: PageUser | None) -> dict[str, Any]:
    language = language_of(request)
    names = NetworkNames(request.app.state.wiring.network, language)
    return {
        "request": request,
        "user": user,
        "names": names,
        "csrf_token": csrf_token(request),
        "now": request.app.state.wiring.clock.now(),
        "path": request.url.path,
        "main_menu": functools.partial(main_menu, gettext=translations(language).gettext),
        # The header's task count; the case-worker pages fill it in.
        "task_count": None,
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
    body = env.get_template(template).render(**page_context(request, user), **context)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["content-security-policy"] = csp
    # Browsers send "Origin: null" with a page's own form posts under no-referrer (the API's
    # policy), and a null origin is refused as cross-site; same-origin keeps the origin for this
    # site's requests and still sends no referrer to any other site.
    response.headers["referrer-policy"] = "same-origin"
    keep_presession(request, response)
    return response

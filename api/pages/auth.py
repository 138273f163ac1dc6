"""Signing in and out, the language switch, and where ``/`` leads."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SESSION_COOKIE, AuthClockDep, SessionDep, client_address
from api.pages.errors import PageRoute
from api.pages.i18n import LANGUAGE_COOKIE, LANGUAGES
from api.pages.rendering import gettext_for, render
from api.pages.security import PRESESSION_COOKIE, CsrfChecked, CurrentPageUser, OptionalPageUser, safe_next
from engine.people import auth
from engine.people.roles import (
    ADMIN_ROLE,
    AUTHORING_ROLES,
    CASE_WORKER_ROLE,
    COMMITTEE_ROLE,
    POLICY_ROLE,
    SUPERVISOR_ROLE,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Each role's first page; a role without one starts on the overview.
ROLE_HOME = {
    CASE_WORKER_ROLE: "/inbox", SUPERVISOR_ROLE: "/dashboard", COMMITTEE_ROLE: "/committee",
    POLICY_ROLE: "/protocols", ADMIN_ROLE: "/admin/users",
}
OVERVIEW = "/home"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 60 * 60


def home_path(role: str) -> str:
    return ROLE_HOME.get(role, OVERVIEW)


@router.get("/")
def root(user: OptionalPageUser) -> Response:
    return RedirectResponse(home_path(user.role) if user else "/signin", status_code=303)


@router.get("/home")
def overview(request: Request, user: CurrentPageUser) -> Response:
    return render(request, "home.html", user, authoring=user.role in AUTHORING_ROLES)


@router.get("/signin")
def sign_in_page(request: Request, user: OptionalPageUser, next: str | None = None, expired: bool = False) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next, home_path(user.role)), status_code=303)
    return render(request, "auth/signin.html", None, next=safe_next(next, ""), expired=expired, error=None, username="")


@router.post("/signin", dependencies=[CsrfChecked])
def sign_in(
    request: Request,
    session: SessionDep,
    clock: AuthClockDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _ = gettext_for(request)
    address = client_address(request)
    try:
        user = auth.authenticate(session, username=username, password=password, client_address=address, clock=clock)
    except auth.TooManyAttempts as exc:
        minutes = max(1, -(-int(exc.details.get("retry_after", 60)) // 60))
        error = _("Too many failed sign-ins. Try again in %(minutes)s minutes.") % {"minutes": minutes}
        return render(request, "auth/signin.html", None, status_code=429, next=safe_next(next, ""), expired=False,
                      error=error, username=username, headers={"Retry-After": str(exc.details.get("retry_after", 60))})
    except auth.Unauthenticated:
        error = _("The user name or password is wrong, or the account is disabled.")
        return render(request, "auth/signin.html", None, status_code=401, next=safe_next(next, ""), expired=False,
                      error=error, username=username)
    _row, secret = auth.start_session(
        session, user=user, client_address=address, user_agent=request.headers.get("user-agent"), clock=clock
    )
    response = RedirectResponse(safe_next(next, home_path(user.role_code)), status_code=303)
    # The API's session cookie, made the same way (routes/auth.py): one session for both.
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(auth.SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.post("/signout", dependencies=[CsrfChecked])
def sign_out(request: Request, session: SessionDep, clock: AuthClockDep, user: CurrentPageUser) -> Response:
    auth.end_session(session, session_id=user.credential.credential_id, actor=user.actor, clock=clock)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/language", dependencies=[CsrfChecked])
def switch_language(
    request: Request,
    language: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS, path="/", samesite="lax",
                            secure=request.url.scheme == "https")
    return response

"""Administrators' pages: accounts (add, disable, enable, unlock, role and agency) and the network."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import AuthClockDep, ClockDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.rendering import gettext_for, render
from api.pages.security import CsrfChecked, PageUser, page_role
from engine.errors import Conflict, InvalidInput
from engine.people import accounts
from engine.people.auth import unlock
from engine.people.directory import accounts as account_list
from engine.people.directory import change_role, enable_user, find_user
from engine.people.roles import ADMIN_ROLE

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Admin = Annotated[PageUser, Depends(page_role(frozenset({ADMIN_ROLE}), "administer accounts"))]
Username = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$")]
NO_AGENCY = ""
NO_UNIT = ""


def _agency(value: str) -> str | None:
    return value or None


def _unit(value: str) -> str | None:
    return value or None


def _users_page(request: Request, session: SessionDep, clock, user: PageUser, *, form: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, notice: str | None = None, status_code: int = 200) -> Response:
    return render(request, "admin/users.html", user, status_code=status_code,
                  accounts=account_list(session=session, now=clock.now()),
                  roles=list(request.app.state.wiring.network.roles.values()), form=form or {}, errors=errors or {},
                  notice=notice)


@router.get("/admin/users")
def users(request: Request, session: SessionDep, clock: AuthClockDep, user: Admin,
          done: str | None = None, who: str | None = None) -> Response:
    _ = gettext_for(request)
    notices = {
        "added": _("Account %(who)s was added."), "disabled": _("Account %(who)s was disabled; its sessions ended."),
        "enabled": _("Account %(who)s can sign in again."), "unlocked": _("Account %(who)s was unlocked."),
        "role": _("The role of %(who)s was changed."),
    }
    notice = notices[done] % {"who": who or ""} if done in notices else None
    return _users_page(request, session, clock, user, notice=notice)


def _field_errors(exc: InvalidInput | Conflict, gettext) -> dict[str, str]:
    """The engine's reason, worded for the field it names."""
    _ = gettext
    field = str(exc.details.get("field") or "username")
    words = {
        "username": _("A user name is 2–64 lower-case letters, digits, '.', '_' or '-', starting with a letter, and not yet taken."),
        "password": _("A password needs at least 10 characters."),
        "agency": _("Case workers and supervisors need an active agency; province-wide roles take none."),
        "role": _("Choose a role of the network."),
        "unit": _("A unit is one of the schools (units) of the person's own agency; leave it empty for the agency's own staff."),
    }
    return {field: words.get(field, exc.message)}


@router.post("/admin/users", dependencies=[CsrfChecked])
def add_user(
    request: Request, session: SessionDep, clock: AuthClockDep, user: Admin,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=255)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    agency: Annotated[str, Form(max_length=32)] = NO_AGENCY,
    unit: Annotated[str, Form(max_length=64)] = NO_UNIT,
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        added = accounts.add_user(session, username=username, role=role, agency=_agency(agency), password=password,
                                  display_name=display_name or None, email=email or None, actor=user.actor, clock=clock,
                                  unit=_unit(unit), network=request.app.state.wiring.network)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        kept = {"username": username, "display_name": display_name, "email": email, "role": role, "agency": agency,
                "unit": unit}
        return _users_page(request, session, clock, user, form=kept, errors=_field_errors(exc, gettext_for(request)),
                           status_code=422)
    return RedirectResponse(f"/admin/users?done=added&who={added.username}", status_code=303)


@router.post("/admin/users/{username}/disable", dependencies=[CsrfChecked])
def disable(session: SessionDep, clock: AuthClockDep, user: Admin, username: Username) -> Response:
    target = accounts.disable_user(session, username=username, actor=user.actor, clock=clock)
    return RedirectResponse(f"/admin/users?done=disabled&who={target.username}", status_code=303)


@router.post("/admin/users/{username}/enable", dependencies=[CsrfChecked])
def enable(session: SessionDep, clock: AuthClockDep, user: Admin, username: Username) -> Response:
    target = enable_user(session=session, username=username, actor=user.actor, clock=clock)
    return RedirectResponse(f"/admin/users?done=enabled&who={target.username}", status_code=303)


@router.post("/admin/users/{username}/unlock", dependencies=[CsrfChecked])
def unlock_account(session: SessionDep, clock: AuthClockDep, user: Admin, username: Username) -> Response:
    target = find_user(session=session, username=username)
    unlock(session, username=target.username, actor=user.actor, clock=clock)
    return RedirectResponse(f"/admin/users?done=unlocked&who={target.username}", status_code=303)


@router.post("/admin/users/{username}/role", dependencies=[CsrfChecked])
def set_role(request: Request, session: SessionDep, clock: ClockDep, auth_clock: AuthClockDep, user: Admin,
             username: Username, role: Annotated[str, Form(max_length=32)] = "",
             agency: Annotated[str, Form(max_length=32)] = NO_AGENCY,
             unit: Annotated[str, Form(max_length=64)] = NO_UNIT) -> Response:
    try:
        target = change_role(session=session, username=username, role=role, agency=_agency(agency), actor=user.actor,
                             clock=clock, unit=_unit(unit), network=request.app.state.wiring.network)
    except InvalidInput as exc:
        session.rollback()
        _ = gettext_for(request)
        message = _("The role of %(who)s was not changed: %(reason)s") % {
            "who": username, "reason": next(iter(_field_errors(exc, _).values()))}
        return _users_page(request, session, auth_clock, user, errors={"role-change": message}, status_code=422)
    return RedirectResponse(f"/admin/users?done=role&who={target.username}", status_code=303)


@router.get("/admin/network")
def network(request: Request, user: Admin) -> Response:
    return render(request, "admin/network.html", user, network=request.app.state.wiring.network)

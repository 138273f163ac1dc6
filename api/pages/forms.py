"""Policy staff's pages for forms: the list, a JSON editor with checks, and a preview."""
from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import ClockDep, SessionDep
from api.pages.errors import PageRoute
from api.pages.formfields import (
    SubmittedForm,
    form_description,
    form_fields,
    form_title,
    read_submission,
    unplaced_errors,
)
from api.pages.i18n import language_of
from api.pages.rendering import gettext_for, render
from api.pages.security import CsrfChecked, CurrentPageUser, PageUser, page_role
from engine.errors import InvalidInput
from engine.forms.authoring import store_form
from engine.forms.library import all_forms, schema_of, stored_form
from engine.forms.service import check_schema
from engine.people.roles import AUTHORING_ROLES

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Author = Annotated[PageUser, Depends(page_role(AUTHORING_ROLES, "author forms"))]
FormKey = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,200}$")]
MAX_SCHEMA_CHARS = 512 * 1024


@router.get("/forms")
def form_list(request: Request, session: SessionDep, user: CurrentPageUser) -> Response:
    return render(request, "forms/list.html", user, forms=all_forms(session=session), authoring=user.role in AUTHORING_ROLES)


def _preview(request: Request, user: PageUser, schema: dict[str, Any], key: str, *, raw=None, errors=None,
             extra_rows=None, checked: bool = False, status_code: int = 200) -> Response:
    language = language_of(request)
    fields = form_fields(schema, language=language, raw=raw, errors=errors, extra_rows=extra_rows)
    return render(request, "forms/preview.html", user, status_code=status_code, key=key, fields=fields,
                  title=form_title(schema, language), description=form_description(schema, language),
                  other_errors=unplaced_errors(fields, errors or {}), valid=checked and not errors)


@router.get("/forms/{key}")
def preview(request: Request, session: SessionDep, user: CurrentPageUser, key: FormKey) -> Response:
    row = stored_form(session=session, key=key)
    return _preview(request, user, schema_of(row), row.key)


@router.post("/forms/{key}", dependencies=[CsrfChecked])
def check_preview(request: Request, session: SessionDep, user: CurrentPageUser, key: FormKey,
                  form: SubmittedForm) -> Response:
    """Check what was typed into the preview as a completion would be checked (nothing is stored)."""
    row = stored_form(session=session, key=key)
    schema = schema_of(row)
    submitted = read_submission(schema, form)
    if submitted.more_rows_for:
        return _preview(request, user, schema, row.key, raw=submitted.raw, extra_rows=submitted.extra_rows())
    errors = submitted.errors(gettext_for(request))
    return _preview(request, user, schema, row.key, raw=submitted.raw, errors=errors, checked=True,
                    status_code=422 if errors else 200)


def _editor(request: Request, user: PageUser, key: str, text: str, *, problem: str | None = None,
            saved: bool = False, status_code: int = 200) -> Response:
    return render(request, "forms/edit.html", user, status_code=status_code, key=key, text=text, problem=problem,
                  saved=saved)


@router.get("/forms/{key}/edit")
def edit(request: Request, session: SessionDep, user: Author, key: FormKey, saved: bool = False) -> Response:
    row = stored_form(session=session, key=key)
    return _editor(request, user, row.key, json.dumps(schema_of(row), ensure_ascii=False, indent=2), saved=saved)


def parse_schema_text(text: str, key: str, gettext) -> dict[str, Any]:
    """The schema in the editor's text, or InvalidInput saying where it goes wrong."""
    if len(text) > MAX_SCHEMA_CHARS:
        raise InvalidInput(gettext("A form may have at most %(limit)s characters.") % {"limit": f"{MAX_SCHEMA_CHARS:,}"})
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(gettext("This is not valid JSON: line %(line)s, column %(column)s: %(reason)s")
                           % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg}) from exc
    check_schema(key, schema)
    return schema


@router.post("/forms/{key}/edit", dependencies=[CsrfChecked])
def save(request: Request, session: SessionDep, clock: ClockDep, user: Author, key: FormKey,
         schema_text: Annotated[str, Form(max_length=MAX_SCHEMA_CHARS + 1)],
         action: Annotated[str, Form(max_length=16)] = "save") -> Response:
    _ = gettext_for(request)
    row = stored_form(session=session, key=key)
    try:
        schema = parse_schema_text(schema_text, row.key, _)
    except InvalidInput as exc:
        return _editor(request, user, row.key, schema_text, problem=exc.message, status_code=422)
    if action == "check":
        return _editor(request, user, row.key, schema_text)
    try:
        store_form(session=session, key=row.key, schema=schema, actor=user.actor, clock=clock)
    except InvalidInput as exc:
        session.rollback()
        return _editor(request, user, row.key, schema_text, problem=exc.message, status_code=422)
    return RedirectResponse(f"/forms/{row.key}/edit?saved=1", status_code=303)

"""Form schemas (JSON Schema) by key."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, Field

from api.deps import ClockDep, CurrentUser, SessionDep, require_role
from api.problems import errors
from api.schemas import JsonObject
from engine.forms.authoring import store_form
from engine.forms.models import Form
from engine.forms.queries import stored_form, stored_forms
from engine.people.actors import Actor
from engine.people.roles import AUTHORING_ROLES

router = APIRouter(tags=["forms"])
Author = Annotated[Actor, Depends(require_role(AUTHORING_ROLES, "author forms"))]
FormKey = Annotated[str, Path(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,200}$", description="The form's key (suffix optional).")]


class FormSummary(BaseModel):
    key: str
    title: str
    updated_at: datetime
    content_hash: str


class FormOut(FormSummary):
    json_schema: dict[str, Any] = Field(alias="schema", serialization_alias="schema")

    model_config = {"populate_by_name": True}


def _out(row: Form) -> FormOut:
    return FormOut(key=row.key, title=row.title, updated_at=row.updated_at, content_hash=row.content_hash,
                   json_schema=json.loads(row.schema_json))


@router.get("/forms", summary="Every form")
def list_forms(session: SessionDep, _actor: CurrentUser) -> list[FormSummary]:
    return [
        FormSummary(key=row.key, title=row.title, updated_at=row.updated_at, content_hash=row.content_hash)
        for row in stored_forms(session=session)
    ]


@router.get("/forms/{key}", summary="One form's JSON Schema", responses=errors(404), response_model_by_alias=True)
def get_form(session: SessionDep, _actor: CurrentUser, key: FormKey) -> FormOut:
    return _out(stored_form(session=session, key=key))


@router.put("/forms/{key}", summary="Store or replace a form (JSON Schema of type object)", responses=errors(422),
            response_model_by_alias=True)
def put_form(
    session: SessionDep, clock: ClockDep, actor: Author, key: FormKey,
    schema: Annotated[JsonObject, Body(description="A JSON Schema (draft 2020-12) of type 'object'.")],
) -> FormOut:
    return _out(store_form(session=session, key=key, schema=schema, actor=actor, clock=clock))

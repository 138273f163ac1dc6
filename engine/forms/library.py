"""The stored forms as policy staff browse them."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.forms.catalogue import form_name
from engine.forms.models import Form


def all_forms(*, session: Session) -> list[Form]:
    return list(session.scalars(select(Form).order_by(Form.key)))


def stored_form(*, session: Session, key: str) -> Form:
    row = session.get(Form, form_name(key))
    if row is None:
        raise NotFound(f"there is no form {key!r}", field="key")
    return row


def schema_of(row: Form) -> dict[str, Any]:
    return json.loads(row.schema_json)

"""Reading the stored forms, for the form library (``GET /forms``)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.forms.catalogue import form_name
from engine.forms.models import Form


def stored_forms(*, session: Session) -> list[Form]:
    return list(session.scalars(select(Form).order_by(Form.key)))


def stored_form(*, session: Session, key: str) -> Form:
    """The form a key names (suffix optional), or NotFound."""
    row = session.get(Form, form_name(key))
    if row is None:
        raise NotFound(f"there is no form {key!r}", field="key")
    return row

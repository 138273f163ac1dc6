"""Storing a form through the API: the schema checked, the change audited, one transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.clock import Clock
from engine.forms.models import Form
from engine.forms.service import put_form
from engine.people.actors import Actor


def store_form(*, session: Session, key: str, schema: dict[str, Any], actor: Actor, clock: Clock) -> Form:
    # put_form refuses what could not be checked on every completion: references to other
    # documents (never fetched from the network), recursion, catastrophic patterns.
    row = put_form(session, key=key, schema=schema, clock=clock)
    session.flush()
    audit.record(session, action="form.stored", actor=actor, at=clock.now(), form=row.key, content_hash=row.content_hash)
    session.commit()
    return row

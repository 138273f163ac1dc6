"""Storing a form through the API: the schema checked, the change audited, one transaction."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.clock import Clock
from engine.errors import InvalidInput
from engine.forms.models import Form
from engine.forms.service import put_form
from engine.people.actors import Actor


def _external_refs(node: Any, depth: int = 0) -> str | None:
    """The first ``$ref`` that points outside the schema itself, if any."""
    if depth > 64:
        return None
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return ref
        for value in node.values():
            found = _external_refs(value, depth + 1)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _external_refs(value, depth + 1)
            if found:
                return found
    return None


def store_form(*, session: Session, key: str, schema: dict[str, Any], actor: Actor, clock: Clock) -> Form:
    # A form is validated against on every task completion; a reference to another document
    # could not be resolved then (and must never be fetched from the network), so refuse it now.
    external = _external_refs(schema)
    if external is not None:
        raise InvalidInput(f"form schemas must be self-contained; $ref {external!r} points elsewhere", field="schema")
    row = put_form(session, key=key, schema=schema, clock=clock)
    session.flush()
    audit.record(session, action="form.stored", actor=actor, at=clock.now(), form=row.key, content_hash=row.content_hash)
    session.commit()
    return row

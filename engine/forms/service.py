"""Forms by key: loaded from ``forms/`` into the database, read back for validation."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import InvalidInput
from engine.forms.catalogue import FormCatalogue, form_name, load_forms
from engine.forms.models import Form
from engine.forms.safety import check_form_safety


def check_schema(key: str, schema: Any) -> None:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise InvalidInput(f"form {key!r} must be a JSON Schema of type 'object'", field="schema")
    try:
        _check_canonical(json.dumps(schema, ensure_ascii=False, sort_keys=True))
    except SchemaError as exc:
        raise InvalidInput(f"form {key!r} is not a valid JSON Schema: {exc.message}", field="schema") from exc


@lru_cache(maxsize=1024)
def _check_canonical(canonical: str) -> None:
    """Checking against the 2020-12 meta-schema is slow (tens of milliseconds a form) and depends
    only on the text, so a text that passed once passes again; a failure is never remembered."""
    schema = json.loads(canonical)
    Draft202012Validator.check_schema(schema)
    check_form_safety(schema)


def put_form(session: Session, *, key: str, schema: dict[str, Any], clock: Clock) -> Form:
    """Store or replace a form (the caller commits)."""
    name = form_name(key)
    check_schema(name, schema)
    # Stored in the author's order (a form shows its fields in that order); the hash is of the
    # canonical, key-sorted text, so reordering alone is not a new content.
    canonical = json.dumps(schema, ensure_ascii=False, sort_keys=True)
    row = session.get(Form, name) or Form(key=name)
    row.title = str(schema.get("title") or name)
    row.schema_json = json.dumps(schema, ensure_ascii=False)
    row.content_hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    row.updated_at = clock.now()
    session.add(row)
    return row


def load_forms_folder(session: Session, *, folder: Path, clock: Clock) -> int:
    """Store every schema of a forms folder; returns how many."""
    catalogue = load_forms(folder)
    for name in catalogue:
        put_form(session, key=name, schema=catalogue.schemas[name], clock=clock)
    return len(catalogue)


def form_schema(session: Session, key: str | None) -> dict[str, Any] | None:
    if not key:
        return None
    text = session.scalar(select(Form.schema_json).where(Form.key == form_name(key)))
    return json.loads(text) if text is not None else None


def form_catalogue(session: Session) -> FormCatalogue:
    """Every stored form, for linting a protocol against what users will be shown."""
    return FormCatalogue.of({row.key: json.loads(row.schema_json) for row in session.scalars(select(Form))})

"""Why submitted form data is refused, field by field, as codes a person's language can word.

``validation.field_errors`` answers jsonschema's English messages (what the API returns); a page
shows each error in Thai beside its input, so it needs what was wrong (the keyword) and the
limit involved, not a sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from engine.forms.validation import FORMATS

_MISSING = re.compile(r"'([^']+)' is a required property")


@dataclass(frozen=True)
class FieldProblem:
    field: str  # dotted path of the value: "risk_level", "guardians.0.name"; "" for the form itself
    code: str  # the JSON Schema keyword that failed: required, type, enum, maxLength, format, …
    limit: Any  # the keyword's value: the length, the bound, the format's name, the expected type
    message_en: str  # jsonschema's own wording


def _path(error: Any) -> str:
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = _MISSING.search(error.message)
        if missing:
            path.append(missing.group(1))
    return ".".join(path)


def field_problems(schema: dict[str, Any], data: dict[str, Any]) -> list[FieldProblem]:
    """Every problem of ``data`` under ``schema``, ordered by field (formats as the engine checks them)."""
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    problems = [
        FieldProblem(_path(error), str(error.validator), error.validator_value, error.message)
        for error in validator.iter_errors(data)
    ]
    return sorted(problems, key=lambda p: (p.field, p.code))

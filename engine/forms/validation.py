"""Checking submitted form data against its JSON Schema, with the formats Thai forms need.

Errors are returned per field, so a caller can show each next to its input (and the API can
answer 422 naming every field at fault). Submitted data becomes workflow variables, one per
field, so a field the form does not declare is refused like any other fault: it could otherwise
set a variable a gateway reads. Patterns are matched by RE2, in time linear in the input.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from engine.errors import InvalidInput
from engine.forms.catalogue import FormCatalogueInvalid, schema_fields
from engine.forms.safety import compiled_pattern
from engine.workflow.timers import InvalidTimerText, validate_timer_text

_NATIONAL_ID = re.compile(r"^\d{13}$")
# MOE student code for learners without a Thai ID: 'G' and twelve digits [U: checked against
# published examples, not a specification].
_G_CODE = re.compile(r"^G\d{12}$")


def is_thai_national_id(value: object) -> bool:
    """13 digits whose last is the checksum of the first twelve (weights 13 down to 2)."""
    if not isinstance(value, str) or not _NATIONAL_ID.match(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:12], range(13, 1, -1), strict=True))
    return (11 - total % 11) % 10 == int(value[12])


def is_moe_g_code(value: object) -> bool:
    return isinstance(value, str) and bool(_G_CODE.match(value))


FORMATS = FormatChecker()


@FORMATS.checks("thai-national-id")
def _national_id(value: object) -> bool:
    return not isinstance(value, str) or is_thai_national_id(value)


@FORMATS.checks("moe-g-code")
def _g_code(value: object) -> bool:
    return not isinstance(value, str) or is_moe_g_code(value)


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("expected YYYY-MM-DD")
        date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a date-time needs a time zone offset")
    return True


@FORMATS.checks("duration", raises=ValueError)
def _duration(value: object) -> bool:
    if isinstance(value, str):
        if not value.startswith("P"):
            raise ValueError("expected an ISO 8601 duration such as P3D")
        try:
            validate_timer_text("duration", value)
        except InvalidTimerText as exc:
            raise ValueError(str(exc)) from exc
    return True


def _field_of(error: Any) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        if missing:
            path.append(missing.group(1))
    return ".".join(str(part) for part in path) or "data"


def _linear_pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Any:
    """The ``pattern`` keyword, matched by RE2 instead of Python's backtracking ``re``."""
    if not validator.is_type(instance, "string"):
        return
    try:
        compiled = compiled_pattern(pattern)
    except re2.error:
        # Only a form stored before patterns were checked (engine.forms.safety) gets here.
        yield ValidationError(f"the form's pattern {pattern!r} cannot be checked; the form must be stored again")
        return
    if compiled.search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


FormValidator = validators.extend(Draft202012Validator, {"pattern": _linear_pattern})


def field_errors(schema: dict[str, Any], data: dict[str, Any]) -> list[dict[str, str]]:
    validator = FormValidator(schema, format_checker=FORMATS)
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: (_field_of(e), e.message))
    except RecursionError as exc:
        # Only a schema stored before references were checked can get here (engine.forms.safety).
        raise FormCatalogueInvalid("the form refers to itself and cannot be checked; store it again", field="form") from exc
    found = [{"field": _field_of(error), "message": error.message} for error in errors]
    declared = schema_fields(schema)
    found += [
        {"field": name, "message": f"{name!r} is not a field of this form"}
        for name in sorted(set(data) - declared, key=str)
    ]
    return sorted(found, key=lambda e: (e["field"], e["message"]))


def validate_form_data(schema: dict[str, Any], data: dict[str, Any], *, form_key: str) -> None:
    """Raise InvalidInput listing every field at fault, and every field the form does not have."""
    errors = field_errors(schema, data)
    if errors:
        first = errors[0]
        raise InvalidInput(
            f"form {form_key!r}: {first['field']}: {first['message']}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            field=first["field"],
            errors=errors,
        )


# A case starts without a form: its start data carries only what the engine itself reads. The
# child and the report come in through the intake task's form, checked like any other.
START_FIELDS = frozenset({"reporting_unit"})


def validate_start_data(data: dict[str, Any]) -> None:
    """Refuse case-start data with fields a case does not start with, naming each (``data.x``)."""
    extra = sorted(set(data) - START_FIELDS, key=str)
    if extra:
        errors = [{"field": f"data.{name}", "message": f"a case does not start with {name!r}; "
                   "the intake task's form asks for it"} for name in extra]
        raise InvalidInput(f"{errors[0]['field']}: {errors[0]['message']}", field=errors[0]["field"], errors=errors)

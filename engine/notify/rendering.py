"""Message text from templates, with a context that can hold nothing but what a message may say.

E-mail leaves the system: it sits in mailboxes, is forwarded and printed, outside the PDPA
controls of the application. So a notification tells a person only *that* there is work and
where (case reference, task label, due times, escalation level) and never anything about the
child. The rule is enforced here rather than in the templates: every kind declares its allowed
keys and value types, a context with any other key or any other kind of value (an ORM object,
a dict of form data) is refused before a template runs, and the templates see only plain
values. Refusing, rather than silently dropping, makes a caller that passes a child's name fail
in its own tests instead of leaking on the day someone edits a template.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.clock import THAI_TIME, as_utc

TEMPLATES = Path(__file__).parent / "templates"

# The column is String(998), the RFC 5322 line limit; stay well inside it once encoded.
SUBJECT_MAX_CHARS = 400

THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
BUDDHIST_ERA_OFFSET = 543

ESCALATION_REASONS = ("overdue", "thrown")


class ContextNotAllowed(ValueError):
    """A render context held a key or a value a message may not carry.

    The message names keys and types only: the refused value may be exactly the personal data
    that must not spread, into logs included.
    """


class UnknownKind(ValueError):
    pass


@dataclass(frozen=True)
class _Field:
    types: tuple[type, ...]
    required: bool = True
    choices: tuple[str, ...] | None = None


_TEXT = (str,)
_MOMENT = (datetime,)
_NUMBER = (int,)

# Who the message is for: a member of staff, filled in by the outbox from the recipient.
_RECIPIENT = {"recipient_name": _Field(_TEXT, required=False)}

_WORK_ITEM = {
    **_RECIPIENT,
    "case_reference": _Field(_TEXT),
    "task_label": _Field(_TEXT),
    "due_at": _Field(_MOMENT, required=False),
}

# No escalation code: codes are authored per protocol and may name what happened to the child
# ("suspected_abuse"). The reason says only whether it is lateness or a raised concern.
_ESCALATION = {
    **_RECIPIENT,
    "case_reference": _Field(_TEXT),
    "task_label": _Field(_TEXT, required=False),
    "level": _Field(_NUMBER),
    "reason": _Field(_TEXT, choices=ESCALATION_REASONS),
    "agency_name_th": _Field(_TEXT, required=False),
    "agency_name_en": _Field(_TEXT, required=False),
    "due_at": _Field(_MOMENT, required=False),
    "climb_at": _Field(_MOMENT, required=False),
}

_DIGEST_ITEM = {
    "case_reference": _Field(_TEXT),
    "task_label": _Field(_TEXT),
    "due_at": _Field(_MOMENT),
}

_DIGEST = {
    **_RECIPIENT,
    "as_of": _Field(_MOMENT),
    "items": _Field((list, tuple)),
    # How many were overdue in all, when the list was cut short.
    "total_count": _Field(_NUMBER),
}

CONTEXT_FIELDS: dict[str, dict[str, _Field]] = {
    "work_item.new": _WORK_ITEM,
    "work_item.assigned": _WORK_ITEM,
    "escalation.raised": _ESCALATION,
    "escalation.climbed": _ESCALATION,
    "digest": _DIGEST,
}

KINDS = tuple(CONTEXT_FIELDS)


def _clean(where: str, value: Any, field: _Field) -> Any:
    # bool is an int to isinstance; a True level is a bug, not a level.
    if not isinstance(value, field.types) or isinstance(value, bool):
        raise ContextNotAllowed(f"{where}: a {type(value).__name__} is not allowed here")
    if isinstance(value, datetime):
        try:
            return as_utc(value)
        except ValueError:
            raise ContextNotAllowed(f"{where}: a naive datetime has no time zone") from None
    if isinstance(value, str):
        if field.choices is not None and value not in field.choices:
            raise ContextNotAllowed(f"{where}: not one of {', '.join(field.choices)}")
        return str(value)
    if isinstance(value, int):
        return int(value)
    return value


def _clean_mapping(where: str, context: Mapping[str, Any], fields: Mapping[str, _Field]) -> dict[str, Any]:
    if not isinstance(context, Mapping):
        raise ContextNotAllowed(f"{where}: a {type(context).__name__} is not a mapping")
    unknown = sorted(str(key) for key in context if key not in fields)
    if unknown:
        raise ContextNotAllowed(f"{where}: keys not allowed in a message: {', '.join(unknown)}")
    cleaned: dict[str, Any] = {}
    for key, field in fields.items():
        value = context.get(key)
        if value is None:
            if field.required:
                raise ContextNotAllowed(f"{where}: {key} is required")
            cleaned[key] = None
            continue
        cleaned[key] = _clean(f"{where}.{key}", value, field)
    return cleaned


def safe_context(kind: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as templates will see it: only declared keys, plain values, optional ones None."""
    fields = CONTEXT_FIELDS.get(kind)
    if fields is None:
        raise UnknownKind(f"no message templates for kind {kind!r}")
    cleaned = _clean_mapping(kind, context, fields)
    if kind == "digest":
        cleaned["items"] = [
            _clean_mapping(f"digest.items[{index}]", item, _DIGEST_ITEM)
            for index, item in enumerate(cleaned["items"])
        ]
    return cleaned


def one_line(text: str) -> str:
    # str.split() breaks on every Unicode line boundary (CR, LF, VT, FF, NEL, U+2028/9), not only
    # CRLF, so no character that a mail client might treat as a new header line survives.
    return " ".join(text.split())


def _one_line_values(value: Any) -> Any:
    # Values are single-line facts; a label carrying line breaks could forge lines of the body.
    return one_line(value) if isinstance(value, str) else value


def thai_datetime(moment: datetime) -> str:
    local = as_utc(moment).astimezone(THAI_TIME)
    return (
        f"{local.day} {THAI_MONTHS[local.month - 1]} {local.year + BUDDHIST_ERA_OFFSET} "
        f"{local:%H:%M} น."
    )


def thai_date(moment: datetime) -> str:
    local = as_utc(moment).astimezone(THAI_TIME)
    return f"{local.day} {THAI_MONTHS[local.month - 1]} {local.year + BUDDHIST_ERA_OFFSET}"


def iso_datetime(moment: datetime) -> str:
    return as_utc(moment).astimezone(THAI_TIME).isoformat(timespec="minutes")


def _lateness(due_at: datetime, as_of: datetime) -> tuple[int, int, int]:
    late = max(as_utc(as_of) - as_utc(due_at), timedelta(0))
    minutes = int(late.total_seconds()) // 60
    return minutes // (24 * 60), (minutes // 60) % 24, minutes % 60


def late_th(due_at: datetime, as_of: datetime) -> str:
    days, hours, minutes = _lateness(due_at, as_of)
    if days:
        return f"{days} วัน {hours} ชั่วโมง" if hours else f"{days} วัน"
    if hours:
        return f"{hours} ชั่วโมง {minutes} นาที" if minutes else f"{hours} ชั่วโมง"
    return f"{minutes} นาที"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def late_en(due_at: datetime, as_of: datetime) -> str:
    days, hours, minutes = _lateness(due_at, as_of)
    if days:
        return f"{_plural(days, 'day')} {_plural(hours, 'hour')}" if hours else _plural(days, "day")
    if hours:
        return f"{_plural(hours, 'hour')} {_plural(minutes, 'minute')}" if minutes else _plural(hours, "hour")
    return _plural(minutes, "minute")


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        # Plain text: HTML escaping would put &amp; into a Thai label.
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_one_line_values,
    )
    environment.filters.update(
        thai_datetime=thai_datetime, thai_date=thai_date, iso=iso_datetime, late_th=late_th, late_en=late_en,
    )
    return environment


_ENVIRONMENT = _environment()


def render(kind: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) for one message; raises ContextNotAllowed for anything a message may not say."""
    values = safe_context(kind, context)
    subject = one_line(_ENVIRONMENT.get_template(f"{kind}.subject.txt.j2").render(values))
    if len(subject) > SUBJECT_MAX_CHARS:
        subject = subject[: SUBJECT_MAX_CHARS - 1] + "…"
    body = _ENVIRONMENT.get_template(f"{kind}.body.txt.j2").render(values)
    return subject, body

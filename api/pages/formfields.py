"""Forms drawn from their JSON Schema, read back from the browser, and checked with Thai errors.

The flow of a page that shows a form (a task, an intake, a preview)::

    submitted = read_submission(schema, form)  # form: SubmittedForm
    if submitted.more_rows_for is None and not submitted.errors(gettext):
        ...  # submitted.data is the typed data, valid against the schema
    fields = form_fields(schema, language=..., raw=submitted.raw, errors=submitted.errors(gettext),
                         extra_rows=submitted.extra_rows())

and the template calls ``forms.render_fields(fields)`` (``templates/macros/forms.html``). What a
person typed is always shown again as typed, even when it could not be read (letters in a number).

Widgets: text (textarea beyond 200 characters), whole numbers and numbers, dates (``format:
date``) and date-times (``format: date-time``, entered in Tak time), an enum as radio buttons
(up to four options) or a select, a boolean as yes/no radio buttons (so "not answered" stays
distinct from "no"), an array of enums as checkboxes, and an array of objects as rows of the
same fields with an "add a row" button that works without JavaScript. Anything else is edited
as JSON text. Titles and descriptions come from ``title``/``description`` (Thai) or
``x-title-en``/``x-description-en``; enum labels from ``x-enum-titles``, whose "ไทย / English"
pairs are split by language.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from api.pages.formatting import DISPLAY_ZONE
from api.pages.i18n import N_
from engine.forms.explain import FieldProblem, field_problems

RADIO_LIMIT = 4
CHOICES = frozenset({"radio", "select", "yesno", "checkboxes"})
TEXTAREA_FROM = 200
ROWS_SUFFIX = "__rows"
ADD_ROW = "_add_row"
# One row's worth of input names is bounded; a form with more is a mistake or an attack.
MAX_ROWS = 50

Gettext = Callable[[str], str]


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Field:
    name: str
    widget: str
    label: str
    description: str | None
    required: bool
    value: Any = ""
    options: list[Option] = field(default_factory=list)
    error: str | None = None
    maxlength: int | None = None
    minimum: Any = None
    maximum: Any = None
    inputmode: str | None = None
    rows: list[list[Field]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def row_count_name(self) -> str:
        return f"{self.name}.{ROWS_SUFFIX}"

    def has_error(self) -> bool:
        return bool(self.error) or any(f.has_error() for row in self.rows for f in row)


def _localised(node: Mapping[str, Any], key: str, language: str) -> str | None:
    if language != "th" and node.get(f"x-{key}-en"):
        return str(node[f"x-{key}-en"])
    value = node.get(key)
    return str(value) if value is not None else None


def _option_label(title: str, language: str) -> str:
    thai, separator, english = title.partition(" / ")
    if not separator:
        return title
    return thai.strip() if language == "th" else english.strip()


def _options(node: Mapping[str, Any], values: list[Any], language: str) -> list[Option]:
    titles = node.get("x-enum-titles") if isinstance(node.get("x-enum-titles"), Mapping) else {}
    return [Option(str(value), _option_label(str(titles.get(str(value), value)), language)) for value in values]


def _type(node: Mapping[str, Any]) -> str | None:
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if len(kinds) == 1 else None
    return kind


def _widget(node: Mapping[str, Any]) -> str:
    kind = _type(node)
    if "enum" in node and kind in ("string", "integer", "number", None):
        return "radio" if len(node["enum"]) <= RADIO_LIMIT else "select"
    if kind == "string":
        if node.get("format") == "date":
            return "date"
        if node.get("format") == "date-time":
            return "datetime"
        limit = node.get("maxLength")
        if node.get("format") or (limit is not None and limit <= TEXTAREA_FROM):
            return "text"  # an identifier, a code or a short answer
        return "textarea"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "yesno"
    if kind == "array":
        items = node.get("items") if isinstance(node.get("items"), Mapping) else {}
        if "enum" in items:
            return "checkboxes"
        if _type(items) == "object" and isinstance(items.get("properties"), Mapping):
            return "rows"
    return "json"


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = schema.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def _required(schema: Mapping[str, Any]) -> set[str]:
    required = schema.get("required")
    return {name for name in required if isinstance(name, str)} if isinstance(required, list) else set()


# -- typed data <-> what the inputs hold -----------------------------------------------------------


def _raw_scalar(widget: str, value: Any) -> Any:
    if value is None:
        return ""
    if widget == "yesno":
        return "true" if value is True else "false" if value is False else ""
    if widget == "datetime" and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = moment.astimezone(DISPLAY_ZONE)
        return moment.strftime("%Y-%m-%dT%H:%M")
    if widget == "checkboxes":
        return [str(v) for v in value] if isinstance(value, list) else []
    if widget == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    return str(value)


def raw_from_data(schema: Mapping[str, Any], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """What each input shows for already-typed data (a draft, or a completed task)."""
    raw: dict[str, Any] = {}
    for name, node in _properties(schema).items():
        if not isinstance(node, Mapping) or data is None or name not in data:
            continue
        widget = _widget(node)
        if widget == "rows" and isinstance(data[name], list):
            item_properties = _properties(node["items"])
            raw[f"{name}.{ROWS_SUFFIX}"] = str(len(data[name]))
            for index, row in enumerate(data[name]):
                for item_name, item_node in item_properties.items():
                    if isinstance(row, Mapping) and item_name in row and isinstance(item_node, Mapping):
                        raw[f"{name}.{index}.{item_name}"] = _raw_scalar(_widget(item_node), row[item_name])
        else:
            raw[name] = _raw_scalar(widget, data[name])
    return raw


@dataclass
class Conversion:
    """A value the browser sent that is not of the field's type (shown instead of the schema's error)."""

    field: str
    code: str


def _typed(widget: str, node: Mapping[str, Any], text: str) -> Any:
    """The typed value of one input's text; raises ValueError with a problem code."""
    if widget == "integer" or (widget in ("radio", "select") and _type(node) == "integer"):
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("integer") from None
    if widget == "number" or (widget in ("radio", "select") and _type(node) == "number"):
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError("number") from None
        if not number.is_finite():
            raise ValueError("number")
        return int(number) if number == number.to_integral_value() and "." not in text else float(number)
    if widget == "yesno":
        if text not in ("true", "false"):
            raise ValueError("enum")
        return text == "true"
    if widget == "datetime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("date-time") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=DISPLAY_ZONE)
        return moment.isoformat()
    if widget == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("json") from None
    return text


@dataclass
class Submission:
    data: dict[str, Any]
    raw: dict[str, Any]
    conversions: list[Conversion]
    schema: Mapping[str, Any]
    more_rows_for: str | None = None

    def problems(self) -> list[FieldProblem]:
        failed = {c.field for c in self.conversions}
        converted = [FieldProblem(c.field, c.code, None, "") for c in self.conversions]
        checked = [p for p in field_problems(dict(self.schema), self.data) if p.field not in failed]
        return converted + checked

    def errors(self, gettext: Gettext) -> dict[str, str]:
        """One message per field, in the page's language (the first problem found for it)."""
        messages: dict[str, str] = {}
        for problem in self.problems():
            widget = _widget(_node_at(self.schema, problem.field))
            messages.setdefault(problem.field, problem_message(problem, gettext, choice=widget in CHOICES))
        return messages

    def extra_rows(self) -> dict[str, int]:
        return {self.more_rows_for: 1} if self.more_rows_for else {}


def _node_at(schema: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The schema of the value at a dotted path ("guardians.0.name"), or {} when there is none."""
    node: Any = schema
    for part in path.split(".") if path else []:
        if not isinstance(node, Mapping):
            return {}
        node = node.get("items", {}) if part.isdigit() else _properties(node).get(part, {})
    return node if isinstance(node, Mapping) else {}


def _row_count(form: Mapping[str, Any], name: str) -> int:
    try:
        declared = int(str(form.get(f"{name}.{ROWS_SUFFIX}", "0")))
    except ValueError:
        declared = 0
    return max(0, min(declared, MAX_ROWS))


def _text_of(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def submitted_form(request: Request) -> FormData:
    """The posted form, read before a (synchronous) page handler runs."""
    return await request.form()


SubmittedForm = Annotated[FormData, Depends(submitted_form)]


def read_submission(schema: Mapping[str, Any], form: Any) -> Submission:
    """Typed data from a submitted form (a Starlette ``FormData`` or any mapping with ``getlist``).

    Empty inputs are left out (a required one is then reported missing); blank rows are dropped.
    """
    data: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    conversions: list[Conversion] = []

    def read(name: str, widget: str, node: Mapping[str, Any], into: dict[str, Any], key: str) -> None:
        if widget == "checkboxes":
            chosen = [v for v in form.getlist(name) if isinstance(v, str)]
            raw[name] = chosen
            if not chosen:
                return
            items = node.get("items", {})
            try:
                into[key] = [_typed("radio", items, value) for value in chosen]
            except ValueError as exc:
                conversions.append(Conversion(name, str(exc)))
            return
        text = form.get(name)
        text = text if isinstance(text, str) else ""
        raw[name] = text
        if text.strip() == "":
            return
        try:
            into[key] = _typed(widget, node, text)
        except ValueError as exc:
            conversions.append(Conversion(name, str(exc)))

    for name, node in _properties(schema).items():
        if not isinstance(node, Mapping):
            continue
        widget = _widget(node)
        if widget != "rows":
            read(name, widget, node, data, name)
            continue
        count = _row_count(form, name)
        raw[f"{name}.{ROWS_SUFFIX}"] = str(count)
        rows = []
        for index in range(count):
            row: dict[str, Any] = {}
            for item_name, item_node in _properties(node["items"]).items():
                if isinstance(item_node, Mapping):
                    read(f"{name}.{index}.{item_name}", _widget(item_node), item_node, row, item_name)
            if row:
                rows.append(row)
        if rows:
            data[name] = rows
    wanted = form.get(ADD_ROW)
    more = wanted if isinstance(wanted, str) and _widget(_properties(schema).get(wanted, {})) == "rows" else None
    return Submission(data, raw, conversions, schema, more)


# -- messages ----------------------------------------------------------------------------------------

_FORMAT_MESSAGES = {
    "date": N_("Enter a valid date."),
    "date-time": N_("Enter a valid date and time."),
    "thai-national-id": N_("Enter the 13-digit national ID number; the last digit must match the others."),
    "moe-g-code": N_("A G-code is the letter G followed by 12 digits."),
    "duration": N_("Enter a duration such as P3D (3 days) or PT12H (12 hours)."),
    "email": N_("Enter a valid e-mail address."),
}


def problem_message(problem: FieldProblem, gettext: Gettext, *, choice: bool = False) -> str:
    """A problem in words, in the page's language (``choice``: the field is answered by choosing)."""
    _ = gettext
    code, limit = problem.code, problem.limit
    if code == "required" or (code == "minLength" and limit == 1):
        return _("Choose an answer.") if choice else _("Fill in this field.")
    if code in ("integer",) or (code == "type" and limit == "integer"):
        return _("Enter a whole number.")
    if code == "number" or (code == "type" and limit == "number"):
        return _("Enter a number.")
    if code == "json":
        return _("Enter valid JSON.")
    if code in ("enum", "const"):
        return _("Choose one of the options.")
    if code == "minLength":
        return _("Enter at least %(limit)s characters.") % {"limit": limit}
    if code == "maxLength":
        return _("Enter at most %(limit)s characters.") % {"limit": limit}
    if code in ("minimum", "exclusiveMinimum"):
        return _("The value must be at least %(limit)s.") % {"limit": limit}
    if code in ("maximum", "exclusiveMaximum"):
        return _("The value must be at most %(limit)s.") % {"limit": limit}
    if code == "format" or code in _FORMAT_MESSAGES:
        message = _FORMAT_MESSAGES.get(str(limit if code == "format" else code))
        return _(message) if message else _("The value does not have the expected form.")
    if code == "minItems":
        return _("Choose at least one.") if limit == 1 else _("Choose at least %(limit)s.") % {"limit": limit}
    if code == "maxItems":
        return _("Choose at most %(limit)s.") % {"limit": limit}
    if code == "uniqueItems":
        return _("Each choice may be given only once.")
    if code == "pattern":
        return _("The value does not have the expected form.")
    if code == "additionalProperties":
        return _("The form received a field it does not have.")
    return _("This value is not accepted.")


# -- the fields a template draws -------------------------------------------------------------------


def _field(name: str, node: Mapping[str, Any], *, required: bool, language: str, raw: Mapping[str, Any],
           errors: Mapping[str, str], extra_rows: Mapping[str, int], top_name: str) -> Field:
    widget = _widget(node)
    label = _localised(node, "title", language) or top_name
    result = Field(
        name=name, widget=widget, label=label, description=_localised(node, "description", language),
        required=required, error=errors.get(name),
    )
    if widget in ("text", "textarea"):
        result.maxlength = node.get("maxLength")
        if node.get("format") in ("thai-national-id",):
            result.inputmode = "numeric"
    if widget in ("integer", "number"):
        result.minimum, result.maximum = node.get("minimum"), node.get("maximum")
    if widget in ("radio", "select"):
        result.options = _options(node, list(node["enum"]), language)
    if widget == "checkboxes":
        result.options = _options(node["items"] if "x-enum-titles" in node["items"] else node, list(node["items"]["enum"]), language)
    if widget == "rows":
        item_schema = node["items"]
        item_required = _required(item_schema)
        try:
            count = int(str(raw.get(f"{name}.{ROWS_SUFFIX}", "")))
        except ValueError:
            count = 0
        count = min(MAX_ROWS, max(count, 1) + extra_rows.get(name, 0))
        for index in range(count):
            result.rows.append([
                _field(f"{name}.{index}.{item_name}", item_node, required=item_name in item_required, language=language,
                       raw=raw, errors=errors, extra_rows={}, top_name=item_name)
                for item_name, item_node in _properties(item_schema).items() if isinstance(item_node, Mapping)
            ])
        result.value = str(count)
        return result
    default = [] if widget == "checkboxes" else ""
    result.value = raw.get(name, default)
    return result


def form_fields(
    schema: Mapping[str, Any],
    *,
    language: str,
    raw: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, int] | None = None,
) -> list[Field]:
    """The fields of a form, with what was typed and each field's error."""
    required = _required(schema)
    return [
        _field(name, node, required=name in required, language=language, raw=raw or {}, errors=errors or {},
               extra_rows=extra_rows or {}, top_name=name)
        for name, node in _properties(schema).items() if isinstance(node, Mapping)
    ]


def form_title(schema: Mapping[str, Any], language: str) -> str:
    return _localised(schema, "title", language) or ""


def form_description(schema: Mapping[str, Any], language: str) -> str | None:
    return _localised(schema, "description", language)


def unplaced_errors(fields: list[Field], errors: Mapping[str, str]) -> list[str]:
    """Errors that belong to no drawn field (the form as a whole): shown above it."""
    names = {f.name for f in fields} | {g.name for f in fields for row in f.rows for g in row}
    return [message for name, message in errors.items() if name not in names]

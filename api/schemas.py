"""Types shared by the routes: validated inputs and the common response shapes.

Inputs are checked here, before they reach SQL: PostgreSQL refuses NUL characters in text and
integers beyond its column types, no UTF-8 encoder takes an unpaired surrogate, and naive or
out-of-range datetimes cannot be stored — each would otherwise surface as a server error rather
than a 422 naming the field.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, Field

from engine.cases.models import WorkItem

MAX_ID = 2_147_483_647  # PostgreSQL's integer
MAX_JSON_DEPTH = 32


# Left over after JSON decoding joins every valid pair: half of a UTF-16 pair ("\\ud800") has
# no UTF-8 form, so no database, log or encoder can take it.
_UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonValueError(ValueError):
    """Invalid text somewhere inside a JSON value; ``path`` holds the keys and indexes below the
    field, so the problem can name ``data.summary`` rather than just ``data``."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


def _plain_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    if _UNPAIRED_SURROGATE.search(value):
        raise ValueError("text may not contain an unpaired surrogate (half of a UTF-16 pair, such as \\ud800)")
    return value


def _check_json(value: Any, depth: int = 0, path: tuple[str | int, ...] = ()) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise JsonValueError(f"nested deeper than {MAX_JSON_DEPTH} levels", path)
    try:
        if isinstance(value, str):
            _plain_text(value)
        elif isinstance(value, dict):
            for key in value:
                _plain_text(key)
        elif isinstance(value, float) and value != value:  # NaN is not JSON
            raise ValueError("NaN is not a JSON number")
    except ValueError as exc:
        raise JsonValueError(str(exc), path) from exc
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json(item, depth + 1, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, depth + 1, (*path, index))
    return value


def _utc(value: datetime) -> datetime:
    try:
        moment = value.astimezone(timezone.utc)
    except (OverflowError, ValueError) as exc:
        raise ValueError("the moment is out of range") from exc
    if not 1900 <= moment.year <= 9000:
        raise ValueError("the moment must fall between the years 1900 and 9000")
    return moment


# Checked before pydantic's own string check, whose message for a surrogate names no cause.
Text = Annotated[str, BeforeValidator(lambda value: _plain_text(value) if isinstance(value, str) else value)]
Moment = Annotated[AwareDatetime, AfterValidator(_utc)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_check_json)]
EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]


def path_id(description: str) -> Any:
    return Path(ge=1, le=MAX_ID, description=description)


class WorkItemOut(BaseModel):
    id: int
    case_id: int
    task_name: str
    label: str
    lane: str | None
    agency_code: str
    candidate_role: str | None
    state: str
    assignee_id: int | None
    form_key: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by_id: int | None
    escalation_level: int
    overdue: bool

    @classmethod
    def of(cls, item: WorkItem, *, now: datetime) -> WorkItemOut:
        live = item.state in ("open", "claimed")
        return cls(
            id=item.id, case_id=item.case_id, task_name=item.task_name, label=item.label, lane=item.lane,
            agency_code=item.agency_code, candidate_role=item.candidate_role, state=item.state,
            assignee_id=item.assignee_id, form_key=item.form_key, created_at=item.created_at, due_at=item.due_at,
            completed_at=item.completed_at, completed_by_id=item.completed_by_id,
            escalation_level=item.escalation_level, overdue=bool(live and item.due_at is not None and item.due_at < now),
        )

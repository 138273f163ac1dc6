"""Types shared by the routes: validated inputs and the common response shapes.

Inputs are checked here, before they reach SQL: PostgreSQL refuses NUL characters in text and
integers beyond its column types, and naive or out-of-range datetimes cannot be stored — each
would otherwise surface as a server error rather than a 422 naming the field.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from engine.cases.models import WorkItem

MAX_ID = 2_147_483_647  # PostgreSQL's integer
MAX_JSON_DEPTH = 32


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


def _check_json(value: Any, depth: int = 0) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        _no_nul(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, float) and value != value:  # NaN is not JSON
        raise ValueError("NaN is not a JSON number")
    return value


def _utc(value: datetime) -> datetime:
    try:
        moment = value.astimezone(timezone.utc)
    except (OverflowError, ValueError) as exc:
        raise ValueError("the moment is out of range") from exc
    if not 1900 <= moment.year <= 9000:
        raise ValueError("the moment must fall between the years 1900 and 9000")
    return moment


Text = Annotated[str, AfterValidator(_no_nul)]
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

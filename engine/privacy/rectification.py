"""Rectification of a child's record (PDPA ss.35-36): what is wrong is corrected, and what it
said before stays in the audit trail (``child.rectified``: each field's old and new value, the
reason, the request it answers).

The record is what every case of the child reads; a task's form values are what was reported
at the time and stay as they were (a correction is a fact of its own, dated, on the record).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.access import record_denied
from engine.cases.models import Case
from engine.cases.stepping import lock_cases
from engine.children.models import Child, Guardian
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.forms.validation import is_moe_g_code, is_thai_national_id
from engine.people.actors import Actor
from engine.privacy.rights import ensure_answers_for_data, releasable_case_ids

RECTIFIABLE_FIELDS = ("first_name", "last_name", "birth_date", "national_id", "g_code", "nationality", "language", "school")
GUARDIAN_FIELDS = ("name", "relation")
MAX_TEXT = 255


@dataclass(frozen=True)
class Rectified:
    child: Child
    # field -> (old, new), for the record; "guardians[<id>].name" for a guardian's.
    changes: dict[str, tuple[Any, Any]]


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field} cannot be empty", field=field)
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_TEXT:
        raise InvalidInput(f"{field} must be text of at most {MAX_TEXT} characters", field=field)
    return value.strip()


def _checked(field: str, value: Any) -> Any:
    if field == "first_name":
        return _text(value, field, required=True)
    if field == "birth_date":
        if value is None:
            return None
        try:
            if isinstance(value, str):
                return date.fromisoformat(value)
        except ValueError:
            pass
        raise InvalidInput("birth_date must be a date such as 2011-05-01", field=field)
    if field == "national_id" and value is not None and not is_thai_national_id(value):
        raise InvalidInput("national_id must be a valid 13-digit Thai national ID", field=field)
    if field == "g_code" and value is not None and not is_moe_g_code(value):
        raise InvalidInput("g_code must be a G-code such as G631234567890", field=field)
    return _text(value, field)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def rectify_child(
    *,
    session: Session,
    actor: Actor,
    child_id: int,
    fields: dict[str, Any],
    guardians: dict[int, dict[str, Any]] | None = None,
    reason: str,
    now: datetime,
    request_reference: str | None = None,
) -> Rectified:
    """Correct the record (and its guardians' names or relations); commits.

    Only someone who may release one of the child's cases may rectify the record; to anyone
    else it does not exist. An identifier another child's record holds is refused.
    """
    ensure_answers_for_data(actor, "rectify a child's record")
    child = session.get(Child, child_id)
    if child is None or not releasable_case_ids(session=session, actor=actor, child_id=child_id):
        record_denied(session=session, actor=actor, at=now, resource="child", resource_id=child_id,
                      attempted="rectify a child's record")
        raise NotFound(f"child record {child_id} not found", field="child_id")
    # The child's cases first, in id order, as every command that writes to a case (and through
    # an intake form to its child's record) locks its case before the record.
    lock_cases(session=session, case_ids=session.scalars(select(Case.id).where(Case.child_id == child.id)))
    session.refresh(child)
    if child.anonymised_at is not None:
        raise InvalidState(f"child record {child_id} was anonymised; there is nothing left to rectify", status="anonymised")
    why = _text(reason, "reason", required=True)
    unknown = sorted(set(fields) - set(RECTIFIABLE_FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not a field of the record that can be rectified", field=unknown[0])
    changes: dict[str, tuple[Any, Any]] = {}
    for field, value in fields.items():
        new = _checked(field, value)
        old = getattr(child, field)
        if new == old:
            continue
        if field in ("national_id", "g_code") and new is not None:
            holder = session.scalar(select(Child.id).where(getattr(Child, field) == new, Child.id != child.id))
            if holder is not None:
                raise InvalidInput(f"this {field} belongs to another child's record", field=field)
        changes[field] = (old, new)
    guardian_rows = {g.id: g for g in session.scalars(select(Guardian).where(Guardian.child_id == child.id))}
    for guardian_id, values in (guardians or {}).items():
        guardian = guardian_rows.get(guardian_id)
        if guardian is None:
            raise NotFound(f"guardian {guardian_id} is not on this child's record", field="guardians")
        for field, value in values.items():
            if field not in GUARDIAN_FIELDS:
                raise InvalidInput(f"{field} of a guardian cannot be rectified", field=f"guardians.{guardian_id}.{field}")
            new = _text(value, f"guardians.{guardian_id}.{field}", required=True)
            if new != getattr(guardian, field):
                changes[f"guardians[{guardian_id}].{field}"] = (getattr(guardian, field), new)
    if not changes:
        raise InvalidInput("the record already says this: nothing to rectify", field="fields")
    for key, (_, new) in changes.items():
        if key.startswith("guardians["):
            guardian_id, field = int(key[len("guardians["):key.index("]")]), key.rsplit(".", 1)[1]
            setattr(guardian_rows[guardian_id], field, new)
        else:
            setattr(child, key, new)
    child.updated_at = now
    audit.record(
        session, action="child.rectified", actor=actor, at=now, child_id=child.id, reason=why, request=request_reference,
        changes={key: {"old": _plain(old), "new": _plain(new)} for key, (old, new) in changes.items()},
    )
    session.commit()
    return Rectified(child, changes)

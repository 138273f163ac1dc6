"""Finding or creating a child's record from an intake form, and its other cases.

A second report about the same child must land on the same record: an exact identifier (Thai
national ID or G-code) links at once; a close name with the same birth date is only *offered*
(the person reporting confirms it), since two children can share a name.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.children.models import Child, Guardian
from engine.errors import InvalidInput, NotFound
from engine.people.actors import Actor

CHILD_RECORD_FLAG = "x-khumkrong-child-record"
# A later form that adds identifiers to the case's child (a G-code issued at enrolment, say).
CHILD_UPDATE_FLAG = "x-khumkrong-child-update"
_UPDATABLE = {
    "child_national_id": "national_id", "child_g_code": "g_code", "child_school": "school",
    "child_nationality": "nationality", "child_language": "language",
}
NAME_SIMILARITY = 0.8


class ChildsCase(Protocol):
    """The case a form about the child belongs to (a ``engine.cases.models.Case``)."""

    id: int
    child_id: int | None


@dataclass(frozen=True)
class ChildIdentity:
    first_name: str
    last_name: str | None = None
    birth_date: date | None = None
    national_id: str | None = None
    g_code: str | None = None
    nationality: str | None = None
    language: str | None = None
    school: str | None = None
    guardians: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> ChildIdentity:
        first = (data.get("child_first_name") or "").strip()
        if not first:
            raise InvalidInput("the child's first name is required", field="child_first_name")
        born = data.get("child_birth_date")
        return cls(
            first_name=first,
            last_name=(data.get("child_last_name") or "").strip() or None,
            birth_date=date.fromisoformat(born) if born else None,
            national_id=data.get("child_national_id") or None,
            g_code=data.get("child_g_code") or None,
            nationality=data.get("child_nationality") or None,
            language=data.get("child_language") or None,
            school=data.get("child_school") or None,
            guardians=tuple(data.get("guardians") or ()),
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name or ''}".strip()


def exact_match(session: Session, identity: ChildIdentity) -> Child | None:
    clauses = []
    if identity.national_id:
        clauses.append(Child.national_id == identity.national_id)
    if identity.g_code:
        clauses.append(Child.g_code == identity.g_code)
    if not clauses:
        return None
    return session.scalars(select(Child).where(or_(*clauses)).order_by(Child.id)).first()


def possible_matches(session: Session, identity: ChildIdentity, *, limit: int = 5) -> list[Child]:
    """Records with the same birth date and a similar name, to offer for confirmation."""
    if identity.birth_date is None:
        return []
    candidates = session.scalars(select(Child).where(Child.birth_date == identity.birth_date)).all()
    wanted = identity.full_name.casefold()
    scored = [
        (difflib.SequenceMatcher(None, wanted, f"{c.first_name} {c.last_name or ''}".strip().casefold()).ratio(), c)
        for c in candidates
    ]
    return [child for score, child in sorted(scored, key=lambda s: -s[0]) if score >= NAME_SIMILARITY][:limit]


@dataclass(frozen=True)
class MatchOffer:
    """Enough to recognise a child record, and no more (PDPA minimisation)."""

    child_id: int
    first_name: str
    last_name: str | None
    birth_date: date | None
    school: str | None
    exact: bool


def offer_matches(session: Session, identity: ChildIdentity) -> list[MatchOffer]:
    """The record an identifier names (exact), else records worth confirming (close name, same birth date)."""
    exact = exact_match(session, identity)
    children = [exact] if exact is not None else possible_matches(session, identity)
    return [
        MatchOffer(c.id, c.first_name, c.last_name, c.birth_date, c.school, exact is not None) for c in children
    ]


def _fill(child: Child, identity: ChildIdentity, now: datetime) -> None:
    """Complete a record with what it lacks; never overwrite a recorded identifier."""
    child.national_id = child.national_id or identity.national_id
    child.g_code = child.g_code or identity.g_code
    child.last_name = child.last_name or identity.last_name
    child.birth_date = child.birth_date or identity.birth_date
    child.nationality = identity.nationality or child.nationality
    child.language = identity.language or child.language
    child.school = identity.school or child.school
    child.updated_at = now


def record_child_for_case(
    session: Session, *, case: ChildsCase, data: dict[str, Any], now: datetime, actor: Actor, confirmed_child_id: int | None = None
) -> Child:
    """Link the case to its child's record, creating the record if the child is new."""
    identity = ChildIdentity.from_form(data)
    child = exact_match(session, identity)
    how = "identifier"
    if child is None and confirmed_child_id is not None:
        child = session.get(Child, confirmed_child_id)
        if child is None:
            raise NotFound(f"child record {confirmed_child_id} does not exist", field="child_id")
        how = "confirmed"
    if child is None:
        child = Child(first_name=identity.first_name, created_at=now, updated_at=now)
        session.add(child)
        how = "new"
    _fill(child, identity, now)
    session.flush()
    known = {(g.name, g.relation) for g in session.scalars(select(Guardian).where(Guardian.child_id == child.id))}
    for guardian in identity.guardians:
        name = str(guardian.get("name") or "").strip()
        relation = str(guardian.get("relation") or "other")
        if name and (name, relation) not in known:
            session.add(Guardian(child_id=child.id, name=name, relation=relation,
                                 alleged_abuser=bool(guardian.get("alleged_abuser"))))
    case.child_id = child.id
    audit.record(session, action="case.child_linked", actor=actor, at=now, case_id=case.id, child_id=child.id, how=how)
    return child


def update_child_from_form(session: Session, *, case: ChildsCase, data: dict[str, Any], now: datetime, actor: Actor) -> Child | None:
    """Add what a later form learnt about the case's child; an identifier never changes hands."""
    if case.child_id is None:
        return None
    child = session.get_one(Child, case.child_id)
    changed = []
    for field, column in _UPDATABLE.items():
        value = data.get(field)
        if not value or getattr(child, column) == value:
            continue
        if column in ("national_id", "g_code"):
            if getattr(child, column):
                raise InvalidInput(f"the child's record already has a different {field}", field=field)
            holder = session.scalar(select(Child.id).where(getattr(Child, column) == value))
            if holder is not None:
                raise InvalidInput(f"this {field} already belongs to another child's record", field=field)
        setattr(child, column, value)
        changed.append(column)
    if changed:
        child.updated_at = now
        audit.record(session, action="child.updated", actor=actor, at=now, case_id=case.id, child_id=child.id, fields=changed)
    return child


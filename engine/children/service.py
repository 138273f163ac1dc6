"""Finding or creating a child's record from an intake form, and its other cases.

A second report about the same child must land on the same record: an exact identifier (Thai
national ID or G-code) links at once; a close name with the same birth date is only *offered*
(the person reporting confirms it), since two children can share a name. A record can be named
on completion only if it was offered to that person for that intake, or is already on a case
they may see: knowing a record's number opens nothing.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import audit
from engine.children.models import Child, ChildOffer, Guardian
from engine.db import is_postgres
from engine.errors import Conflict, InvalidInput, NotFound
from engine.people.actors import Actor

CHILD_RECORD_FLAG = "x-khumkrong-child-record"
# A later form that adds identifiers to the case's child (a G-code issued at enrolment, say).
CHILD_UPDATE_FLAG = "x-khumkrong-child-update"
_UPDATABLE = {
    "child_national_id": "national_id", "child_g_code": "g_code", "child_school": "school",
    "child_nationality": "nationality", "child_language": "language",
}
NAME_SIMILARITY = 0.8
# An offer may be confirmed while the intake is being filled in, not for ever after.
OFFER_VALIDITY = timedelta(hours=12)


class ChildsCase(Protocol):
    """The case a form about the child belongs to (a ``engine.cases.models.Case``)."""

    id: int
    child_id: int | None


class IntakeTask(Protocol):
    """The intake task a lookup is for (a ``engine.cases.models.WorkItem``)."""

    id: int
    case_id: int


# Whether the actor already sees the child's record on another case they may see (decided by the
# cases layer, which knows visibility): such a record may be named without an offer.
SeenElsewhere = Callable[[int], bool]


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
    """Enough to recognise a child record, and no more (PDPA minimisation): no school, no
    identifiers, no guardians, and the year of birth rather than the date."""

    child_id: int
    first_name: str
    last_name: str | None
    birth_year: int | None
    exact: bool


def offer_matches(
    session: Session, identity: ChildIdentity, *, actor: Actor, now: datetime, work_item: IntakeTask | None = None,
) -> list[MatchOffer]:
    """The record an identifier names (exact), else records worth confirming (close name, same
    birth date); each offer is recorded (and audited) for the intake ``work_item``, whose
    completion may then name it. The caller commits."""
    exact = exact_match(session, identity)
    children = [exact] if exact is not None else possible_matches(session, identity)
    case_id = work_item.case_id if work_item is not None else None
    work_item_id = work_item.id if work_item is not None else None
    for child in children:
        session.add(ChildOffer(child_id=child.id, user_id=actor.user_id, case_id=case_id, work_item_id=work_item_id,
                               offered_at=now))
    # Looking people up is reading children's data: it is on the record, like any case read.
    audit.record(session, action="child.matches_viewed", actor=actor, at=now, case_id=case_id, work_item_id=work_item_id,
                 offered=[c.id for c in children])
    return [
        MatchOffer(c.id, c.first_name, c.last_name, c.birth_date.year if c.birth_date else None, exact is not None)
        for c in children
    ]


class ChildRecordRefused(NotFound):
    """A ``child_id`` the caller was not offered for this intake and sees on none of their cases;
    answered exactly like a record that does not exist."""

    def __init__(self, child_id: int) -> None:
        super().__init__(f"child record {child_id} not found", field="child_id")
        self.child_id = child_id


def _may_name(
    session: Session, *, actor: Actor, child_id: int, case: ChildsCase, now: datetime, seen_elsewhere: SeenElsewhere | None
) -> bool:
    """Whether the actor may link ``case`` to record ``child_id``: offered to them for this
    case lately, or already on a case they may see."""
    offered = session.scalar(
        select(ChildOffer.id).where(
            ChildOffer.child_id == child_id, ChildOffer.user_id == actor.user_id, ChildOffer.case_id == case.id,
            ChildOffer.offered_at > now - OFFER_VALIDITY,
        ).limit(1)
    )
    if offered is not None:
        return True
    return seen_elsewhere is not None and seen_elsewhere(child_id)


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


def _refuse_identifiers_of_others(session: Session, child: Child, identity: ChildIdentity) -> None:
    """An identifier the record lacks may be added, unless another child's record holds it."""
    for field, column in (("child_national_id", "national_id"), ("child_g_code", "g_code")):
        value = getattr(identity, column)
        if not value or getattr(child, column) is not None:
            continue
        holder = session.scalar(select(Child.id).where(getattr(Child, column) == value))
        if holder is not None and holder != child.id:
            raise InvalidInput(f"this {field} belongs to another child's record than the other identifier", field=field)


def _create(session: Session, identity: ChildIdentity, now: datetime) -> tuple[Child, str]:
    """A new record; or, when another intake of the same child created it a moment ago (the
    identifier is already taken), that one. Never a unique-key failure."""
    if identity.national_id is None and identity.g_code is None:
        child = Child(first_name=identity.first_name, created_at=now, updated_at=now)
        session.add(child)
        return child, "new"
    insert = pg_insert if is_postgres(session) else sqlite_insert
    # ON CONFLICT waits for a concurrent insert of the same identifier to commit, then skips.
    child_id = session.scalar(
        insert(Child)
        .values(first_name=identity.first_name, national_id=identity.national_id, g_code=identity.g_code,
                created_at=now, updated_at=now)
        .on_conflict_do_nothing()
        .returning(Child.id)
    )
    if child_id is not None:
        return session.get_one(Child, child_id), "new"
    existing = exact_match(session, identity)
    if existing is None:
        raise Conflict("the child's record was being changed at the same time; try again", field="child_national_id")
    return existing, "identifier"


def record_child_for_case(
    session: Session,
    *,
    case: ChildsCase,
    data: dict[str, Any],
    now: datetime,
    actor: Actor,
    confirmed_child_id: int | None = None,
    seen_elsewhere: SeenElsewhere | None = None,
) -> Child:
    """Link the case to its child's record, creating the record if the child is new."""
    identity = ChildIdentity.from_form(data)
    child = exact_match(session, identity)
    how = "identifier"
    if child is None and confirmed_child_id is not None:
        child = session.get(Child, confirmed_child_id)
        # Someone else's record is answered exactly like a missing one.
        if child is None or not _may_name(
            session, actor=actor, child_id=child.id, case=case, now=now, seen_elsewhere=seen_elsewhere
        ):
            raise ChildRecordRefused(confirmed_child_id)
        how = "confirmed"
    if child is None:
        child, how = _create(session, identity, now)
    _refuse_identifiers_of_others(session, child, identity)
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

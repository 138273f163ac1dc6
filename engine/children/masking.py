"""How a child is named to whoever reads: in full to the people who work the child's cases,
by initials to everyone else.

Province-wide oversight (the committee, administrators) sees every case of the province; it
judges the work, not the child, so lists, searches and case details show it the child's
initials and the case reference, never the name, identifiers, birth date or school (PDPA s.22
minimisation; CPA ss.27 and 50). Case workers and supervisors see the children of the cases
their agency is on, in full: they cannot protect a child they cannot identify. The roles are
``engine.people.roles.IDENTITY_ROLES``; the API, the pages and the exports all ask here.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.children.models import Child, Guardian
from engine.people.actors import Actor
from engine.people.roles import IDENTITY_ROLES

# Titles written before a name, which are not part of it ("ด.ญ. มะลิ" is มะลิ).
_TITLES = ("เด็กชาย", "เด็กหญิง", "นางสาว", "ด.ช.", "ด.ญ.", "น.ส.", "นาย", "นาง", "Miss", "Mrs.", "Mr.", "Ms.")
# Thai vowels written before the consonant they follow in speech: an initial is the consonant.
_LEADING_VOWELS = frozenset("เแโใไ")

# Form fields that identify the child (or the guardians), shown masked like the record itself.
IDENTIFYING_FIELDS = frozenset({
    "child_first_name", "child_last_name", "child_national_id", "child_g_code", "child_birth_date", "child_school",
    "guardians", "consented_by_name",
})
_NAME_FIELDS = frozenset({"child_first_name", "child_last_name", "consented_by_name"})


def shows_identity(actor: Actor) -> bool:
    """Whether the actor is shown children's names and identifiers."""
    return not actor.is_system and actor.role in IDENTITY_ROLES


def full_name(first: str | None, last: str | None) -> str | None:
    return f"{first} {last or ''}".strip() if first else None


def _without_title(name: str) -> str:
    text = name.strip()
    for title in _TITLES:
        if text.startswith(title):
            return text[len(title):].strip()
    return text


def initial(name: str | None) -> str:
    """The first letter of a name, with a full stop: มะลิ → ม., เกศินี → ก., Malee → M."""
    for word in _without_title(name or "").split():
        for character in word:
            if character in _LEADING_VOWELS or not unicodedata.category(character).startswith("L"):
                continue
            return f"{character.upper()}."
    return ""


def initials(first: str | None, last: str | None) -> str | None:
    """ม.ใ. for มะลิ ใจดี; None when there is no name (an anonymised record)."""
    text = initial(first) + initial(last)
    return text or None


def name_as_seen_by(actor: Actor, first: str | None, last: str | None) -> str | None:
    """The child's name in a list or search result: in full, or initials."""
    return full_name(first, last) if shows_identity(actor) else initials(first, last)


@dataclass(frozen=True)
class GuardianAsSeen:
    name: str | None
    relation: str
    alleged_abuser: bool


@dataclass(frozen=True)
class ChildAsSeen:
    """A child's record as one reader is shown it; ``masked`` says whether it was."""

    id: int
    name: str | None
    first_name: str | None
    last_name: str | None
    birth_date: date | None
    national_id: str | None
    g_code: str | None
    nationality: str | None
    language: str | None
    school: str | None
    guardians: list[GuardianAsSeen]
    masked: bool
    anonymised_at: datetime | None


def child_as_seen_by(actor: Actor, child: Child, guardians: Iterable[Guardian]) -> ChildAsSeen:
    """The record in full to the people who work the child's cases; otherwise initials, and the
    facts oversight needs without identifying the child (nationality, language, guardians'
    relations and whether one is the alleged abuser)."""
    if shows_identity(actor):
        return ChildAsSeen(
            child.id, full_name(child.first_name, child.last_name), child.first_name or None, child.last_name,
            child.birth_date, child.national_id, child.g_code, child.nationality, child.language, child.school,
            [GuardianAsSeen(g.name or None, g.relation, g.alleged_abuser) for g in guardians], False, child.anonymised_at,
        )
    return ChildAsSeen(
        child.id, initials(child.first_name, child.last_name), initial(child.first_name) or None,
        initial(child.last_name) or None, None, None, None, child.nationality, child.language, None,
        [GuardianAsSeen(initials(g.name, None), g.relation, g.alleged_abuser) for g in guardians], True,
        child.anonymised_at,
    )


def form_values_as_seen_by(actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """A task's form values: the identifying fields masked for those not shown identities (names
    to initials, identifiers, birth date and school left out). Free text is the author's to keep
    minimal (each form says so); it cannot be masked reliably."""
    if shows_identity(actor):
        return values
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if name not in IDENTIFYING_FIELDS:
            shown[name] = value
        elif name in _NAME_FIELDS and isinstance(value, str):
            shown[name] = initial(value) or None
        elif name == "guardians" and isinstance(value, list):
            shown[name] = [
                {key: item.get(key) for key in ("relation", "alleged_abuser") if key in item}
                for item in value if isinstance(item, dict)
            ]
    return shown

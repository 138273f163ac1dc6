"""How much of a child's record a reader sees: the one masking rule for the pages and the API.

The people who work a child's case (case workers and supervisors of an agency that holds work
in it) need the child's name and identifiers to act. The provincial committee and
administrators read every case to oversee the network, not to act on one child, so they see
the record with names and identifiers masked (PDPA s.22 data minimisation): the first letter of
each name, the last four characters of an identifier, the year of birth instead of the date.
School, nationality, language and the guardians' relations stay readable: oversight needs them
and they name nobody.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from engine.children.models import Child, Guardian
from engine.people.roles import WORKING_ROLES

MASK = "•••"
KEPT_IDENTIFIER_CHARACTERS = 4


def sees_identity(role: str) -> bool:
    """Whether someone in ``role`` (who may read the case at all) sees names and identifiers."""
    return role in WORKING_ROLES


def _first_letter(text: str) -> str:
    """The first letter with the marks written on it (a Thai vowel or tone mark is no letter)."""
    letter = text[:1]
    for character in text[1:]:
        if unicodedata.combining(character) or unicodedata.category(character) == "Mn":
            letter += character
        else:
            break
    return letter


def mask_name(name: str | None) -> str | None:
    """ "มะลิ ใจดี" → "ม••• ใ•••": each word's first letter."""
    if not name:
        return name
    return " ".join(_first_letter(word) + MASK for word in name.split())


def mask_identifier(value: str | None) -> str | None:
    """ "1103700123458" → "•••••••••3458"."""
    if not value:
        return value
    kept = value[-KEPT_IDENTIFIER_CHARACTERS:] if len(value) > KEPT_IDENTIFIER_CHARACTERS else ""
    return "•" * (len(value) - len(kept)) + kept


@dataclass(frozen=True)
class GuardianRecord:
    name: str
    relation: str
    alleged_abuser: bool


@dataclass(frozen=True)
class ChildRecord:
    """A child's record as one reader may see it; ``masked`` says whether it was masked."""

    id: int
    first_name: str
    last_name: str | None
    birth_date: date | None
    birth_year: int | None
    national_id: str | None
    g_code: str | None
    nationality: str | None
    language: str | None
    school: str | None
    guardians: tuple[GuardianRecord, ...]
    masked: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name or ''}".strip()


def child_record(child: Child, guardians: list[Guardian], *, role: str) -> ChildRecord:
    """The record for a reader in ``role``: whole for the people working the case, masked otherwise."""
    whole = sees_identity(role)
    hide = (lambda value: value) if whole else mask_name
    return ChildRecord(
        id=child.id,
        first_name=hide(child.first_name) or "",
        last_name=hide(child.last_name),
        birth_date=child.birth_date if whole else None,
        birth_year=child.birth_date.year if child.birth_date else None,
        national_id=child.national_id if whole else mask_identifier(child.national_id),
        g_code=child.g_code if whole else mask_identifier(child.g_code),
        nationality=child.nationality,
        language=child.language,
        school=child.school,
        guardians=tuple(GuardianRecord(hide(g.name) or "", g.relation, g.alleged_abuser) for g in guardians),
        masked=not whole,
    )


def shown_name(first_name: str | None, last_name: str | None, *, role: str) -> str | None:
    """A child's name as a list shows it to a reader in ``role``."""
    if not first_name:
        return None
    name = f"{first_name} {last_name or ''}".strip()
    return name if sees_identity(role) else mask_name(name)

"""Who is acting: a person in a role at an agency, or the engine itself (timers)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.people.models import User
from engine.people.roles import SYSTEM_ROLE


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    agency_code: str | None
    client_address: str | None = None
    # A reporting unit of the agency (a school); None for the agency's own staff.
    unit_code: str | None = None

    @classmethod
    def of(cls, user: User, *, client_address: str | None = None) -> "Actor":
        return cls(user.id, user.username, user.role_code, user.agency_code, client_address, user.unit_code)

    @property
    def is_system(self) -> bool:
        return self.user_id is None


SYSTEM = Actor(user_id=None, username="system", role=SYSTEM_ROLE, agency_code=None)

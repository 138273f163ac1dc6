"""Accounts as an administrator manages them: who can sign in, in which role, for which agency.

``accounts.py`` adds people, sets passwords and disables them (for the command line too); this
adds what the administration pages also need: the list with each account's state, turning an
account back on, and moving a person to another role or agency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import Clock
from engine.errors import InvalidInput, NotFound
from engine.network.definition import Network
from engine.network.models import Agency, Role
from engine.people.actors import Actor
from engine.people.auth import locked_until
from engine.people.models import User


@dataclass(frozen=True)
class Account:
    user: User
    locked_until: datetime | None

    @property
    def state(self) -> str:
        """ "disabled", "locked" (too many failed sign-ins) or "active"."""
        if not self.user.active:
            return "disabled"
        return "locked" if self.locked_until is not None else "active"


def accounts(*, session: Session, now: datetime) -> list[Account]:
    users = session.scalars(select(User).order_by(User.username))
    return [Account(user, locked_until(session, user.username, now=now)) for user in users]


def find_user(*, session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise NotFound(f"there is no user {username!r}", field="username")
    return user


def check_role_and_agency(*, session: Session, role: str, agency: str | None) -> None:
    """A case worker or supervisor acts for exactly one active agency; province-wide roles for none."""
    role_row = session.get(Role, role)
    if role_row is None:
        raise InvalidInput(f"{role!r} is not a role of the network", field="role")
    if role_row.bound_to_agency:
        if agency is None:
            raise InvalidInput(f"role {role!r} needs an agency", field="agency")
        agency_row = session.get(Agency, agency)
        if agency_row is None or not agency_row.active:
            raise InvalidInput(f"{agency!r} is not an active agency", field="agency")
    elif agency is not None:
        raise InvalidInput(f"role {role!r} is province-wide and takes no agency", field="agency")


def check_unit(*, network: Network | None, agency: str | None, unit: str | None) -> None:
    """A unit (a school) is one of the network's units, inside the person's own agency."""
    if unit is None:
        return
    if network is None or unit not in network.units:
        raise InvalidInput(f"{unit!r} is not a unit of the network", field="unit")
    if network.units[unit].agency != agency:
        raise InvalidInput(f"unit {unit!r} belongs to {network.units[unit].agency}, not to {agency or 'no agency'}",
                           field="unit")


def change_role(*, session: Session, username: str, role: str, agency: str | None, actor: Actor, clock: Clock,
                unit: str | None = None, network: Network | None = None) -> User:
    """Move a person to another role, agency or unit; their rights change with their next request."""
    user = find_user(session=session, username=username)
    check_role_and_agency(session=session, role=role, agency=agency)
    check_unit(network=network, agency=agency, unit=unit)
    before = (user.role_code, user.agency_code, user.unit_code)
    user.role_code, user.agency_code, user.unit_code = role, agency, unit
    audit.record(session, action="user.role_changed", actor=actor, at=clock.now(), user_id=user.id,
                 role_before=before[0], agency_before=before[1], unit_before=before[2], role=role, agency=agency,
                 unit=unit)
    session.commit()
    return user


def enable_user(*, session: Session, username: str, actor: Actor, clock: Clock) -> User:
    """Let a disabled person sign in again (with their old password; they had no sessions left)."""
    user = find_user(session=session, username=username)
    if not user.active:
        user.active = True
        audit.record(session, action="user.enabled", actor=actor, at=clock.now(), user_id=user.id)
        session.commit()
    return user

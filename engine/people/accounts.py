"""Managing accounts: adding people, setting passwords, disabling them (used by ``khumkrong users``)."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.auth import revoke_everything
from engine.people.directory import check_role_and_agency, check_unit
from engine.people.models import User
from engine.people.passwords import hash_password

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


def check_password(password: str) -> None:
    # Length is what makes a password strong; composition rules mostly make people write it down.
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"a password may have at most {MAX_PASSWORD_LENGTH} characters", field="password")


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise NotFound(f"there is no user {username!r}", field="username")
    return user


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    agency: str | None,
    password: str,
    display_name: str | None,
    email: str | None,
    actor: Actor,
    clock: Clock,
    unit: str | None = None,
    network: Network | None = None,
) -> User:
    """Add a person; ``unit`` (a school of their agency, checked against ``network``) limits what
    they see to that unit's cases."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput("a user name is 2–64 lower-case letters, digits, '.', '_' or '-', starting with a letter", field="username")
    if session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        raise Conflict(f"user {username!r} already exists", field="username")
    check_role_and_agency(session=session, role=role, agency=agency)
    check_unit(network=network, agency=agency, unit=unit)
    check_password(password)
    now = clock.now()
    user = User(
        username=username, display_name=(display_name or username).strip()[:255], email=email, role_code=role,
        agency_code=agency, unit_code=unit, password_hash=hash_password(password), active=True, created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(session, action="user.created", actor=actor, at=now, user_id=user.id, username=username, role=role,
                 agency=agency, unit=unit)
    session.commit()
    return user


def set_password(session: Session, *, username: str, password: str, actor: Actor, clock: Clock) -> User:
    check_password(password)
    user = _get(session, username)
    now = clock.now()
    user.password_hash = hash_password(password)
    # Whoever held the old password may hold a session or token made with it.
    revoke_everything(session, user_id=user.id, now=now)
    audit.record(session, action="user.password_set", actor=actor, at=now, user_id=user.id)
    session.commit()
    return user


def disable_user(session: Session, *, username: str, actor: Actor, clock: Clock) -> User:
    user = _get(session, username)
    now = clock.now()
    user.active = False
    revoke_everything(session, user_id=user.id, now=now)
    audit.record(session, action="user.disabled", actor=actor, at=now, user_id=user.id)
    session.commit()
    return user

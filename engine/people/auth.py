"""Signing in: password logins with rate limits and lockout, server-side sessions, API tokens.

Secrets handed to a client (session cookies, personal API tokens) are 256-bit random strings;
only their SHA-256 digest is stored, so a copy of the database cannot be used to sign in. A
slow hash is not needed for them (unlike passwords): they are not guessable to begin with.

Every login attempt is kept in ``login_attempts``; guessing is throttled by ``throttle``
(per name and address, per address, and per name with a back-off). Unknown account names are
counted and locked exactly like real ones, so neither the answers nor the lockout tell a caller
which names exist.
"""
from __future__ import annotations

import enum
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import audit
from engine.clock import Clock
from engine.db import Base
from engine.errors import InvalidInput, KhumkrongError, NotFound
from engine.people import throttle
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.passwords import hash_password, verify_password
from engine.people.roles import ADMIN_ROLE
from engine.people.throttle import (  # noqa: F401 - the limits, for callers that speak of sign-in
    ACCOUNT_FAILURE_LIMIT,
    ADDRESS_FAILURE_LIMIT,
    FAILURE_WINDOW,
    LOCK_PERIOD,
    NAME_FAILURE_LIMIT,
)

SESSION_IDLE_TIMEOUT = timedelta(hours=2)
SESSION_LIFETIME = timedelta(hours=12)
# Writing last_seen_at on every request would turn every read into a write; a minute is enough.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)

TOKEN_PREFIX = "kkt_"
MAX_TOKEN_LIFETIME = timedelta(days=366)
# Every token expires: one made without an expiry lasts this long (Settings.token_lifetime_days).
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)



@functools.cache
def _dummy_hash() -> str:
    """A valid argon2 hash of a random password: verifying against it when the account does not
    exist costs the same time as a real check, so response time does not reveal account names."""
    return hash_password(secrets.token_urlsafe(16))


class Unauthenticated(KhumkrongError):
    code = "unauthenticated"


class TooManyAttempts(KhumkrongError):
    """Logins are refused for a while; ``retry_after`` says how many seconds."""

    code = "too-many-attempts"


class AttemptOutcome(str, enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    # Refused without checking the password (locked account or address over its limit).
    REFUSED = "refused"
    # Markers: the account name was locked at this moment / unlocked by an administrator.
    LOCKED = "locked"
    UNLOCKED = "unlocked"


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_occurred_at", "username", "occurred_at"),
        Index("ix_login_attempts_client_address_occurred_at", "client_address", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name as typed (lower-cased), whether or not such an account exists.
    username: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]


class AuthSession(Base):
    """A browser's signed-in session: the cookie holds the token, the table its digest."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    """A personal API token (``Authorization: Bearer …``), shown once when created."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so its owner can tell tokens apart in a list.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _normalise(username: str) -> str:
    return username.strip().lower()[:64]


def _anonymous(username: str, client_address: str | None) -> Actor:
    return Actor(user_id=None, username=username or "?", role="anonymous", agency_code=None, client_address=client_address)


def _signed_in_from(session: Session, name: str, client_address: str | None, *, since: datetime) -> bool:
    """Whether this name signed in successfully from this address lately (one of its own)."""
    if client_address is None:
        return False
    found = session.scalar(
        select(LoginAttempt.id).where(
            LoginAttempt.username == name, LoginAttempt.client_address == client_address,
            LoginAttempt.outcome == AttemptOutcome.SUCCESS.value, LoginAttempt.occurred_at > since,
        ).limit(1)
    )
    return found is not None


def authenticate(
    session: Session, *, username: str, password: str, client_address: str | None, clock: Clock
) -> User:
    """Check a password login; every outcome is recorded.

    Raises :class:`TooManyAttempts` while the name at this address, the address, or the name
    (its back-off) is locked, and :class:`Unauthenticated` (one message for every reason) when
    the login fails; both are committed. A success is left for the caller to commit, with the
    session it opens.
    """
    now = clock.now()
    name = _normalise(username)
    who = _anonymous(name, client_address)
    spare_name = _signed_in_from(session, name, client_address, since=now - throttle.KNOWN_ADDRESS_PERIOD)
    place = throttle.reserve(session, username=name, client_address=client_address, count_name=not spare_name, now=now)
    if place.refused is not None:
        scope, until = place.refused
        session.add(LoginAttempt(username=name, client_address=client_address, outcome=AttemptOutcome.REFUSED.value, occurred_at=now))
        audit.record(session, action="auth.login_refused", actor=who, at=now, reason=scope)
        session.commit()
        seconds = max(1, int((until - now).total_seconds()) + 1)
        raise TooManyAttempts(f"too many failed logins; try again in {seconds} seconds", retry_after=seconds)

    # Checked outside any transaction: the counters are already committed, and argon2 is slow.
    user = session.scalar(select(User).where(func.lower(User.username) == name)) if name else None
    valid = verify_password(user.password_hash if user is not None and user.password_hash else _dummy_hash(), password)
    if user is not None and valid and user.active:
        throttle.release(session, place, now=now)
        session.add(LoginAttempt(username=name, client_address=client_address, outcome=AttemptOutcome.SUCCESS.value, occurred_at=now))
        return user

    session.add(LoginAttempt(username=name, client_address=client_address, outcome=AttemptOutcome.FAILURE.value, occurred_at=now))
    audit.record(session, action="auth.login_failed", actor=who, at=now)
    for scope, until in place.locked.items():
        session.add(LoginAttempt(username=name, client_address=client_address, outcome=AttemptOutcome.LOCKED.value, occurred_at=now))
        audit.record(session, action="auth.locked_out", actor=who, at=now, scope=scope, until=until.isoformat())
    session.commit()
    raise Unauthenticated("the user name or password is wrong, or the account is disabled")


def locked_until(session: Session, username: str, *, now: datetime) -> datetime | None:
    """When the last lock on this account name ends, or None if it is not locked."""
    return throttle.locked_until(session, _normalise(username), now=now)


def unlock(session: Session, *, username: str, actor: Actor, clock: Clock) -> None:
    """Lift every lock on a name, from every address (an administrator's command)."""
    now = clock.now()
    throttle.forget(session, _normalise(username))
    session.add(LoginAttempt(username=_normalise(username), client_address=actor.client_address,
                             outcome=AttemptOutcome.UNLOCKED.value, occurred_at=now))
    audit.record(session, action="auth.unlocked", actor=actor, at=now, username=_normalise(username))
    session.commit()


# -- sessions -------------------------------------------------------------------------------


def start_session(
    session: Session, *, user: User, client_address: str | None, user_agent: str | None, clock: Clock
) -> tuple[AuthSession, str]:
    """Open a session for a user who just proved who they are; returns it and its secret."""
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    row = AuthSession(
        token_hash=digest(secret), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=now + SESSION_LIFETIME, client_address=client_address,
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    session.flush()
    audit.record(session, action="auth.login", actor=Actor.of(user, client_address=client_address), at=now,
                 method="password", session_id=row.id)
    session.commit()
    return row, secret


@dataclass(frozen=True)
class Credential:
    """Who a request's secret belongs to, and how it was presented."""

    user: User
    method: str  # "session" or "token"
    credential_id: int


def resolve_session(session: Session, secret: str, *, clock: Clock) -> Credential | None:
    if not secret or len(secret) > 256:
        return None
    now = clock.now()
    # The session and its user in one round trip: every authenticated request pays for this.
    found = session.execute(
        select(AuthSession, User).join(User, User.id == AuthSession.user_id).where(AuthSession.token_hash == digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now or row.last_seen_at + SESSION_IDLE_TIMEOUT <= now:
        return None
    if not user.active:
        return None
    if now - row.last_seen_at >= SESSION_TOUCH_INTERVAL:
        row.last_seen_at = now
        session.commit()
    return Credential(user, "session", row.id)


def end_session(session: Session, *, session_id: int, actor: Actor, clock: Clock) -> None:
    now = clock.now()
    session.execute(
        update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    audit.record(session, action="auth.logout", actor=actor, at=now, session_id=session_id)
    session.commit()


def log_out(session: Session, *, credential: Credential, actor: Actor, clock: Clock) -> None:
    """End what the request signed in with: its session, or the token it presented."""
    if credential.method == "session":
        end_session(session, session_id=credential.credential_id, actor=actor, clock=clock)
        return
    audit.record(session, action="auth.logout", actor=actor, at=clock.now(), token_id=credential.credential_id)
    revoke_token(session, token_id=credential.credential_id, actor=actor, clock=clock)
    session.commit()


# -- personal API tokens --------------------------------------------------------------------


def create_token(
    session: Session, *, user_id: int, name: str, expires_at: datetime | None, actor: Actor, clock: Clock,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
) -> tuple[ApiToken, str]:
    """A new personal token; the secret is returned here and never again.

    Without ``expires_at`` it expires after ``lifetime``: no token works for ever.
    """
    now = clock.now()
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("a token needs a name of 1–100 characters", field="name")
    if expires_at is None:
        expires_at = now + min(lifetime, MAX_TOKEN_LIFETIME)
    if not now < expires_at <= now + MAX_TOKEN_LIFETIME:
        raise InvalidInput("a token must expire within a year from now", field="expires_at")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user_id, name=name, token_hash=digest(secret), hint=secret[: len(TOKEN_PREFIX) + 4],
        created_at=now, expires_at=expires_at, active=True,
    )
    session.add(row)
    session.flush()
    audit.record(session, action="auth.token_created", actor=actor, at=now, token_id=row.id, name=name)
    session.commit()
    return row, secret


def resolve_token(session: Session, secret: str, *, clock: Clock) -> Credential | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 256:
        return None
    now = clock.now()
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == digest(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    if not row.active or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= SESSION_TOUCH_INTERVAL:
        row.last_used_at = now
        session.commit()
    return Credential(user, "token", row.id)


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, *, token_id: int, actor: Actor, clock: Clock) -> ApiToken:
    """Revoke one of the actor's own tokens (an administrator may revoke anyone's)."""
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.user_id and actor.role != ADMIN_ROLE):
        # Someone else's token is reported exactly like a missing one.
        raise NotFound(f"token {token_id} not found", field="token_id")
    if row.active:
        now = clock.now()
        row.active = False
        row.revoked_at = now
        audit.record(session, action="auth.token_revoked", actor=actor, at=now, token_id=row.id, owner_id=row.user_id)
        session.commit()
    return row


def revoke_everything(session: Session, *, user_id: int, now: datetime) -> None:
    """End every session and token of a user (disabled account, changed password)."""
    session.execute(
        update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.active.is_(True)).values(active=False, revoked_at=now)
    )

"""Queueing notifications, inside the caller's transaction.

Nothing here commits or rolls back: a message is written with the change that causes it, so
it exists exactly when that change does, and a rolled-back change leaves no message behind.

Duplicates are refused twice over. ``enqueue`` first looks for the dedupe key (cheap, and it
spares rendering), then inserts with ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING`` on both
SQLite and PostgreSQL. Two transactions racing on the same key therefore never raise: the
second one's insert waits for the first (PostgreSQL waits on the unique index entry, SQLite on
the write lock), then does nothing, and ``enqueue`` returns None. The caller's transaction is
never put into an error state by a duplicate, so callers need no retry or savepoint for it.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.db import is_postgres
from engine.notify.models import OutboxMessage, OutboxStatus
from engine.notify.rendering import render
from engine.people.models import User

log = logging.getLogger(__name__)

MESSAGE_ID_DOMAIN = "khumkrong"


def message_id_for(dedupe_key: str) -> str:
    """The RFC 5322 Message-ID of a message, the same every time it is (re)sent.

    A hash rather than the key itself: keys name internal ids, which have no business in a
    header that travels to other organisations' mail systems.
    """
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def _deliverable_address(recipient: User) -> str | None:
    address = (recipient.email or "").strip()
    if not address:
        return None
    # One bare address only: anything with spaces, commas or line breaks would become extra
    # recipients or extra headers at send time.
    if "@" not in address or any(ch.isspace() or ch in ",;<>\"" for ch in address):
        log.warning("user %s has an unusable e-mail address; no notification queued", recipient.id)
        return None
    return address


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: User,
    context: Mapping[str, Any],
    dedupe_key: str,
    now: datetime,
    case_id: int | None = None,
) -> OutboxMessage | None:
    """Queue one message to one person; None when there is nobody to send it to or it exists.

    ``context`` is checked against what the kind may say (see ``rendering``); a key outside that
    raises ``ContextNotAllowed``, since it is a programming error that must not reach a mailbox.
    """
    if not recipient.active:
        return None
    address = _deliverable_address(recipient)
    if address is None:
        return None
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    now = as_utc(now)
    subject, body = render(kind, {**context, "recipient_name": recipient.display_name})
    insert = pg_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(
            kind=kind,
            dedupe_key=dedupe_key,
            recipient_id=recipient.id,
            recipient_address=address,
            subject=subject,
            body_text=body,
            case_id=case_id,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            message_id=message_id_for(dedupe_key),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage)
    )
    return session.scalars(statement).first()


def notify_agency(
    session: Session,
    *,
    kind: str,
    agency_code: str,
    roles: tuple[str, ...],
    context: Mapping[str, Any],
    dedupe_key_prefix: str,
    now: datetime,
    case_id: int | None = None,
    admitted: ColumnElement[bool] | None = None,
) -> int:
    """One message to each active member of the agency holding one of ``roles`` (and, with
    ``admitted``, meeting that condition on users); how many were queued."""
    if isinstance(roles, str):
        # in_() would iterate the letters of a lone role code and quietly match nobody.
        raise TypeError("roles must be a tuple of role codes, not a string")
    if not roles:
        return 0
    members = session.scalars(
        select(User)
        .where(User.agency_code == agency_code, User.role_code.in_(roles), User.active.is_(True))
        .where(true() if admitted is None else admitted)
        .order_by(User.id)
    ).all()
    queued = 0
    for member in members:
        message = enqueue(
            session, kind=kind, recipient=member, context=context,
            dedupe_key=f"{dedupe_key_prefix}:user:{member.id}", now=now, case_id=case_id,
        )
        queued += message is not None
    return queued

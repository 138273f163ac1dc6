"""Draining the outbox over SMTP: every message delivered, none twice but in one narrow window.

One message at a time goes through three short steps, each its own transaction or none:

1. **Claim** (commit): the oldest due row (``pending``, or ``sending`` whose lease has lapsed)
   becomes ``sending`` with ``locked_until = now + lease`` and ``attempts + 1``. On PostgreSQL
   the candidate is read ``FOR UPDATE SKIP LOCKED`` so several senders share the queue without
   waiting on each other; on every database the claim is an ``UPDATE … WHERE <still due>``, so
   of two senders that saw the same row only one changes it.
2. **Send** (no transaction open): SMTP to the configured server.
3. **Record** (commit): ``sent`` as soon as the server has accepted the message, or back to
   ``pending`` with a backoff, or ``failed``. The update is fenced on ``status = 'sending'`` and
   the claim's ``attempts``, so a sender whose lease was taken over cannot overwrite the newer
   claim's outcome.

A crash between 1 and 3 leaves the row ``sending`` under its lease; once the lease lapses any
run takes it again. Because ``sent`` is committed right after each acceptance, a crash part-way
through a batch resends nothing that was already recorded.

**The one window that remains**: the server accepted the message (or accepted it but its reply
was lost to a timeout or a dropped connection) and the process died, or the database refused
the commit, before step 3. The row is then still ``sending``; after the lease it is sent again.
No ordering of a database and an SMTP server closes this window, since they share no
transaction. It is as short as one commit, and what limits the harm is the ``Message-ID``: it is
derived from the dedupe key, the same on every attempt, as is the ``Date`` (the message's
creation time), so the copy has the same headers and body, and a receiving system that
de-duplicates by Message-ID (many mail stores and list managers can) drops it.

The lease must outlast one send. Each SMTP command may take up to ``smtp_timeout_seconds``
and a send is at most eight of them (connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA), so
a lease shorter than eight timeouts is refused.

Retries: ``next_attempt_at = now + 1 min × 2^(attempts − 1)``, at most 1 h (1, 2, 4, 8, 16, 32,
60, 60 … minutes); after ``MAX_ATTEMPTS`` (12: eleven waits, about six hours of trying, enough to ride
out an overnight mail-server outage) the row is ``failed``. A 5xx refusal of the recipient
or of the message data is permanent by RFC 5321 and fails at once: repeating it only delays the
administrator's finding out. A 5xx to MAIL FROM is treated as temporary, being a fault of our
configuration rather than of the message. When the server cannot be reached at all, the
message in hand is rescheduled and the run stops, so an outage does not burn an attempt of
every queued message on each run.

Every instant comes from the injected clock.
"""
from __future__ import annotations

import email.policy
import email.utils
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, as_utc
from engine.db import is_postgres
from engine.notify.models import OutboxMessage, OutboxStatus
from engine.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# Commands in one send, each bounded by the socket timeout (see the module docstring).
COMMANDS_PER_SEND = 8
LAST_ERROR_MAX_CHARS = 2000

PENDING = OutboxStatus.PENDING.value
SENDING = OutboxStatus.SENDING.value
SENT = OutboxStatus.SENT.value
FAILED = OutboxStatus.FAILED.value


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Claim:
    id: int
    recipient_address: str
    subject: str
    body_text: str
    message_id: str
    created_at: datetime
    attempts: int


class _Unreachable(Exception):
    """No connection to the SMTP server at all: nothing about this message in particular."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"cannot reach the SMTP server: {_describe(cause)}")
        self.cause = cause


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    # The exponent is bounded before multiplying: 2**60 minutes overflows timedelta.
    return min(BACKOFF_BASE * 2 ** min(max(attempts - 1, 0), 16), BACKOFF_CAP)


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:LAST_ERROR_MAX_CHARS]


def _is_permanent(error: BaseException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    # A message the e-mail library cannot even compose will not compose next time either.
    return isinstance(error, ValueError)


def _due(now: datetime):
    return and_(
        OutboxMessage.status.in_((PENDING, SENDING)),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
    )


def _claim(
    session_factory: sessionmaker[Session], *, now: datetime, lease: timedelta, skip: list[int]
) -> _Claim | None:
    with session_factory() as session, session.begin():
        postgres = is_postgres(session)
        while True:
            candidate = (
                select(OutboxMessage.id)
                .where(_due(now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
            )
            if skip:
                candidate = candidate.where(OutboxMessage.id.not_in(skip))
            if postgres:
                candidate = candidate.with_for_update(skip_locked=True)
            row_id = session.scalar(candidate)
            if row_id is None:
                return None
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, _due(now))
                .values(status=SENDING, locked_until=now + lease, attempts=OutboxMessage.attempts + 1)
                .returning(
                    OutboxMessage.id, OutboxMessage.recipient_address, OutboxMessage.subject,
                    OutboxMessage.body_text, OutboxMessage.message_id, OutboxMessage.created_at,
                    OutboxMessage.attempts,
                )
                .execution_options(synchronize_session=False)
            ).first()
            if claimed is not None:
                return _Claim(*claimed)
            # Another sender claimed it between our read and our update; the next candidate
            # query no longer sees it, so this loop ends.


def _settle(
    session_factory: sessionmaker[Session], claim: _Claim, **values: object
) -> bool:
    with session_factory() as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == claim.id,
                OutboxMessage.status == SENDING,
                OutboxMessage.attempts == claim.attempts,
            )
            .values(locked_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return cast(CursorResult[Any], result).rowcount == 1


def _compose(claim: _Claim, settings: Settings) -> EmailMessage:
    # policy.SMTP: CRLF line ends, RFC 2047 encoding of the Thai subject, and a refusal of any
    # header value with a line break (a second guard behind rendering's one-line subjects).
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = settings.smtp_from
    message["To"] = claim.recipient_address
    message["Subject"] = claim.subject
    message["Date"] = email.utils.format_datetime(as_utc(claim.created_at))
    message["Message-ID"] = claim.message_id
    # RFC 3834: out-of-office responders must not answer a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(claim.body_text, charset="utf-8")
    return message


class _Mailer:
    """One SMTP connection, opened on first use and reused while it answers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.envelope_from = email.utils.parseaddr(settings.smtp_from)[1] or settings.smtp_from
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            connection = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
        except (OSError, smtplib.SMTPException) as error:
            raise _Unreachable(error) from error
        try:
            connection.ehlo()
            if settings.smtp_starttls:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if settings.smtp_username:
                connection.login(settings.smtp_username, settings.smtp_password or "")
        except (OSError, smtplib.SMTPException) as error:
            connection.close()
            raise _Unreachable(error) from error
        return connection

    def _ready(self) -> smtplib.SMTP:
        if self.connection is not None:
            try:
                # Servers drop idle connections; finding out now costs one round trip, finding
                # out in the middle of a message costs an attempt.
                if self.connection.noop()[0] == 250:
                    return self.connection
            except (OSError, smtplib.SMTPException):
                pass
            self.discard()
        self.connection = self._connect()
        return self.connection

    def send(self, message: EmailMessage, recipient: str) -> None:
        connection = self._ready()
        try:
            connection.send_message(message, from_addr=self.envelope_from, to_addrs=[recipient])
        except BaseException:
            # After a failure the dialogue's state is unknown; start the next message afresh.
            self.discard()
            raise

    def discard(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.close()
        finally:
            self.connection = None

    def quit(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            self.discard()


def _check(settings: Settings, lease: timedelta, limit: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    longest_send = timedelta(seconds=settings.smtp_timeout_seconds * COMMANDS_PER_SEND)
    if lease < longest_send:
        raise ValueError(
            f"a lease of {lease} is shorter than one send may take ({longest_send}); "
            "another sender could take over a message still being sent"
        )
    if settings.smtp_username and not settings.smtp_starttls:
        raise ValueError("refusing to send SMTP credentials without STARTTLS")
    # Checked before claiming: a From that cannot be composed would otherwise count as a
    # permanent fault of every message in turn and fail the whole queue.
    sender = email.utils.parseaddr(settings.smtp_from)[1]
    if "@" not in sender or any(ch in settings.smtp_from for ch in "\r\n"):
        raise ValueError("smtp_from is not a usable sender address")


def deliver_pending(
    session_factory: sessionmaker[Session],
    *,
    settings: Settings,
    clock: Clock,
    limit: int = 100,
    lease: timedelta = timedelta(minutes=5),
) -> DeliveryReport:
    """Send up to ``limit`` due messages, one at a time; how many were sent, rescheduled, given up."""
    _check(settings, lease, limit)
    sent = retried = failed = 0
    # Each message at most once per run, even if its backoff is already over.
    tried: list[int] = []
    mailer = _Mailer(settings)
    try:
        while len(tried) < limit:
            claim = _claim(session_factory, now=clock.now(), lease=lease, skip=tried)
            if claim is None:
                break
            tried.append(claim.id)
            try:
                mailer.send(_compose(claim, settings), claim.recipient_address)
            except (_Unreachable, OSError, smtplib.SMTPException, ValueError) as error:
                cause = error.cause if isinstance(error, _Unreachable) else error
                give_up = _is_permanent(cause) or claim.attempts >= MAX_ATTEMPTS
                now = clock.now()
                described = str(error) if isinstance(error, _Unreachable) else _describe(error)
                values: dict[str, object] = {"last_error": described}
                if give_up:
                    values["status"] = FAILED
                else:
                    values.update(status=PENDING, next_attempt_at=now + backoff(claim.attempts))
                if _settle(session_factory, claim, **values):
                    failed += give_up
                    retried += not give_up
                log.warning(
                    "outbox message %s attempt %s %s: %s",
                    claim.id, claim.attempts, "failed for good" if give_up else "will be retried", described,
                )
                if isinstance(error, _Unreachable):
                    break
                continue
            if _settle(session_factory, claim, status=SENT, sent_at=clock.now(), last_error=None):
                sent += 1
            else:
                log.error(
                    "outbox message %s was taken over by another sender while being sent; "
                    "it may arrive twice (same Message-ID)", claim.id,
                )
    finally:
        mailer.quit()
    return DeliveryReport(sent=sent, retried=retried, failed=failed)

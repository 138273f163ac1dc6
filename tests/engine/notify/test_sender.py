"""The SMTP sender against a real server on loopback: delivery, retries, refusals, concurrency."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.notify.models import OutboxMessage
from engine.notify.outbox import enqueue, notify_agency
from engine.notify.sender import MAX_ATTEMPTS, DeliveryReport, deliver_pending
from tests.engine.notify.conftest import SENDER, add_person

CONTEXT = {"case_reference": "TAK-2026-000001", "task_label": "รับแจ้งเหตุ"}


def _rows(session_factory) -> list[OutboxMessage]:
    with session_factory() as session:
        return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _queue(session, clock, count: int, *, prefix: str = "m") -> list[OutboxMessage]:
    people = [add_person(session, f"{prefix}.person{n}", email_address=f"{prefix}{n}@tak.example") for n in range(3)]
    messages = [
        enqueue(
            session, kind="work_item.assigned", recipient=people[n % 3],
            context={"case_reference": f"TAK-2026-{n + 1:06d}", "task_label": "เยี่ยมบ้าน"},
            dedupe_key=f"{prefix}:{n}", now=clock.now(),
        )
        for n in range(count)
    ]
    session.commit()
    return messages


def test_queued_messages_arrive_complete_and_are_marked_sent(session, session_factory, clock, smtp_server):
    smtp_server.start()
    add_person(session, "w1", email_address="w1@tak.example")
    add_person(session, "w2", email_address="w2@tak.example")
    supervisor = add_person(session, "sup", email_address="sup@tak.example", role="supervisor")
    notify_agency(
        session, kind="work_item.new", agency_code="spm_tak", roles=("case_worker",), context=CONTEXT,
        dedupe_key_prefix="work_item:1:new", now=clock.now(),
    )
    enqueue(
        session, kind="escalation.raised", recipient=supervisor,
        context={"case_reference": "TAK-2026-000001", "task_label": "รับแจ้งเหตุ", "level": 1, "reason": "overdue"},
        dedupe_key="escalation:1:level:1", now=clock.now(),
    )
    session.commit()
    clock.advance(timedelta(seconds=30))

    report = deliver_pending(session_factory, settings=smtp_server.settings, clock=clock)

    assert report == DeliveryReport(sent=3, retried=0, failed=0)
    rows = _rows(session_factory)
    assert [(r.status, r.attempts, r.sent_at, r.locked_until) for r in rows] == [("sent", 1, clock.now(), None)] * 3
    received = {r.message["Message-ID"]: r for r in smtp_server.handler.received}
    assert set(received) == {r.message_id for r in rows}
    for row in rows:
        got = received[row.message_id]
        message = got.message
        assert got.rcpt_tos == [row.recipient_address]
        assert got.mail_from == SENDER
        assert message["To"] == row.recipient_address
        assert message["Subject"] == row.subject
        assert message["Auto-Submitted"] == "auto-generated"
        assert message.get_content_charset() == "utf-8"
        # On the wire lines end in CRLF, as SMTP requires.
        body = message.get_content().replace("\r\n", "\n")
        assert body == row.body_text
        assert body.index("เรียน") < body.index("Dear")
        # Thai travels RFC 2047-encoded in the headers, which stay 7-bit.
        headers = got.raw.split(b"\r\n\r\n", 1)[0]
        assert headers.isascii()
        assert b"=?utf-8?" in headers.lower()
    assert received[rows[2].message_id].message["Subject"].startswith("[คุ้มครอง] แจ้งการยกระดับขั้นที่ 1")

    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport()
    assert len(smtp_server.handler.received) == 3


def test_a_forged_header_in_a_label_goes_nowhere(session, session_factory, clock, smtp_server):
    smtp_server.start()
    worker = add_person(session, "w1", email_address="w1@tak.example")
    enqueue(
        session, kind="work_item.assigned", recipient=worker,
        context={"case_reference": "TAK-2026-000001", "task_label": "เยี่ยมบ้าน\r\nBcc: intruder@elsewhere.example\r\n\r\nหลอก"},
        dedupe_key="k", now=clock.now(),
    )
    session.commit()
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock).sent == 1
    [got] = smtp_server.handler.received
    assert got.rcpt_tos == ["w1@tak.example"]
    assert got.message["Bcc"] is None
    assert got.message["Subject"].endswith("เยี่ยมบ้าน Bcc: intruder@elsewhere.example หลอก")


def test_server_down_backs_off_then_delivers_exactly_once(session, session_factory, clock, smtp_server):
    [message] = _queue(session, clock, 1)
    claimed_at = clock.now()

    # Nothing listens on the port yet.
    report = deliver_pending(session_factory, settings=smtp_server.settings, clock=clock)

    assert report == DeliveryReport(sent=0, retried=1, failed=0)
    [row] = _rows(session_factory)
    assert (row.status, row.attempts, row.locked_until, row.sent_at) == ("pending", 1, None, None)
    assert row.next_attempt_at == claimed_at + timedelta(minutes=1)
    assert "ConnectionRefusedError" in row.last_error

    smtp_server.start()
    clock.advance(timedelta(seconds=59))
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport()
    assert smtp_server.handler.received == []

    clock.advance(timedelta(seconds=1))
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport(sent=1)
    clock.advance(timedelta(hours=2))
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport()

    assert smtp_server.handler.message_ids() == [message.message_id]
    [row] = _rows(session_factory)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 2, clock.now() - timedelta(hours=2), None)


def test_an_unreachable_server_costs_one_attempt_per_run_not_one_per_message(session, session_factory, clock, smtp_server):
    _queue(session, clock, 5)
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport(retried=1)
    assert [r.attempts for r in _rows(session_factory)] == [1, 0, 0, 0, 0]


def test_temporary_refusals_back_off_exponentially_up_to_a_cap_then_give_up(session, session_factory, clock, smtp_server):
    smtp_server.start()
    smtp_server.handler.refuse_data_with = "451 4.3.0 Mailbox busy"
    _queue(session, clock, 1)

    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        now = clock.now()
        assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport(retried=1)
        [row] = _rows(session_factory)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "451" in row.last_error
        waits.append(row.next_attempt_at - now)
        # Not a moment early.
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport()
        clock.set(row.next_attempt_at)

    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60)]
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport(failed=1)
    [row] = _rows(session_factory)
    assert (row.status, row.attempts, row.sent_at) == ("failed", MAX_ATTEMPTS, None)

    smtp_server.handler.refuse_data_with = None
    clock.advance(timedelta(days=1))
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock) == DeliveryReport()
    assert smtp_server.handler.received == []


def test_a_permanently_refused_recipient_fails_at_once_and_the_batch_goes_on(session, session_factory, clock, smtp_server):
    smtp_server.start()
    smtp_server.handler.refuse_recipients["m0@tak.example"] = "550 5.1.1 No such user"
    messages = _queue(session, clock, 3)

    report = deliver_pending(session_factory, settings=smtp_server.settings, clock=clock)

    assert report == DeliveryReport(sent=2, failed=1)
    rows = _rows(session_factory)
    assert [(r.status, r.attempts) for r in rows] == [("failed", 1), ("sent", 1), ("sent", 1)]
    assert "550" in rows[0].last_error
    assert sorted(smtp_server.handler.message_ids()) == sorted(m.message_id for m in messages[1:])


def test_limit_bounds_one_run(session, session_factory, clock, smtp_server):
    smtp_server.start()
    _queue(session, clock, 5)
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock, limit=2) == DeliveryReport(sent=2)
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock, limit=10) == DeliveryReport(sent=3)


def test_unsafe_configuration_is_refused(session_factory, clock, smtp_server):
    settings = smtp_server.settings
    with pytest.raises(ValueError, match="lease"):
        deliver_pending(session_factory, settings=settings, clock=clock, lease=timedelta(seconds=30))
    with pytest.raises(ValueError, match="STARTTLS"):
        deliver_pending(
            session_factory, settings=settings.model_copy(update={"smtp_username": "khumkrong", "smtp_password": "x"}),
            clock=clock,
        )
    for sender in ("khumkrong", "khumkrong@tak.example\r\nBcc: intruder@elsewhere.example"):
        with pytest.raises(ValueError, match="smtp_from"):
            deliver_pending(session_factory, settings=settings.model_copy(update={"smtp_from": sender}), clock=clock)


def _two_senders_at_once(factory, clock, smtp_server) -> None:
    smtp_server.start()
    with factory() as session:
        messages = _queue(session, clock, 24)
    barrier = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []

    def sender() -> None:
        barrier.wait()
        try:
            reports.append(deliver_pending(factory, settings=smtp_server.settings, clock=clock))
        except BaseException as error:  # reported to the main thread's assertions
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(r.sent for r in reports) == 24
    counts = Counter(smtp_server.handler.message_ids())
    assert counts == Counter({m.message_id: 1 for m in messages})
    assert {r.status for r in _rows(factory)} == {"sent"}


def test_two_senders_at_once_send_each_message_once(session, session_factory, clock, smtp_server):
    # `session` only loads the network; the senders open their own sessions.
    _two_senders_at_once(session_factory, clock, smtp_server)


@pytest.mark.postgres
def test_two_senders_share_the_queue_on_postgresql(postgres_session_factory, clock, smtp_server):
    _two_senders_at_once(postgres_session_factory, clock, smtp_server)

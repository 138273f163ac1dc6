"""Queueing messages inside the caller's transaction: who gets one, and never the same one twice."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from engine.notify.models import OutboxMessage
from engine.notify.outbox import enqueue, message_id_for, notify_agency
from engine.notify.rendering import ContextNotAllowed
from tests.engine.notify.conftest import add_person

CONTEXT = {"case_reference": "TAK-2026-000001", "task_label": "รับแจ้งเหตุ"}


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_enqueue_renders_and_schedules_the_message_now(session, clock):
    worker = add_person(session, "somchai", email_address=" somchai@tak.example ")
    message = enqueue(
        session, kind="work_item.assigned", recipient=worker, context=CONTEXT,
        dedupe_key="work_item:7:assigned:1", now=clock.now(),
    )
    session.commit()

    stored = session.get(OutboxMessage, message.id)
    assert (stored.kind, stored.recipient_id, stored.recipient_address) == ("work_item.assigned", worker.id, "somchai@tak.example")
    assert (stored.status, stored.attempts, stored.locked_until, stored.sent_at) == ("pending", 0, None, None)
    assert stored.created_at == stored.next_attempt_at == clock.now()
    assert "TAK-2026-000001" in stored.subject and "รับแจ้งเหตุ" in stored.subject
    assert stored.body_text.startswith(f"เรียน {worker.display_name}\n")


def test_message_id_is_stable_rfc5322_and_reveals_nothing_of_the_key(session, clock):
    worker = add_person(session, "somchai", email_address="somchai@tak.example")
    message = enqueue(session, kind="work_item.assigned", recipient=worker, context=CONTEXT, dedupe_key="work_item:7:assigned:1", now=clock.now())
    assert message.message_id == message_id_for("work_item:7:assigned:1")
    assert re.fullmatch(r"<[0-9a-f]{32}@khumkrong>", message.message_id)
    assert message_id_for("work_item:7:assigned:1") != message_id_for("work_item:7:assigned:2")


def test_enqueue_leaves_committing_to_the_caller(session, clock):
    worker = add_person(session, "somchai", email_address="somchai@tak.example")
    session.commit()
    enqueue(session, kind="work_item.assigned", recipient=worker, context=CONTEXT, dedupe_key="k", now=clock.now())
    session.rollback()
    assert _count(session) == 0


def test_nobody_to_send_to_queues_nothing(session, clock):
    inactive = add_person(session, "gone", email_address="gone@tak.example", active=False)
    no_address = add_person(session, "paper", email_address=None)
    blank = add_person(session, "blank", email_address="  ")
    two_addresses = add_person(session, "two", email_address="a@tak.example, b@elsewhere.example")
    header = add_person(session, "header", email_address="a@tak.example\r\nBcc: b@elsewhere.example")
    for person in (inactive, no_address, blank, two_addresses, header):
        assert enqueue(
            session, kind="work_item.assigned", recipient=person, context=CONTEXT,
            dedupe_key=f"k:{person.id}", now=clock.now(),
        ) is None
    assert _count(session) == 0


def test_the_same_dedupe_key_queues_once(session, clock):
    worker = add_person(session, "somchai", email_address="somchai@tak.example")
    first = enqueue(session, kind="work_item.assigned", recipient=worker, context=CONTEXT, dedupe_key="same", now=clock.now())
    session.commit()
    clock.advance(timedelta(minutes=5))
    again = enqueue(session, kind="work_item.new", recipient=worker, context=CONTEXT, dedupe_key="same", now=clock.now())
    session.commit()
    assert first is not None and again is None
    assert _count(session) == 1


def test_a_context_with_child_data_raises_and_queues_nothing(session, clock):
    worker = add_person(session, "somchai", email_address="somchai@tak.example")
    with pytest.raises(ContextNotAllowed):
        enqueue(
            session, kind="work_item.new", recipient=worker,
            context={**CONTEXT, "child_name": "เด็กชายต้น"}, dedupe_key="k", now=clock.now(),
        )
    assert _count(session) == 0


def test_a_racing_duplicate_does_nothing_and_leaves_the_other_transaction_usable(session_factory, session, clock):
    """The second insert reaches the database after its existence check passed; ON CONFLICT
    DO NOTHING must absorb it without an IntegrityError that would doom the caller's work."""
    worker = add_person(session, "somchai", email_address="somchai@tak.example")
    session.commit()
    inserting = threading.Event()
    outcome: dict[str, object] = {}

    def second_caller() -> None:
        with session_factory() as other:
            @event.listens_for(other.connection(), "before_cursor_execute")
            def _announce(conn, cursor, statement, parameters, context, executemany):
                if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGES"):
                    inserting.set()

            person = other.get(type(worker), worker.id)
            try:
                outcome["message"] = enqueue(
                    other, kind="work_item.assigned", recipient=person, context=CONTEXT,
                    dedupe_key="race", now=clock.now(),
                )
                # The caller's own transaction goes on and commits.
                person.display_name = "still usable"
                other.commit()
            except Exception as error:  # reported to the main thread's assertions
                outcome["error"] = error

    first = enqueue(session, kind="work_item.assigned", recipient=worker, context=CONTEXT, dedupe_key="race", now=clock.now())
    assert first is not None
    thread = threading.Thread(target=second_caller)
    thread.start()
    # Its check ran before this commit, so it cannot have seen the row: it is past the check.
    assert inserting.wait(timeout=30)
    session.commit()
    thread.join(timeout=30)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["message"] is None
    session.expire_all()
    assert _count(session) == 1
    assert session.get(type(worker), worker.id).display_name == "still usable"


def test_notify_agency_reaches_active_holders_of_the_roles_with_an_address(session, clock):
    worker_1 = add_person(session, "w1", email_address="w1@tak.example")
    worker_2 = add_person(session, "w2", email_address="w2@tak.example")
    supervisor = add_person(session, "sup", email_address="sup@tak.example", role="supervisor")
    add_person(session, "w3.gone", email_address="w3@tak.example", active=False)
    add_person(session, "w4.paper", email_address=None)
    add_person(session, "social", email_address="social@tak.example", agency="pmj_tak")

    count = notify_agency(
        session, kind="work_item.new", agency_code="spm_tak", roles=("case_worker", "supervisor"),
        context=CONTEXT, dedupe_key_prefix="work_item:9:new", now=clock.now(), case_id=None,
    )
    session.commit()

    rows = session.execute(select(OutboxMessage.recipient_id, OutboxMessage.dedupe_key).order_by(OutboxMessage.recipient_id)).all()
    assert count == 3
    assert rows == [(p.id, f"work_item:9:new:user:{p.id}") for p in (worker_1, worker_2, supervisor)]

    assert notify_agency(
        session, kind="work_item.new", agency_code="spm_tak", roles=("case_worker", "supervisor"),
        context=CONTEXT, dedupe_key_prefix="work_item:9:new", now=clock.now(),
    ) == 0
    assert notify_agency(
        session, kind="work_item.new", agency_code="spm_tak", roles=("supervisor",),
        context=CONTEXT, dedupe_key_prefix="work_item:10:new", now=clock.now(),
    ) == 1


def test_notify_agency_refuses_a_bare_role_string(session, clock):
    with pytest.raises(TypeError):
        notify_agency(
            session, kind="work_item.new", agency_code="spm_tak", roles="supervisor",
            context=CONTEXT, dedupe_key_prefix="p", now=clock.now(),
        )

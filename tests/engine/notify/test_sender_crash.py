"""A sender killed part-way through a batch loses nothing and sends nothing twice.

The sender runs in a subprocess against the test's database (a SQLite file under tmp_path, or
the configured PostgreSQL database) and the loopback SMTP server. To be deterministic the kill
happens *between* acceptances: after the server has accepted K messages it holds the sender
inside the DATA of message K+1 without accepting it. Then the sender has committed K rows as
`sent` and claimed the next one, and SIGKILL lands where a real crash mid-send would. A kill
after the server accepted but before the `sent` commit is the documented window in
engine.notify.sender, which a test can only make happen, not rule out.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from engine.notify.models import OutboxMessage
from engine.notify.outbox import enqueue
from engine.notify.sender import DeliveryReport, deliver_pending
from engine.settings import PROJECT_ROOT
from tests.engine.notify.conftest import add_person

BATCH = 30
ACCEPTED_BEFORE_KILL = 12
LEASE = timedelta(minutes=5)


def test_restart_after_sigkill_mid_batch_delivers_every_message_exactly_once(
    session, session_factory, database_url, clock, smtp_server
):
    people = [add_person(session, f"p{n}", email_address=f"p{n}@tak.example") for n in range(5)]
    messages = [
        enqueue(
            session, kind="work_item.new", recipient=people[n % 5],
            context={"case_reference": f"TAK-2026-{n + 1:06d}", "task_label": "รับแจ้งเหตุ"},
            dedupe_key=f"work_item:{n}:new", now=clock.now(),
        )
        for n in range(BATCH)
    ]
    session.commit()
    smtp_server.handler.block_after = ACCEPTED_BEFORE_KILL
    smtp_server.start()

    process = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.notify.sender_process", database_url, str(smtp_server.port), clock.now().isoformat()],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert smtp_server.handler.blocked.wait(timeout=60), process.stderr.read1().decode() if process.poll() is not None else "never blocked"
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    # The held message is refused to a connection nobody reads any more.
    smtp_server.handler.release.set()
    smtp_server.handler.block_after = None

    with session_factory() as check:
        rows = check.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    statuses = Counter(r.status for r in rows)
    assert statuses == Counter(sent=ACCEPTED_BEFORE_KILL, sending=1, pending=BATCH - ACCEPTED_BEFORE_KILL - 1)
    [orphan] = [r for r in rows if r.status == "sending"]
    assert (orphan.attempts, orphan.locked_until) == (1, clock.now() + LEASE)
    assert len(smtp_server.handler.received) == ACCEPTED_BEFORE_KILL

    # A restart within the lease sends the rest but keeps its hands off the orphan.
    report = deliver_pending(session_factory, settings=smtp_server.settings, clock=clock, lease=LEASE)
    assert report == DeliveryReport(sent=BATCH - ACCEPTED_BEFORE_KILL - 1)
    assert orphan.message_id not in smtp_server.handler.message_ids()

    clock.advance(LEASE - timedelta(seconds=1))
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock, lease=LEASE) == DeliveryReport()
    clock.advance(timedelta(seconds=1))
    assert deliver_pending(session_factory, settings=smtp_server.settings, clock=clock, lease=LEASE) == DeliveryReport(sent=1)

    arrived = Counter(smtp_server.handler.message_ids())
    assert arrived == Counter({m.message_id: 1 for m in messages})
    with session_factory() as check:
        rows = check.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {r.status for r in rows} == {"sent"}
    assert [r.attempts for r in rows if r.id == orphan.id] == [2]

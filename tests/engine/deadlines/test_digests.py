"""Daily digests of overdue work: one per person per Thai day, references and labels only."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine.deadlines.digests import queue_daily_digests
from engine.notify.models import OutboxMessage
from tests.conftest import START
from tests.engine.notify.conftest import add_case, add_person, add_protocol_version, add_work_item

TAK = timezone(timedelta(hours=7))
CHILD_NAME = "เด็กหญิงมะลิ แสนดี"
CHILD_NOTE = "ถูกทำร้ายที่บ้าน"


def _digests(session) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by(OutboxMessage.id)).all()


def test_daily_digest_of_overdue_items(session, clock):
    version = add_protocol_version(session)
    late = add_person(session, "late", email_address="late@tak.example")
    on_time = add_person(session, "on.time", email_address="ontime@tak.example")
    gone = add_person(session, "gone", email_address="gone@tak.example", active=False)
    paper = add_person(session, "paper", email_address=None)
    # What a case holds about the child is in its workflow state; the digest must never reach it.
    secret = json.dumps({"data": {"child_name": CHILD_NAME, "notes": CHILD_NOTE}}, ensure_ascii=False)
    cases = [add_case(session, version, f"TAK-2026-00000{n}", state_json=secret) for n in range(1, 7)]
    broken = add_case(session, version, "TAK-2026-000099", state_json=secret, status="error")

    now = clock.now()
    add_work_item(session, cases[0], label="รับแจ้งเหตุ", due_at=now - timedelta(days=2), assignee=late)
    add_work_item(session, cases[1], label="เยี่ยมบ้าน", due_at=now - timedelta(hours=5), assignee=late, state="claimed")
    add_work_item(session, cases[2], label="ประชุมทีมสหวิชาชีพ", due_at=now - timedelta(minutes=30), assignee=late)
    # Not overdue, not live, not in an active case, or not anyone's: none of these may appear.
    add_work_item(session, cases[3], label="ไม่ถึงกำหนด", due_at=now + timedelta(hours=1), assignee=late)
    add_work_item(session, cases[4], label="เสร็จแล้ว", due_at=now - timedelta(days=3), assignee=late, state="completed")
    add_work_item(session, cases[4], label="ไม่มีกำหนด", due_at=None, assignee=late)
    add_work_item(session, broken, label="เรื่องค้าง", due_at=now - timedelta(days=1), assignee=late)
    add_work_item(session, cases[5], label="คิวหน่วยงาน", due_at=now - timedelta(days=1), assignee=None)
    add_work_item(session, cases[5], label="ของคนอื่น", due_at=now + timedelta(days=1), assignee=on_time)
    add_work_item(session, cases[5], label="คนลาออก", due_at=now - timedelta(days=1), assignee=gone)
    add_work_item(session, cases[5], label="ไม่มีอีเมล", due_at=now - timedelta(days=1), assignee=paper)
    session.commit()

    assert queue_daily_digests(session=session, now=now) == 1
    session.commit()

    [digest] = _digests(session)
    assert (digest.recipient_id, digest.recipient_address) == (late.id, "late@tak.example")
    assert digest.dedupe_key == f"digest:{late.id}:2026-11-30"
    assert digest.case_id is None
    body = digest.body_text
    # Oldest first, with due time in Thai style and how late, in both languages.
    assert "1. TAK-2026-000001 รับแจ้งเหตุ\n   ครบกำหนด 28 พ.ย. 2569 09:00 น. (เกินมาแล้ว 2 วัน)" in body
    assert "2. TAK-2026-000002 เยี่ยมบ้าน\n   ครบกำหนด 30 พ.ย. 2569 04:00 น. (เกินมาแล้ว 5 ชั่วโมง)" in body
    assert "3. TAK-2026-000003 ประชุมทีมสหวิชาชีพ\n   ครบกำหนด 30 พ.ย. 2569 08:30 น. (เกินมาแล้ว 30 นาที)" in body
    assert "Due 2026-11-28T09:00+07:00 (2 days late)" in body
    assert "งานเกินกำหนด 3 รายการ" in digest.subject
    for absent in ("TAK-2026-000004", "TAK-2026-000005", "TAK-2026-000006", "TAK-2026-000099",
                   "ไม่ถึงกำหนด", "เสร็จแล้ว", "ไม่มีกำหนด", "คิวหน่วยงาน", CHILD_NAME, CHILD_NOTE):
        assert absent not in body and absent not in digest.subject


def test_one_digest_per_thai_day(session, clock):
    version = add_protocol_version(session)
    late = add_person(session, "late", email_address="late@tak.example")
    case = add_case(session, version, "TAK-2026-000001")
    add_work_item(session, case, label="รับแจ้งเหตุ", due_at=clock.now() - timedelta(days=1), assignee=late)
    session.commit()

    assert queue_daily_digests(session=session, now=clock.now()) == 1
    session.commit()
    # 23:59 the same evening in Tak.
    clock.set(datetime(2026, 11, 30, 23, 59, tzinfo=TAK))
    assert queue_daily_digests(session=session, now=clock.now()) == 0
    session.commit()
    # Two minutes later it is 1 December in Tak while still 30 November in UTC.
    clock.set(datetime(2026, 12, 1, 0, 1, tzinfo=TAK))
    assert clock.now().date() == START.astimezone(timezone.utc).date()
    assert queue_daily_digests(session=session, now=clock.now()) == 1
    session.commit()

    assert [d.dedupe_key for d in _digests(session)] == [f"digest:{late.id}:2026-11-30", f"digest:{late.id}:2026-12-01"]


def test_a_long_list_is_cut_and_counted(session, clock, monkeypatch):
    from engine.deadlines import digests

    monkeypatch.setattr(digests, "DIGEST_ITEM_LIMIT", 2)
    version = add_protocol_version(session)
    late = add_person(session, "late", email_address="late@tak.example")
    for n in range(1, 5):
        case = add_case(session, version, f"TAK-2026-00000{n}")
        add_work_item(session, case, label=f"งาน {n}", due_at=clock.now() - timedelta(hours=n), assignee=late)
    session.commit()

    assert queue_daily_digests(session=session, now=clock.now()) == 1
    [digest] = _digests(session)
    assert "งานเกินกำหนด 4 รายการ" in digest.subject
    # The two most overdue are listed.
    assert "TAK-2026-000004" in digest.body_text and "TAK-2026-000003" in digest.body_text
    assert "TAK-2026-000001" not in digest.body_text
    assert "และอีก 2 รายการ" in digest.body_text

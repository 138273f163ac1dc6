"""Buddhist-era dates and relative deadlines, as the pages' filters write them."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from api.pages.formatting import deadline_state, format_date, format_datetime, relative_deadline

# 3 December 2026, 07:05 UTC = 14:05 in Tak.
NOW = datetime(2026, 12, 3, 7, 5, tzinfo=timezone.utc)


def test_dates_are_written_in_the_buddhist_era_with_the_thai_month():
    assert format_date(date(2026, 12, 3)) == "3 ธ.ค. 2569"
    assert format_date(date(2027, 1, 31)) == "31 ม.ค. 2570"
    assert format_date("2011-05-14") == "14 พ.ค. 2554"
    assert format_date(date(2026, 12, 3), "en") == "3 Dec 2026"


def test_moments_are_shown_in_tak_time():
    assert format_datetime(NOW) == "3 ธ.ค. 2569 14:05"
    assert format_datetime(NOW, "en") == "3 Dec 2026 14:05"
    # 20:30 UTC on 31 December is already New Year's Day (and a new B.E. year) in Tak.
    assert format_datetime(datetime(2026, 12, 31, 20, 30, tzinfo=timezone.utc)) == "1 ม.ค. 2570 03:30"
    assert format_date(datetime(2026, 12, 31, 20, 30, tzinfo=timezone.utc)) == "1 ม.ค. 2570"


def test_empty_values_show_nothing_and_naive_moments_are_refused():
    assert format_date(None) == "" and format_datetime(None) == ""
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 12, 3, 14, 5))


@pytest.mark.parametrize(("delta", "thai", "english"), [
    (timedelta(hours=3, minutes=40), "เหลือ 3 ชม.", "3 hr left"),
    (timedelta(minutes=45), "เหลือ 45 นาที", "45 min left"),
    (timedelta(days=2, hours=23), "เหลือ 2 วัน", "2 days left"),
    (timedelta(days=1), "เหลือ 1 วัน", "1 day left"),
    (timedelta(seconds=20), "ถึงกำหนดแล้ว", "due now"),
    (-timedelta(days=2, hours=5), "เกินกำหนด 2 วัน", "2 days overdue"),
    (-timedelta(hours=1, minutes=59), "เกินกำหนด 1 ชม.", "1 hr overdue"),
    (-timedelta(seconds=30), "เพิ่งเกินกำหนด", "just overdue"),
])
def test_deadlines_read_as_time_left_or_time_late_rounded_down(delta, thai, english):
    assert relative_deadline(NOW + delta, NOW) == thai
    assert relative_deadline(NOW + delta, NOW, "en") == english


def test_a_missing_deadline_reads_as_nothing():
    assert relative_deadline(None, NOW) == ""
    assert deadline_state(None, NOW) is None


def test_deadline_state_names_the_badge():
    assert deadline_state(NOW - timedelta(minutes=1), NOW) == "overdue"
    assert deadline_state(NOW + timedelta(hours=23), NOW) == "soon"
    assert deadline_state(NOW + timedelta(days=3), NOW) == "ok"

"""The Thai business calendar on its own: days, counting rules, the calendar file, the default.

Dates are chosen around December 2026, where a Saturday holiday (the 5th) has its substitution
day on Monday the 7th and Constitution Day falls on Thursday the 10th.
"""
from __future__ import annotations

import dataclasses
import time as wall_time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.calendar import (
    MAX_BUSINESS_DAYS,
    MAX_BUSINESS_HOURS,
    PUBLIC_HOLIDAYS_ONLY,
    BusinessCalendar,
    Closure,
    calendar_in_effect,
    current_calendar,
    load_calendar,
)
from engine.clock import THAI_TIME
from engine.errors import InvalidInput
from engine.settings import PROJECT_ROOT, Settings
from engine.wiring import Wiring

TAK = timezone(timedelta(hours=7))
HOLIDAYS_ONLY = BusinessCalendar()


def tak(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TAK)


def closure(day: date, agency: str | None = None) -> Closure:
    return Closure(day=day, agency=agency, reason_th="ปิดทำการ", reason_en="Closed")


# -- which days are business days ---------------------------------------------------------------


@pytest.mark.parametrize(
    "day, open_",
    [
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 11, 30), True),  # Monday
        (date(2026, 12, 5), False),  # King Bhumibol's birthday, a Saturday
        (date(2026, 12, 7), False),  # ...whose substitution day is the Monday after
        (date(2026, 12, 8), True),
        (date(2026, 12, 9), True),
        (date(2026, 12, 10), False),  # Constitution Day, a Thursday
        (date(2026, 12, 11), True),
        (date(2026, 12, 31), False),  # New Year's Eve
        (date(2027, 1, 1), False),  # New Year's Day
        (date(2027, 1, 4), True),
        (date(2027, 4, 12), True),
        (date(2027, 4, 13), False),  # Songkran
        (date(2027, 4, 14), False),
        (date(2027, 4, 15), False),
        (date(2027, 4, 16), True),
        # A day off for civil servants only; network agencies are government offices.
        (date(2026, 5, 13), False),  # Royal Ploughing Ceremony, a Wednesday
    ],
)
def test_weekends_and_thai_holidays_are_not_business_days(day, open_):
    assert HOLIDAYS_ONLY.is_business_day(day) is open_


def test_holidays_of_any_year_are_known_without_being_listed():
    # Constitution Day 2040 falls on a Monday: only the holiday rule can close it.
    assert date(2040, 12, 10).weekday() == 0
    assert not HOLIDAYS_ONLY.is_business_day(date(2040, 12, 10))
    assert HOLIDAYS_ONLY.is_business_day(date(2040, 12, 11))


def test_a_moment_is_judged_on_its_thai_date():
    # Friday 4 December, 23:30 UTC, is already Saturday morning in Tak.
    late_friday_utc = datetime(2026, 12, 4, 23, 30, tzinfo=timezone.utc)
    assert not HOLIDAYS_ONLY.is_business_day(late_friday_utc)
    assert HOLIDAYS_ONLY.is_business_day(datetime(2026, 12, 4, 16, 59, tzinfo=timezone.utc))
    with pytest.raises(ValueError, match="no time zone"):
        HOLIDAYS_ONLY.is_business_day(datetime(2026, 12, 4, 10, 0))


def test_agency_closures_apply_to_that_agency_only_and_province_closures_to_all():
    calendar = BusinessCalendar((closure(date(2026, 12, 8), "pmj_tak"), closure(date(2026, 12, 9))))
    assert not calendar.is_business_day(date(2026, 12, 8), "pmj_tak")
    assert calendar.is_business_day(date(2026, 12, 8), "spm_tak")
    assert calendar.is_business_day(date(2026, 12, 8))
    for agency in ("pmj_tak", "spm_tak", None):
        assert not calendar.is_business_day(date(2026, 12, 9), agency)
    # From Friday 4 December the days that count are the 8th (not for pmj_tak), 11th and 14th.
    assert calendar.add_business_days(tak(2026, 12, 4), 2, "spm_tak") == tak(2026, 12, 11)
    assert calendar.add_business_days(tak(2026, 12, 4), 2, "pmj_tak") == tak(2026, 12, 14)
    assert calendar.add_business_days(tak(2026, 12, 4), 2) == tak(2026, 12, 11)


def test_a_calendar_cannot_be_changed_after_it_is_made():
    given = [closure(date(2026, 12, 8), "pmj_tak")]
    calendar = BusinessCalendar(given)
    given.append(closure(date(2026, 12, 9)))
    assert calendar.closures == (closure(date(2026, 12, 8), "pmj_tak"),)
    assert calendar.is_business_day(date(2026, 12, 9))
    with pytest.raises(dataclasses.FrozenInstanceError):
        calendar.closures = ()  # type: ignore[misc]


# -- adding business days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (tak(2026, 11, 27), 1, tak(2026, 11, 30)),  # Friday + 1 = Monday
        (tak(2026, 11, 30, 16, 45), 1, tak(2026, 12, 1, 16, 45)),  # time of day kept, even after hours
        (tak(2026, 12, 4), 1, tak(2026, 12, 8)),  # over the weekend and the substitution Monday
        (tak(2026, 12, 4), 3, tak(2026, 12, 11)),  # ...and over Constitution Day
        (tak(2026, 12, 30), 1, tak(2027, 1, 4)),  # over New Year's Eve, New Year's Day, a weekend
        (tak(2027, 4, 12, 9), 1, tak(2027, 4, 16, 9)),  # over Songkran
        (tak(2026, 12, 5), 1, tak(2026, 12, 8)),  # from a holiday: the next business day is day 1
    ],
)
def test_add_business_days(start, n, expected):
    assert HOLIDAYS_ONLY.add_business_days(start, n) == expected


def test_zero_business_days_is_the_start_itself_or_the_next_business_day():
    assert HOLIDAYS_ONLY.add_business_days(tak(2026, 12, 4, 10, 15), 0) == tak(2026, 12, 4, 10, 15)
    # Saturday, Sunday, then the substitution Monday: Tuesday at the same time.
    assert HOLIDAYS_ONLY.add_business_days(tak(2026, 12, 5, 10, 15), 0) == tak(2026, 12, 8, 10, 15)


def test_business_days_are_counted_on_the_thai_date_and_returned_in_the_start_zone():
    # Thursday 3 December 20:00 UTC is Friday 4 December 03:00 in Tak. Counting on the UTC date
    # would give Friday 4 December; on the Thai date it is Tuesday 8 December.
    start = datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)
    result = HOLIDAYS_ONLY.add_business_days(start, 1)
    assert result == tak(2026, 12, 8, 3, 0)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("n", [-1, MAX_BUSINESS_DAYS + 1])
def test_business_days_out_of_range_are_refused(n):
    with pytest.raises(ValueError, match=f"between 0 and {MAX_BUSINESS_DAYS}"):
        HOLIDAYS_ONLY.add_business_days(tak(2026, 12, 4), n)


@pytest.mark.parametrize("n", [1.0, True, "3", None])
def test_business_days_must_be_a_whole_number(n):
    with pytest.raises(TypeError, match="whole number"):
        HOLIDAYS_ONLY.add_business_days(tak(2026, 12, 4), n)


def test_the_largest_business_day_count_is_accepted_and_quick():
    began = wall_time.perf_counter()
    result = HOLIDAYS_ONLY.add_business_days(tak(2026, 12, 4), MAX_BUSINESS_DAYS)
    # Well within an expression's 0.25 s budget, holidays of new years included.
    assert wall_time.perf_counter() - began < 0.2
    assert HOLIDAYS_ONLY.is_business_day(result)
    assert result.timetz() == tak(2026, 12, 4).timetz()
    span = (result.date() - date(2026, 12, 4)).days
    counted = sum(HOLIDAYS_ONLY.is_business_day(date(2026, 12, 4) + timedelta(days=k)) for k in range(1, span + 1))
    assert counted == MAX_BUSINESS_DAYS


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        HOLIDAYS_ONLY.add_business_days(datetime(2026, 12, 4, 10, 0), 1)
    with pytest.raises(ValueError, match="no time zone"):
        HOLIDAYS_ONLY.add_business_hours(datetime(2026, 12, 4, 10, 0), 1)


# -- adding business hours ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, hours, expected",
    [
        (tak(2026, 11, 30, 9), 2, tak(2026, 11, 30, 11)),
        # The lunch hour counts.
        (tak(2026, 11, 30, 11), 2, tak(2026, 11, 30, 13)),
        # An hour on Monday afternoon, the second on Tuesday morning.
        (tak(2026, 11, 30, 15, 30), 2, tak(2026, 12, 1, 9, 30)),
        # Before opening: counting starts at 08:30.
        (tak(2026, 11, 30, 7), 1, tak(2026, 11, 30, 9, 30)),
        # After closing: counting starts at the next opening.
        (tak(2026, 11, 30, 17), 1, tak(2026, 12, 1, 9, 30)),
        (tak(2026, 11, 30, 16, 30), 0.5, tak(2026, 12, 1, 9)),
        # A full working day used up exactly ends at closing, not at the next opening.
        (tak(2026, 11, 30, 8, 30), 8, tak(2026, 11, 30, 16, 30)),
        (tak(2026, 11, 30, 8, 30), 16, tak(2026, 12, 1, 16, 30)),
        # Friday 15:00: 1.5 hours on Friday, then past the weekend and the substitution Monday.
        (tak(2026, 12, 4, 15), 3, tak(2026, 12, 8, 10)),
        # From a Saturday: the first opening is Tuesday's.
        (tak(2026, 12, 5, 12), 0.25, tak(2026, 12, 8, 8, 45)),
        # 9 hours from Wednesday 12:30: 4 on Wednesday, none on Constitution Day, 5 on Friday.
        (tak(2026, 12, 9, 12, 30), 9, tak(2026, 12, 11, 13, 30)),
    ],
)
def test_add_business_hours(start, hours, expected):
    assert HOLIDAYS_ONLY.add_business_hours(start, hours) == expected


def test_business_hours_honour_agency_closures():
    calendar = BusinessCalendar((closure(date(2026, 12, 8), "pmj_tak"),))
    assert calendar.add_business_hours(tak(2026, 12, 4, 15), 3, "pmj_tak") == tak(2026, 12, 9, 10)
    assert calendar.add_business_hours(tak(2026, 12, 4, 15), 3, "spm_tak") == tak(2026, 12, 8, 10)


def test_business_hours_are_counted_in_thai_office_hours_whatever_the_start_zone():
    # 01:30 UTC is 08:30 in Tak: opening time, so one hour later is 09:30 Tak.
    start = datetime(2026, 11, 30, 1, 30, tzinfo=timezone.utc)
    result = HOLIDAYS_ONLY.add_business_hours(start, 1)
    assert result == tak(2026, 11, 30, 9, 30)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("hours", [0, -1, MAX_BUSINESS_HOURS + 0.5, float("nan"), float("inf")])
def test_business_hours_out_of_range_are_refused(hours):
    with pytest.raises(ValueError, match="business hours"):
        HOLIDAYS_ONLY.add_business_hours(tak(2026, 11, 30, 9), hours)


@pytest.mark.parametrize("hours", [True, "2", None])
def test_business_hours_must_be_a_number(hours):
    with pytest.raises(TypeError, match="number"):
        HOLIDAYS_ONLY.add_business_hours(tak(2026, 11, 30, 9), hours)


def test_the_largest_business_hour_count_is_accepted():
    # 2000 hours are 250 working days of 8 hours, starting at an opening: ends at a closing.
    result = HOLIDAYS_ONLY.add_business_hours(tak(2026, 11, 30, 8, 30), MAX_BUSINESS_HOURS)
    assert result == HOLIDAYS_ONLY.add_business_days(tak(2026, 11, 30, 16, 30), 249)


# -- the calendar file --------------------------------------------------------------------------


VALID_FILE = """
[[closures]]
date = 2026-12-09
reason_th = "วันหยุดราชการเพิ่มเป็นกรณีพิเศษ"
reason_en = "Additional government holiday"

[[closures]]
date = 2026-12-08
agency = "pmj_tak"
reason_th = "สำนักงานปิดเนื่องจากงานประเพณีท้องถิ่น"
reason_en = "Office closed for a local festival"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_calendar_reads_province_and_agency_closures(tmp_path):
    calendar = load_calendar(write(tmp_path, VALID_FILE))
    assert calendar.closures == (
        Closure(date(2026, 12, 9), "วันหยุดราชการเพิ่มเป็นกรณีพิเศษ", "Additional government holiday", None),
        Closure(date(2026, 12, 8), "สำนักงานปิดเนื่องจากงานประเพณีท้องถิ่น", "Office closed for a local festival", "pmj_tak"),
    )
    assert not calendar.is_business_day(date(2026, 12, 9), "spm_tak")
    assert not calendar.is_business_day(date(2026, 12, 8), "pmj_tak")
    assert calendar.is_business_day(date(2026, 12, 8), "spm_tak")


def test_a_missing_file_gives_holidays_only(tmp_path):
    calendar = load_calendar(tmp_path / "absent.toml")
    assert calendar.closures == ()
    assert not calendar.is_business_day(date(2026, 12, 7))


def test_the_shipped_file_declares_no_closures():
    assert load_calendar(PROJECT_ROOT / "protocols" / "calendar.toml").closures == ()


def closures(*entries: str) -> str:
    return "\n".join(f"[[closures]]\n{entry}\n" for entry in entries)


GOOD = 'date = 2026-12-08\nreason_th = "ปิด"\nreason_en = "Closed"'


@pytest.mark.parametrize(
    "text, field",
    [
        (closures(GOOD, GOOD, 'reason_th = "ปิด"\nreason_en = "Closed"'), "closures[2].date"),
        (closures('date = "2026-12-08"\nreason_th = "ปิด"\nreason_en = "Closed"'), "closures[0].date"),
        (closures('date = 2026-12-08T00:00:00+07:00\nreason_th = "ปิด"\nreason_en = "Closed"'), "closures[0].date"),
        (closures(GOOD + '\nagency = "PMJ Tak"'), "closures[0].agency"),
        (closures(GOOD + "\nagency = 7"), "closures[0].agency"),
        # A misspelt agency must not silently become a province-wide closure.
        (closures(GOOD, GOOD + '\nagnecy = "pmj_tak"'), "closures[1].agnecy"),
        (closures('date = 2026-12-08\nreason_en = "Closed"'), "closures[0].reason_th"),
        (closures('date = 2026-12-08\nreason_th = "ปิด"\nreason_en = "  "'), "closures[0].reason_en"),
        ("[[closure]]\n" + GOOD, "closure"),
        ('closures = "2026-12-08"', "closures"),
        ("closures = [1]", "closures[0]"),
        ("[[closures]\ndate = 2026-12-08", "file"),
        # The shipped file's empty list left in place when the first closure is added.
        ("closures = []\n" + closures(GOOD), "file"),
    ],
)
def test_invalid_files_name_the_field(tmp_path, text, field):
    with pytest.raises(InvalidInput) as raised:
        load_calendar(write(tmp_path, text))
    assert raised.value.details["field"] == field
    assert field in raised.value.message
    assert raised.value.code == "invalid-input"


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_bytes('# ปฏิทิน\nclosures = []\n'.encode("tis-620"))
    with pytest.raises(InvalidInput, match="UTF-8") as raised:
        load_calendar(path)
    assert raised.value.details["field"] == "file"


# -- the installation's calendar, and the calendar in effect --------------------------------------


@pytest.fixture
def calendar_file(tmp_path) -> Path:
    """A fresh path for the settings' calendar file."""
    path = tmp_path / "settings" / "calendar.toml"
    path.parent.mkdir()
    return path


def installation(calendar_file: Path) -> Wiring:
    """What a process is wired from: here, settings naming ``calendar_file``."""
    return Wiring.from_settings(Settings(calendar_file=calendar_file, database_url="sqlite://"))


def test_the_installations_calendar_comes_from_the_settings_file(calendar_file):
    calendar_file.write_text(VALID_FILE, encoding="utf-8")
    wiring = installation(calendar_file)
    assert wiring.calendar is wiring.network.calendar
    assert not wiring.calendar.is_business_day(date(2026, 12, 9))
    # Read once: a change to the file is not seen by a running process.
    calendar_file.write_text("closures = []\n", encoding="utf-8")
    assert not wiring.calendar.is_business_day(date(2026, 12, 9))


def test_an_invalid_calendar_file_is_reported_until_it_is_fixed(calendar_file):
    calendar_file.write_text(closures('date = "2026-12-09"\nreason_th = "ปิด"\nreason_en = "Closed"'), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InvalidInput, match=r"closures\[0\]\.date"):
            installation(calendar_file)
    calendar_file.write_text(VALID_FILE, encoding="utf-8")
    assert not installation(calendar_file).calendar.is_business_day(date(2026, 12, 9))


def test_outside_a_command_only_the_public_holidays_count(calendar_file, monkeypatch):
    # No settings file is read behind the wiring's back, whatever it declares.
    calendar_file.write_text(VALID_FILE, encoding="utf-8")
    monkeypatch.setenv("KHUMKRONG_CALENDAR_FILE", str(calendar_file))
    assert current_calendar() is PUBLIC_HOLIDAYS_ONLY
    assert current_calendar().is_business_day(date(2026, 12, 9))
    assert not current_calendar().is_business_day(date(2026, 12, 10))  # Constitution Day


def test_a_calendar_put_in_effect_wins_and_is_withdrawn_after():
    outer = BusinessCalendar((closure(date(2026, 12, 8)),))
    inner = BusinessCalendar((closure(date(2026, 12, 9)),))
    default = current_calendar()
    with calendar_in_effect(outer):
        assert current_calendar() is outer
        with calendar_in_effect(inner):
            assert current_calendar() is inner
        assert current_calendar() is outer
    assert current_calendar() is default
    with pytest.raises(TypeError):
        with calendar_in_effect(load_calendar):  # type: ignore[arg-type]
            pass


def test_thai_time_is_a_fixed_utc_plus_seven():
    assert THAI_TIME.utcoffset(None) == timedelta(hours=7)


def test_closures_name_agencies_the_way_the_network_does():
    from engine.calendar import AGENCY_CODE
    from engine.network.definition import CODE_PATTERN

    assert AGENCY_CODE.pattern == CODE_PATTERN.pattern

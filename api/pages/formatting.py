"""Dates and deadlines as the pages show them.

Dates are written in the Buddhist era with the abbreviated Thai month, "3 ธ.ค. 2569", and a time
when there is one, "3 ธ.ค. 2569 14:05" (Tak time, UTC+7); in English "3 Dec 2026 14:05". Babel
has no Buddhist calendar, so the year is converted here (B.E. = C.E. + 543). Deadlines read as
what is left or how late: "เหลือ 3 ชม.", "เกินกำหนด 2 วัน" — rounded down, so a countdown never
promises more time than there is.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.units import format_unit

from api.pages.i18n import translations

# Every moment is shown in the time of the province the network serves.
DISPLAY_ZONE = ZoneInfo("Asia/Bangkok")
BUDDHIST_ERA_OFFSET = 543
THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A deadline this close is shown as "due soon".
SOON = timedelta(hours=24)


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone")
    return value.astimezone(DISPLAY_ZONE)


def format_date(value: date | datetime | str | None, language: str = "th") -> str:
    """ "3 ธ.ค. 2569" (or "3 Dec 2026"); a datetime is first put in Tak time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10]) if len(value) <= 10 else datetime.fromisoformat(value)
    day = _local(value).date() if isinstance(value, datetime) else value
    if language == "th":
        return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + BUDDHIST_ERA_OFFSET}"
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


def format_datetime(value: datetime | str | None, language: str = "th") -> str:
    """ "3 ธ.ค. 2569 14:05" (or "3 Dec 2026 14:05"), in Tak time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment = _local(value)
    return f"{format_date(moment, language)} {moment:%H:%M}"


def _amount(delta: timedelta, language: str) -> str:
    """The largest whole unit of a positive span: minutes under an hour, hours under a day, days."""
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return format_unit(max(1, seconds // 60), "duration-minute", length="short", locale=language)
    if seconds < 86400:
        return format_unit(seconds // 3600, "duration-hour", length="short", locale=language)
    return format_unit(seconds // 86400, "duration-day", length="short", locale=language)


def relative_deadline(due: datetime | None, now: datetime, language: str = "th") -> str:
    """ "เหลือ 3 ชม." before the deadline, "เกินกำหนด 2 วัน" after it (English: "3 hr left", "2 days overdue")."""
    if due is None:
        return ""
    _ = translations(language).gettext
    remaining = _local(due) - _local(now)
    if remaining >= timedelta(0):
        if remaining < timedelta(minutes=1):
            return _("due now")
        return _("%(amount)s left") % {"amount": _amount(remaining, language)}
    late = -remaining
    if late < timedelta(minutes=1):
        return _("just overdue")
    return _("%(amount)s overdue") % {"amount": _amount(late, language)}


def deadline_state(due: datetime | None, now: datetime) -> str | None:
    """ "overdue", "soon" (within a day) or "ok": the class of a due badge."""
    if due is None:
        return None
    remaining = _local(due) - _local(now)
    if remaining < timedelta(0):
        return "overdue"
    return "soon" if remaining <= SOON else "ok"

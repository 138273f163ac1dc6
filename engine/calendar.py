"""The Thai business calendar: which days offices work, and deadlines counted in working days.

A day is a business day when it is a weekday, not a Thai public holiday (from the ``holidays``
package, substitution days included) and not a closure day the network declared, either for the
whole province or for one agency (``protocols/calendar.toml``). Days are always decided on the
Thai local date: a case opened at 23:30 UTC on a Sunday was opened on a Monday morning in Tak.

Counting rules:

* :meth:`BusinessCalendar.add_business_days` keeps the local time of day and counts from the day
  after ``start``. ``n = 0`` means "no later than the first business day": ``start`` itself when
  it falls on a business day, otherwise the same time on the next business day.
* :meth:`BusinessCalendar.add_business_hours` counts only office hours (08:30–16:30 local) on
  business days. Time before opening or after closing, and on closed days, does not count; a
  deadline that uses up a day exactly ends at 16:30 that day, not at 08:30 the next.

The installation's calendar is read once, from the settings' calendar file, with the network
(``engine.wiring``), and travels with it: commands put the network's calendar in effect for the
expression functions (``business_days``) that SpiffWorkflow's timers call. A changed file is
picked up on restart.
"""
from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

from engine.clock import THAI_TIME
from engine.errors import InvalidInput

__all__ = [
    "MAX_BUSINESS_DAYS",
    "MAX_BUSINESS_HOURS",
    "OFFICE_CLOSES",
    "OFFICE_OPENS",
    "BusinessCalendar",
    "Closure",
    "PUBLIC_HOLIDAYS_ONLY",
    "calendar_in_effect",
    "current_calendar",
    "load_calendar",
]

# Government office hours. Lunch is deliberately not carved out, so that 8 business hours are
# one full working day, which is how protocols and people reckon them.
OFFICE_OPENS = time(8, 30)
OFFICE_CLOSES = time(16, 30)

# About fourteen years of working days: beyond any protocol deadline, and a loop that stays
# far inside the expression evaluator's time budget.
MAX_BUSINESS_DAYS = 3650
# About a year of office hours.
MAX_BUSINESS_HOURS = 2000

# Government offices close on the public holidays and on the few days declared for civil
# servants only (the Royal Ploughing Ceremony); bank and school days do not close them.
HOLIDAY_CATEGORIES = (PUBLIC, GOVERNMENT)

_WEEKEND = frozenset({5, 6})  # Saturday, Sunday


@lru_cache(maxsize=256)
def _thai_holidays(year: int) -> frozenset[date]:
    # Shared by every calendar: the package's holidays do not depend on the closure data, and a
    # frozen per-year set avoids the package's own lazy expansion, which mutates on lookup.
    # Outside the years the package knows (1914–2100 in 0.109) it returns no holidays at all.
    return frozenset(holidays.Thailand(years=year, categories=HOLIDAY_CATEGORIES))


@dataclass(frozen=True)
class Closure:
    """A day an office is closed that is not a public holiday; ``agency`` None is province-wide."""

    day: date
    reason_th: str
    reason_en: str
    agency: str | None = None


@dataclass(frozen=True)
class BusinessCalendar:
    """Thai public holidays plus the network's closures. Immutable, and safe to share."""

    closures: tuple[Closure, ...] = ()
    _province: frozenset[date] = field(init=False, repr=False, compare=False)
    _by_agency: Mapping[str, frozenset[date]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        closures = tuple(self.closures)
        by_agency: dict[str, set[date]] = {}
        for closure in closures:
            if closure.agency is not None:
                by_agency.setdefault(closure.agency, set()).add(closure.day)
        object.__setattr__(self, "closures", closures)
        object.__setattr__(self, "_province", frozenset(c.day for c in closures if c.agency is None))
        object.__setattr__(
            self, "_by_agency", MappingProxyType({a: frozenset(days) for a, days in by_agency.items()})
        )

    def is_business_day(self, day: date, agency: str | None = None) -> bool:
        """Whether offices (of *agency*, if given) work on *day*, a Thai local date.

        An aware datetime is taken at its Thai local date; a naive one is refused, since its
        date could be a day off in either direction.
        """
        day = _local_date(day)
        if day.weekday() in _WEEKEND or day in _thai_holidays(day.year) or day in self._province:
            return False
        return agency is None or day not in self._by_agency.get(agency, ())

    def add_business_days(self, start: datetime, n: int, agency: str | None = None) -> datetime:
        """The instant *n* business days after *start*, at the same Thai local time of day.

        Counting starts the day after *start* (Friday + 1 is Monday). ``n = 0`` gives *start*
        when it is on a business day, else the same time on the next business day. The result
        is in *start*'s time zone.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"business days must be a whole number, got {type(n).__name__}")
        if not 0 <= n <= MAX_BUSINESS_DAYS:
            raise ValueError(f"business days must be between 0 and {MAX_BUSINESS_DAYS}, got {n}")
        local = _local_moment(start)
        day = local.date()
        if n == 0:
            while not self.is_business_day(day, agency):
                day += timedelta(days=1)
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_business_day(day, agency):
                counted += 1
        return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)

    def add_business_hours(self, start: datetime, hours: float, agency: str | None = None) -> datetime:
        """The instant after *hours* of office time (08:30–16:30 on business days) from *start*.

        Starting outside office hours counts from the next opening. The result is in *start*'s
        time zone.
        """
        if isinstance(hours, bool) or not isinstance(hours, (int, float)):
            raise TypeError(f"business hours must be a number, got {type(hours).__name__}")
        if not (math.isfinite(hours) and 0 < hours <= MAX_BUSINESS_HOURS):
            raise ValueError(f"business hours must be more than 0 and at most {MAX_BUSINESS_HOURS}, got {hours}")
        remaining = timedelta(hours=hours)
        cursor = _local_moment(start)
        while True:
            day = cursor.date()
            if self.is_business_day(day, agency):
                opens = datetime.combine(day, OFFICE_OPENS, THAI_TIME)
                closes = datetime.combine(day, OFFICE_CLOSES, THAI_TIME)
                cursor = max(cursor, opens)
                if cursor < closes:
                    if remaining <= closes - cursor:
                        return (cursor + remaining).astimezone(start.tzinfo)
                    remaining -= closes - cursor
            cursor = datetime.combine(day + timedelta(days=1), time(0), THAI_TIME)


def _local_moment(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no time zone")
    return moment.astimezone(THAI_TIME)


def _local_date(day: date) -> date:
    if isinstance(day, datetime):
        return _local_moment(day).date()
    if not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")
    return day


# ----------------------------------------------------------------------------------------------
# The calendar file

_TOP_LEVEL_KEYS = frozenset({"closures"})
# The shape of an agency code in the network definition (network/definition.py's CODE_PATTERN;
# the calendar sits below the network, and a test keeps the two the same).
AGENCY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_CLOSURE_KEYS = frozenset({"date", "agency", "reason_th", "reason_en"})


def _invalid(path: Path, where: str, problem: str) -> InvalidInput:
    return InvalidInput(f"calendar file {path}: {where} {problem}", field=where, path=str(path))


def _text(entry: Mapping[str, Any], key: str, where: str, path: Path) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(path, f"{where}.{key}", "must be non-empty text")
    return value.strip()


def _closure(entry: Any, where: str, path: Path) -> Closure:
    if not isinstance(entry, dict):
        raise _invalid(path, where, "must be a table ([[closures]])")
    # A misspelt key would otherwise be ignored, and "agnecy" would silently close the province.
    unknown = sorted(set(entry) - _CLOSURE_KEYS)
    if unknown:
        raise _invalid(path, f"{where}.{unknown[0]}", f"is not a closure field (expected {', '.join(sorted(_CLOSURE_KEYS))})")
    day = entry.get("date")
    if isinstance(day, datetime) or not isinstance(day, date):
        raise _invalid(path, f"{where}.date", "must be a TOML date without quotes or time, such as 2026-12-30")
    agency = None
    if "agency" in entry:
        agency = entry["agency"]
        if not isinstance(agency, str) or not AGENCY_CODE.match(agency):
            raise _invalid(path, f"{where}.agency", f"must be an agency code such as \"pmj_tak\", not {agency!r}")
    return Closure(
        day=day,
        agency=agency,
        reason_th=_text(entry, "reason_th", where, path),
        reason_en=_text(entry, "reason_en", where, path),
    )


def load_calendar(path: Path) -> BusinessCalendar:
    """The calendar described by the TOML file at *path*; public holidays only if it is missing.

    Raises :class:`InvalidInput` naming the offending field (``closures[2].date``).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return BusinessCalendar()
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise _invalid(path, "file", f"is not UTF-8 text ({err.reason} at byte {err.start})") from err
    except tomllib.TOMLDecodeError as err:
        raise _invalid(path, "file", f"is not valid TOML: {err}") from err
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        raise _invalid(path, unknown[0], "is not a calendar field (expected [[closures]])")
    entries = document.get("closures", [])
    if not isinstance(entries, list):
        raise _invalid(path, "closures", "must be an array of tables ([[closures]])")
    return BusinessCalendar(tuple(_closure(entry, f"closures[{i}]", path) for i, entry in enumerate(entries)))


# ----------------------------------------------------------------------------------------------
# The calendar in effect

# What the expression functions count in when no command put a calendar in effect (checking a
# timer while linting, say): the public holidays alone, as if the network declared no closures.
PUBLIC_HOLIDAYS_ONLY = BusinessCalendar()

_calendar_in_effect: ContextVar[BusinessCalendar | None] = ContextVar("khumkrong_calendar", default=None)


def current_calendar() -> BusinessCalendar:
    """The calendar the running command put in effect (the network's), else the public holidays."""
    calendar = _calendar_in_effect.get()
    return PUBLIC_HOLIDAYS_ONLY if calendar is None else calendar


@contextmanager
def calendar_in_effect(calendar: BusinessCalendar) -> Iterator[BusinessCalendar]:
    if not isinstance(calendar, BusinessCalendar):
        raise TypeError(f"expected a BusinessCalendar, got {type(calendar).__name__}")
    token = _calendar_in_effect.set(calendar)
    try:
        yield calendar
    finally:
        _calendar_in_effect.reset(token)

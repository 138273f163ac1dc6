"""Timers: SpiffWorkflow's timers on Khumkrong's clock, their due times, and timer text.

SpiffWorkflow 3.2.0 reads ``datetime.now(timezone.utc)`` directly in its timer module (and only
there). We give that module a ``datetime`` whose ``now()`` is the clock in effect, so timers fire
on simulated time in tests and rehearsals exactly as they fire on real time in production.

Timer text is ISO 8601 as SpiffWorkflow reads it, checked here against what it would misread
(:func:`validate_timer_text`). :func:`parse_duration` is the one duration parser of the engine:
protocols, the network's climb periods, forms, due dates, rehearsal steps and the simulated clock
all count durations with it, exactly as the running timers do.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)

from engine.clock import current_clock
from engine.errors import InvalidInput
from engine.workflow.types import Task


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = current_clock().now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def install_clock_bridge() -> None:
    if spiff_timer.datetime is not _ClockedDatetime:
        spiff_timer.datetime = _ClockedDatetime


install_clock_bridge()


def _parse_instant(value: str) -> datetime:
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    if not isinstance(parsed, datetime):
        raise ValueError(f"timer value {value!r} is not an instant")
    return parsed.astimezone(timezone.utc)


def is_timer_definition(event_definition: Any) -> bool:
    if isinstance(event_definition, TimerEventDefinition):
        return True
    if isinstance(event_definition, MultipleEventDefinition):
        return any(is_timer_definition(d) for d in event_definition.event_definitions)
    return False


def timer_due_at(task: Task) -> datetime | None:
    """When a WAITING timer task will fire, from the value SpiffWorkflow stored on it.

    Reads ``internal_data['event_value']`` rather than ``waiting_events()``, because a timer
    behind an event-based gateway has its due time only there (field notes §2).
    """
    event_definition = getattr(task.task_spec, "event_definition", None)
    if event_definition is None or not is_timer_definition(event_definition):
        return None
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(event_definition, CycleTimerEventDefinition) or isinstance(value, dict):
        if not isinstance(value, dict) or value.get("cycles") == 0 or "next" not in value:
            return None
        return _parse_instant(value["next"])
    if isinstance(value, str):
        return _parse_instant(value)
    return None


def parse_duration(text: str, *, start: datetime, field: str = "duration") -> timedelta:
    """An ISO 8601 duration (``PT25H``, ``P3D``, ``P1M``) as a span from *start*, where months
    and years count from *start* exactly as SpiffWorkflow's timers count them."""
    if not isinstance(text, str):
        raise InvalidInput(f"{text!r} is not an ISO 8601 duration such as PT2H or P3D", field=field)
    text = text.strip()
    try:
        validate_timer_text("duration", text)
    except InvalidTimerText as exc:
        raise InvalidInput(f"{text!r}: {exc}", field=field) from None
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed, start)


def parse_duration_before(text: str, *, end: datetime, field: str = "duration") -> timedelta:
    """An ISO 8601 duration as a span counted back from *end*: how long before *end* a period
    that ends there began (a retention period that ends now began at closure)."""
    parse_duration(text, start=end, field=field)  # the same checks, the same errors
    return TimerEventDefinition.get_timedelta_from_end(TimerEventDefinition.parse_iso_duration(text.strip()), end)


# --- the grammar of timer text ---------------------------------------------------------------

# SpiffWorkflow turns a duration into days by walking month by month, so an absurd duration such
# as P999999999M would hang the scheduler rather than fail; nothing in a protocol waits a century.
MAX_TIMER_YEARS = 100

TIMER_EXAMPLES = {
    "duration": "an ISO 8601 duration such as PT24H, P3D, P1DT12H or P2W",
    "date-time": "an ISO 8601 date-time with an offset such as 2026-12-01T09:00:00+07:00",
    "cycle": (
        "an ISO 8601 repeating interval such as R3/PT1H, R/P1D or "
        "R2/2026-12-01T09:00:00+07:00/PT1H"
    ),
}
TIMER_EXAMPLES_TH = {
    "duration": "ระยะเวลาตาม ISO 8601 เช่น PT24H, P3D, P1DT12H หรือ P2W",
    "date-time": "วันเวลาตาม ISO 8601 ที่ระบุส่วนต่างจาก UTC เช่น 2026-12-01T09:00:00+07:00",
    "cycle": "ช่วงเวลาซ้ำตาม ISO 8601 เช่น R3/PT1H, R/P1D หรือ R2/2026-12-01T09:00:00+07:00/PT1H",
}
_TIMER_KIND_TH = {"duration": "ระยะเวลา", "date-time": "วันเวลา", "cycle": "ช่วงเวลาซ้ำ"}

_NUM = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION = re.compile(
    rf"P(?:{_NUM}W|(?=[0-9]|T[0-9])(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=[0-9])(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)",
    re.ASCII,
)
# SpiffWorkflow silently drops a fractional component that is not the last one (P1.5DT1H parses
# as one hour), so a fraction is only accepted at the very end, as ISO 8601 intends.
_INNER_FRACTION = re.compile(r"[.,][0-9]+[A-Z].", re.ASCII)
_CYCLE = re.compile(r"R([0-9]*)/(.+)", re.ASCII)
_APPROX_SECONDS = {
    "years": 366 * 86400,
    "months": 31 * 86400,
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
}
_REFERENCE_START = datetime(2000, 1, 1, tzinfo=timezone.utc)


class InvalidTimerText(ValueError):
    """A timer literal that SpiffWorkflow would misread or refuse; the message says why, in
    English (``str()``) and in Thai (``message_th``)."""

    def __init__(self, message: str, message_th: str | None = None) -> None:
        super().__init__(message)
        self.message_th = message_th or message


def validate_timer_text(kind: str, text: str) -> None:
    """Check an ISO 8601 literal for a ``duration``, ``date-time`` or ``cycle`` timer element."""
    found = "cycle" if text.startswith("R") else "duration" if text.startswith("P") else "date-time"
    if found != kind:
        raise InvalidTimerText(
            f"this element needs {TIMER_EXAMPLES[kind]}, but the value looks like a {found}.",
            f"ดูเป็น{_TIMER_KIND_TH[found]} แต่องค์ประกอบนี้ต้องการ{TIMER_EXAMPLES_TH[kind]}",
        )
    if kind == "duration":
        _validate_duration(text)
    elif kind == "date-time":
        _validate_datetime(text)
        try:
            value = TimerEventDefinition.parse_time_or_duration(text)
        except Exception as exc:
            raise InvalidTimerText(
                f"SpiffWorkflow cannot read it as a date-time ({exc}).",
                f"SpiffWorkflow อ่านเป็นวันเวลาไม่ได้ ({exc})",
            ) from None
        if not isinstance(value, datetime):
            raise InvalidTimerText(
                f"SpiffWorkflow does not read it as a date-time; use {TIMER_EXAMPLES[kind]}.",
                f"SpiffWorkflow ไม่อ่านเป็นวันเวลา ให้ใช้{TIMER_EXAMPLES_TH[kind]}",
            )
    else:
        _validate_cycle(text)


def _validate_duration(text: str) -> None:
    if not _DURATION.fullmatch(text) or _INNER_FRACTION.search(text):
        raise InvalidTimerText(
            f"it is not a valid ISO 8601 duration; use {TIMER_EXAMPLES['duration']}.",
            f"ไม่ใช่ระยะเวลาตาม ISO 8601 ที่ถูกต้อง ให้ใช้{TIMER_EXAMPLES_TH['duration']}",
        )
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
    except Exception:
        raise InvalidTimerText(
            f"SpiffWorkflow cannot read it as a duration; use {TIMER_EXAMPLES['duration']}.",
            f"SpiffWorkflow อ่านเป็นระยะเวลาไม่ได้ ให้ใช้{TIMER_EXAMPLES_TH['duration']}",
        ) from None
    approx = sum(_APPROX_SECONDS[unit] * value for unit, value in parsed.items())
    if approx > MAX_TIMER_YEARS * 366 * 86400:
        raise InvalidTimerText(
            f"the duration is longer than {MAX_TIMER_YEARS} years.", f"ระยะเวลายาวเกิน {MAX_TIMER_YEARS} ปี",
        )
    try:
        TimerEventDefinition.get_timedelta_from_start(dict(parsed), _REFERENCE_START)
    except Exception as exc:
        raise InvalidTimerText(
            f"SpiffWorkflow cannot compute this duration ({exc}).", f"SpiffWorkflow คำนวณระยะเวลานี้ไม่ได้ ({exc})",
        ) from None


def _validate_datetime(text: str) -> None:
    if "W" in text.upper():
        # SpiffWorkflow reads week dates with its own parser, which mangles negative offsets.
        raise InvalidTimerText(
            "ISO week dates are not supported; write a calendar date-time such as 2026-12-01T09:00:00+07:00.",
            "ไม่รองรับวันที่แบบเลขสัปดาห์ตาม ISO ให้เขียนวันเวลาตามปฏิทิน เช่น 2026-12-01T09:00:00+07:00",
        )
    try:
        # The same call SpiffWorkflow's get_datetime makes, minus its local-time fallback.
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidTimerText(
            f"it is not a valid ISO 8601 date-time; use {TIMER_EXAMPLES['date-time']}.",
            f"ไม่ใช่วันเวลาตาม ISO 8601 ที่ถูกต้อง ให้ใช้{TIMER_EXAMPLES_TH['date-time']}",
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTimerText(
            "the date-time has no UTC offset. SpiffWorkflow would silently apply the server's "
            "fixed local offset (taken at start-up, ignoring daylight saving), so the timer could "
            "fire at the wrong hour. Add an offset, e.g. 2026-12-01T09:00:00+07:00, or a Z for UTC.",
            "วันเวลาไม่ได้ระบุส่วนต่างจาก UTC SpiffWorkflow จะใช้ส่วนต่างเวลาท้องถิ่นของเซิร์ฟเวอร์แบบคงที่ "
            "(อ่านครั้งเดียวตอนเริ่มระบบ ไม่คำนึงถึงเวลาออมแสง) ตัวจับเวลาจึงอาจทำงานผิดชั่วโมง "
            "ให้ระบุส่วนต่าง เช่น 2026-12-01T09:00:00+07:00 หรือ Z สำหรับ UTC",
        )
    try:
        TimerEventDefinition.get_datetime(text)
    except Exception as exc:
        raise InvalidTimerText(
            f"SpiffWorkflow cannot read it as a date-time ({exc}).", f"SpiffWorkflow อ่านเป็นวันเวลาไม่ได้ ({exc})",
        ) from None


def _validate_cycle(text: str) -> None:
    match = _CYCLE.fullmatch(text)
    parts = match.group(2).split("/") if match else []
    if not 1 <= len(parts) <= 2 or sum(part.startswith("P") for part in parts) != 1:
        raise InvalidTimerText(
            f"it is not valid; use {TIMER_EXAMPLES['cycle']}.",
            f"ไม่ใช่ช่วงเวลาซ้ำที่ถูกต้อง ให้ใช้{TIMER_EXAMPLES_TH['cycle']}",
        )
    for part in parts:
        if part.startswith("P"):
            _validate_duration(part)
        else:
            _validate_datetime(part)
    try:
        TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception as exc:
        raise InvalidTimerText(
            f"SpiffWorkflow cannot read it as a repeating interval ({exc}).",
            f"SpiffWorkflow อ่านเป็นช่วงเวลาซ้ำไม่ได้ ({exc})",
        ) from None

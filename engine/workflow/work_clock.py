"""Seconds of work the current thread has done, for budgets that must not trip on a busy host.

An expression's time budget guards the server against an expression that computes for too long.
Elapsed wall time is the wrong measure of that: on a loaded machine the process can wait for a
core for longer than the whole budget, and a full garbage collection, triggered by whatever
allocation happened to come next, can stop the thread for a few hundred milliseconds over a
large heap. Neither is the expression's doing, and either used to refuse a one-line deadline
such as ``min(instant(arrested_at), now()) + hours(24)`` (CI, 2026-12-03).

:func:`thread_work_seconds` is the thread's own CPU time (which stops while the thread waits)
less the CPU time its full collections took. Reading it costs a system call (~0.6 µs), so
callers gate it behind the cheap monotonic clock and read it only once wall time says the budget
might be spent.
"""
from __future__ import annotations

import gc
import threading
import time
from typing import Any

# Only the oldest generation's collections walk the whole heap; younger ones take microseconds
# and are not worth a system call each.
_FULL_COLLECTION = 2


class _CollectorTime(threading.local):
    """Per thread: a collection runs in the thread whose allocation triggered it."""

    started: float | None = None
    total: float = 0.0


_collector_time = _CollectorTime()


def _note_collection(phase: str, info: dict[str, Any]) -> None:
    if info.get("generation") != _FULL_COLLECTION:
        return
    if phase == "start":
        _collector_time.started = time.thread_time()
    elif _collector_time.started is not None:
        _collector_time.total += time.thread_time() - _collector_time.started
        _collector_time.started = None


gc.callbacks.append(_note_collection)


def thread_work_seconds() -> float:
    """CPU seconds this thread has used, less its full garbage collections (only differences
    between two readings in the same thread mean anything)."""
    return time.thread_time() - _collector_time.total

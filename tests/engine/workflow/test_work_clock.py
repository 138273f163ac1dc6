from __future__ import annotations

import gc
import threading
import time

import pytest

from engine.workflow import work_clock


def test_the_threads_own_work_is_counted():
    started = work_clock.thread_work_seconds()
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        pass
    assert work_clock.thread_work_seconds() - started >= 0.02


def test_waiting_is_not_counted():
    started = work_clock.thread_work_seconds()
    threading.Event().wait(0.2)
    assert work_clock.thread_work_seconds() - started < 0.05


@pytest.fixture
def no_real_collections():
    # A real full collection during the test would read the faked clock.
    gc.disable()
    yield
    gc.enable()


def test_a_full_garbage_collection_is_not_counted(monkeypatch, no_real_collections):
    readings = iter([10.0, 10.4])
    monkeypatch.setattr(work_clock.time, "thread_time", lambda: next(readings))
    before = work_clock._collector_time.total
    work_clock._note_collection("start", {"generation": 2})
    work_clock._note_collection("stop", {"generation": 2, "collected": 0})
    assert work_clock._collector_time.total - before == pytest.approx(0.4)
    # A young generation's collection is not timed at all (no reading is left to take).
    work_clock._note_collection("start", {"generation": 0})
    work_clock._note_collection("stop", {"generation": 0, "collected": 0})
    assert work_clock._collector_time.total - before == pytest.approx(0.4)


def test_a_real_full_collection_leaves_the_work_clock_nearly_still():
    garbage = [[index] for index in range(300_000)]
    for index in range(0, len(garbage) - 1, 2):
        garbage[index].append(garbage[index + 1])
        garbage[index + 1].append(garbage[index])
    del garbage
    cpu_before, work_before = time.thread_time(), work_clock.thread_work_seconds()
    gc.collect(2)
    cpu_spent = time.thread_time() - cpu_before
    work_spent = work_clock.thread_work_seconds() - work_before
    assert cpu_spent > 0
    assert work_spent < cpu_spent / 2

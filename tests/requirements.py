"""Tests that need something a laptop may lack (a PostgreSQL server, chromium and Thai fonts).

On a developer's machine such a test is skipped, with a reason that says how to get what it
needs. CI sets ``KHUMKRONG_CI=1`` (see ``.ci/run``): there the same test fails instead, so CI
always runs it.
"""
from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("KHUMKRONG_CI") == "1"


def unavailable(what: str, how_to_get_it: str) -> NoReturn:
    """Skip (or, in CI, fail) the current test because ``what`` is missing."""
    message = f"{what} is not available here; {how_to_get_it}"
    if in_ci():
        pytest.fail(f"{message} (KHUMKRONG_CI=1: CI must run this test)", pytrace=False)
    pytest.skip(message)

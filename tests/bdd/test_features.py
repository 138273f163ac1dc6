"""Every scenario of the protocol library (``features/*.feature``), run through the engine."""
from __future__ import annotations

from pathlib import Path

from pytest_bdd import scenarios

# From this file's location, so the suite runs from any working directory.
FEATURES = Path(__file__).resolve().parents[2] / "features"

if any(FEATURES.glob("*.feature")):
    scenarios(str(FEATURES))

"""One sender run in its own process, for the crash test:

    python -m tests.engine.notify.sender_process DATABASE_URL SMTP_PORT CLOCK_ISO
"""
from __future__ import annotations

import sys
from datetime import datetime

import engine.models  # noqa: F401
from engine.clock import SimulatedClock
from engine.db import make_engine, make_session_factory
from engine.notify.sender import deliver_pending
from engine.settings import Settings


def main(database_url: str, smtp_port: str, clock_iso: str) -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=int(smtp_port), smtp_from="khumkrong@tak.example", smtp_timeout_seconds=30)
    engine = make_engine(database_url)
    try:
        report = deliver_pending(make_session_factory(engine), settings=settings, clock=SimulatedClock(datetime.fromisoformat(clock_iso)))
    finally:
        engine.dispose()
    print(report, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

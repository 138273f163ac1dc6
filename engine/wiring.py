"""The one place a process is put together from its settings.

``Wiring.from_settings(settings)`` reads the network definition with its business calendar and
sizes the protocol version cache at once (so a broken file stops the process at start-up, naming
the field), and makes the database's one SQLAlchemy engine, with its session factory, when first
needed. The app, the command line, the worker and the demo loader all take what they need from
one wiring; nothing else reads the settings, builds an engine or loads the network.
"""
from __future__ import annotations

from functools import cached_property
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

# Foreign keys name tables by string: every session must know every model before its first flush,
# whichever modules the caller happened to import (the users commands once crashed on that).
import engine.models  # noqa: F401
from engine.calendar import BusinessCalendar, load_calendar
from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_session_factory
from engine.network.definition import Network, load_network
from engine.protocols.cache import VersionCache
from engine.settings import Settings
from engine.workflow.live import LiveWorkflows


class Wiring:
    """Settings, clock, network (with its calendar), database engine, sessions, version cache."""

    def __init__(self, settings: Settings, *, network: Network, clock: Clock) -> None:
        self.settings = settings
        self.network = network
        self.clock = clock
        self.versions = VersionCache(settings.spec_cache_size)
        self.live_workflows = LiveWorkflows(settings.live_workflow_cache_size)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> Wiring:
        network = load_network(settings.network_file, calendar=load_calendar(settings.calendar_file))
        return cls(settings, network=network, clock=clock or SystemClock())

    @property
    def calendar(self) -> BusinessCalendar:
        return self.network.calendar

    @cached_property
    def db(self) -> Engine:
        """The process's one engine (and connection pool) for the settings' database."""
        return make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        """Sessions of the database; they carry its protocol version and live workflow caches (``Session.info``)."""
        return make_session_factory(
            self.db, info={**self.versions.session_info(), **self.live_workflows.session_info()}
        )

    def dispose(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()

    def __enter__(self) -> Wiring:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.dispose()

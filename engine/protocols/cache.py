"""Stored protocol versions kept in memory: the spec a case's workflow is restored on, and the
catalogue of its user tasks.

A stored version never changes, so an entry is never stale. Version ids are only unique within
one database, so a cache belongs to one database: it travels with the sessions of that
database's session factory (``engine.wiring`` makes both), in ``Session.info``.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import make_session_factory
from engine.errors import NotFound
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import UserTaskDescriptor, descriptors_from_json
from engine.workflow.live import LiveWorkflows

_SESSION_KEY = "khumkrong.protocol_versions"
DEFAULT_SIZE = 64


@dataclass(frozen=True)
class CachedVersion:
    spec_json: str
    descriptors: dict[str, UserTaskDescriptor]
    # The protocol's key: what a task's summary names after a command, without a query.
    key: str


class VersionCache:
    """The newest-used ``size`` protocol versions of one database (least recently used go first)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"a version cache holds at least one version, not {size}")
        self.size = size
        self._items: OrderedDict[int, CachedVersion] = OrderedDict()
        self._lock = Lock()

    def get(self, session: Session, version_id: int) -> CachedVersion:
        with self._lock:
            if version_id in self._items:
                self._items.move_to_end(version_id)
                return self._items[version_id]
        row = session.execute(
            select(ProtocolVersion.spec_json, ProtocolVersion.tasks_json, ProtocolVersion.key)
            .where(ProtocolVersion.id == version_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"protocol version {version_id} does not exist", field="protocol_version_id")
        loaded = CachedVersion(row.spec_json, descriptors_from_json(row.tasks_json), row.key)
        with self._lock:
            self._items[version_id] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded

    def __len__(self) -> int:
        return len(self._items)

    def session_info(self) -> dict[str, Any]:
        """What a session factory of this cache's database carries (``sessionmaker(info=…)``)."""
        return {_SESSION_KEY: self}


def version_cache(session: Session) -> VersionCache:
    """The cache of the session's database; sessions made by ``cached_session_factory`` carry it."""
    cache = session.info.get(_SESSION_KEY)
    if not isinstance(cache, VersionCache):
        raise RuntimeError(
            "this session carries no protocol version cache: make sessions with engine.wiring "
            "(or engine.protocols.cache.cached_session_factory)"
        )
    return cache


def cached_session_factory(engine: Engine, *, cache_size: int = DEFAULT_SIZE) -> sessionmaker[Session]:
    """Sessions of one database that share one cache of its protocol versions and one of its
    live workflows (:mod:`engine.workflow.live`)."""
    return make_session_factory(engine, info={**VersionCache(cache_size).session_info(), **LiveWorkflows().session_info()})

"""Workflows kept alive between commands, so that a command on a case need not rebuild its
workflow from the stored state every time.

An entry is the workflow exactly as it was serialised by the last command that committed it,
with the row version and the state text that command wrote. It is handed out only to a command
that read the same version *and* the same state text from the database (a plain string
comparison, microseconds): anything written by another process, a restore of a backup, an
erasure or a migration of the case changes one or both, and the entry is dropped. Handing an
entry out removes it, so no two commands ever share one workflow object; the command that took
it puts it back only once its own transaction has committed.

The cache is bounded (least recently used entries go first) and belongs to one database, like
the protocol version cache, so it travels in ``Session.info``.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Any

from engine.workflow.types import Workflow

_SESSION_KEY = "khumkrong.live_workflows"
DEFAULT_SIZE = 256


@dataclass(frozen=True)
class _Entry:
    version: int
    spec_key: int
    state_json: str
    workflow: Workflow


class LiveWorkflows:
    """The ``size`` most recently moved workflows of one database, by case id."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError(f"a live workflow cache holds zero or more workflows, not {size}")
        self.size = size
        self._items: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def take(self, case_id: int, *, version: int, spec_key: int, state_json: str) -> Workflow | None:
        """The case's workflow if the cached one is exactly what the database holds; the entry
        leaves the cache either way (the caller owns the workflow until it puts it back)."""
        with self._lock:
            entry = self._items.pop(case_id, None)
            if (
                entry is None or entry.version != version or entry.spec_key != spec_key
                or entry.state_json != state_json
            ):
                self.misses += 1
                return None
            self.hits += 1
            return entry.workflow

    def keep(self, case_id: int, *, version: int, spec_key: int, state_json: str, workflow: Workflow) -> None:
        """Keep a workflow whose serialisation ``state_json`` was committed at ``version``."""
        if self.size == 0:
            return
        with self._lock:
            self._items[case_id] = _Entry(version, spec_key, state_json, workflow)
            self._items.move_to_end(case_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget(self, case_id: int) -> None:
        with self._lock:
            self._items.pop(case_id, None)

    def __len__(self) -> int:
        return len(self._items)

    def session_info(self) -> dict[str, Any]:
        """What a session factory of this cache's database carries (``sessionmaker(info=…)``)."""
        return {_SESSION_KEY: self}


def live_workflows(info: dict[str, Any]) -> LiveWorkflows | None:
    """The cache a session's ``info`` carries, if its factory made one."""
    cache = info.get(_SESSION_KEY)
    return cache if isinstance(cache, LiveWorkflows) else None

"""Protocol specs rebuilt once per process, not once per command.

A stored spec never changes, and SpiffWorkflow's spec objects are shared by every workflow run on
them (as they are when a parsed diagram starts many workflows), so a workflow restored from a
case's state is given the spec objects already rebuilt from the same spec text. Keyed by the
text itself: the protocol version cache hands out the same string object each time, whose hash
Python keeps, so a lookup costs next to nothing.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from threading import Lock
from typing import Any

from engine.workflow.types import ProcessSpec

DEFAULT_SIZE = 64

# The spec, its subprocess specs, and the serializer format they were stored in.
Specs = tuple[ProcessSpec, dict[str, ProcessSpec], Any]

_lock = Lock()
_specs: OrderedDict[str, Specs] = OrderedDict()


def restored_specs(spec_json: str, serializer: Any) -> Specs:
    """The spec and subprocess specs of a stored spec text, rebuilt at most once per process."""
    with _lock:
        found = _specs.get(spec_json)
        if found is not None:
            _specs.move_to_end(spec_json)
            return found
    blob = json.loads(spec_json, cls=serializer.json_decoder_cls)
    version = blob.pop(serializer.VERSION_KEY, None)
    rebuilt: Specs = (
        serializer.registry.restore(blob["spec"]),
        {name: serializer.registry.restore(sub) for name, sub in blob["subprocess_specs"].items()},
        version,
    )
    with _lock:
        _specs[spec_json] = rebuilt
        while len(_specs) > DEFAULT_SIZE:
            _specs.popitem(last=False)
    return rebuilt

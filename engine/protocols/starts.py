"""Who opens a case of a protocol: the agency whose lane holds its start event.

A protocol is started by the agency that receives what it is about (P1's report of abuse by the
social development office, P4's arrest by the police, a school's screening by the education
office): the lane of its plain start event (a message start is a referral from another case,
which the engine starts itself). A protocol with no plain start event is started from the lane
of any start event it has. The committee and administrators may open any protocol's case.
"""
from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.roles import PROVINCE_ROLES, WORKING_ROLES
from engine.protocols.loading import BPMN_NS, load_bpmn
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import _lanes_by_node
from engine.protocols.service import published_versions

# Stored versions never change: their start lanes are read once per content (hash).
_START_LANES: dict[str, tuple[tuple[str | None, str | None], ...]] = {}
_LOCK = threading.Lock()


def start_lanes(bpmn: bytes | str) -> tuple[tuple[str | None, str | None], ...]:
    """(lane id, lane name) of each start event of the protocol's executable process (its top
    level, not inside subprocesses): of its plain start events if it has any."""
    tree = load_bpmn(bpmn)
    lanes = _lanes_by_node(tree)
    plain: list[tuple[str | None, str | None]] = []
    every: list[tuple[str | None, str | None]] = []
    for process in tree.getroot().iterchildren(f"{{{BPMN_NS}}}process"):
        for start in process.iterchildren(f"{{{BPMN_NS}}}startEvent"):
            lane = lanes.get(start.get("id", ""), (None, None))
            every.append(lane)
            if not any(child.tag.endswith("EventDefinition") for child in start.iterchildren() if isinstance(child.tag, str)):
                plain.append(lane)
    return tuple(plain or every)


def start_agencies(version: ProtocolVersion, network: Network) -> frozenset[str]:
    """The agencies whose people open cases of this version."""
    with _LOCK:
        lanes = _START_LANES.get(version.content_hash)
    if lanes is None:
        lanes = start_lanes(version.bpmn_text)
        with _LOCK:
            _START_LANES[version.content_hash] = lanes
    agencies = set()
    for lane_id, lane_name in lanes:
        assignment = network.assign_lane(lane_name, lane_id)
        if assignment is not None:
            agencies.add(assignment.agency_code)
    return frozenset(agencies)


def may_start(actor: Actor, version: ProtocolVersion, network: Network) -> bool:
    if actor.is_system:
        return False
    if actor.role in PROVINCE_ROLES:
        return True
    return actor.role in WORKING_ROLES and actor.agency_code in start_agencies(version, network)


def startable_versions(*, session: Session, actor: Actor, network: Network) -> list[ProtocolVersion]:
    """The newest published version of each protocol the actor may open a case of, by key."""
    return [version for version in published_versions(session=session) if may_start(actor, version, network)]

"""Which agency opens a case of a protocol: the lane of its plain start event."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.forms.catalogue import load_forms
from engine.people.actors import SYSTEM, Actor
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion
from engine.protocols.starts import may_start, start_agencies, start_lanes, startable_versions
from engine.settings import PROJECT_ROOT
from tests.conftest import FIXTURES

PROTOCOLS = PROJECT_ROOT / "protocols"


def _lane_names(path):
    return {name for _id, name in start_lanes(path.read_bytes())}


def test_the_plain_start_events_lane_starts_the_protocol_not_a_referrals():
    # P1 also starts on a referral message; that start is the engine's, not a person's.
    assert _lane_names(PROTOCOLS / "p1_abuse_report.bpmn") == {"pmj_tak"}
    assert _lane_names(PROTOCOLS / "p4_conflict_with_law.bpmn") == {"police_tak"}
    assert _lane_names(PROTOCOLS / "p2_student_screening.bpmn") == {"spm_tak"}
    # The reference protocol's lane names its agency by name.
    assert start_lanes((FIXTURES / "reference_protocol.bpmn").read_bytes()) == (("lane_school", "spm_tak"),)


@pytest.fixture
def library(session, network, clock):
    catalogue = load_forms(PROJECT_ROOT / "forms")
    for key in ("p1_abuse_report", "p2_student_screening"):
        bpmn = (PROTOCOLS / f"{key}.bpmn").read_bytes()
        version, _ = protocols.store_draft(session=session, key=key, bpmn=bpmn, network=network, clock=clock,
                                           actor=SYSTEM, forms=catalogue, known_messages=set(protocols.message_start_names(bpmn)) | {
                                               name for other in PROTOCOLS.glob("*.bpmn")
                                               for name in protocols.message_start_names(other.read_bytes())})
        protocols.publish(session=session, key=key, version=version.version, clock=clock, actor=SYSTEM)
    return {v.key: v for v in session.scalars(select(ProtocolVersion))}


def test_startable_versions_follow_the_actors_agency(session, network, library):
    assert start_agencies(library["p1_abuse_report"], network) == frozenset({"pmj_tak"})
    assert start_agencies(library["p2_student_screening"], network) == frozenset({"spm_tak"})
    social = Actor(1, "w", "case_worker", "pmj_tak")
    school = Actor(2, "s", "supervisor", "spm_tak")
    committee = Actor(3, "c", "committee", None)
    policy = Actor(4, "p", "policy", None)
    assert [v.key for v in startable_versions(session=session, actor=social, network=network)] == ["p1_abuse_report"]
    assert [v.key for v in startable_versions(session=session, actor=school, network=network)] == ["p2_student_screening"]
    assert [v.key for v in startable_versions(session=session, actor=committee, network=network)] == [
        "p1_abuse_report", "p2_student_screening"]
    assert startable_versions(session=session, actor=policy, network=network) == []
    assert not may_start(SYSTEM, library["p1_abuse_report"], network)

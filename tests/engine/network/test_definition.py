from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.network.definition import NetworkInvalid, ProtocolLimits, load_network, parse_network
from engine.network.models import Agency, Role
from engine.network.service import sync_network
from engine.settings import PROJECT_ROOT


def _document(**changes):
    document = {
        "network": {"province_th": "ตาก", "province_en": "Tak", "reference_prefix": "TAK"},
        "roles": [{"code": "case_worker", "name_th": "ผู้ปฏิบัติงาน", "name_en": "Case worker"}],
        "agencies": [
            {"code": "old_office", "name_th": "สำนักงานเดิม", "name_en": "Old office"},
            {"code": "new_office", "name_th": "สำนักงานใหม่", "name_en": "New office", "predecessor": "old_office"},
        ],
    }
    document.update(changes)
    return document


def test_the_shipped_network_loads():
    network = load_network(PROJECT_ROOT / "protocols" / "network.toml")
    assert network.reference_prefix == "TAK"
    assert {"spm_tak", "pmj_tak", "police_tak"} <= set(network.agencies)
    assert {"case_worker", "supervisor"} <= set(network.roles)


def test_lanes_map_by_code_optionally_narrowed_to_a_role():
    network = parse_network(_document())
    assert network.assign_lane("new_office").agency_code == "new_office"
    assigned = network.assign_lane("new_office/case_worker")
    assert (assigned.agency_code, assigned.role) == ("new_office", "case_worker")
    # Name first, then id: a display name falls through to the lane id.
    assert network.assign_lane("สำนักงานใหม่", "old_office").agency_code == "old_office"
    assert network.assign_lane("new_office/janitor") is None
    assert network.assign_lane("Police") is None
    assert network.assign_lane(None, "") is None


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"network": {"province_th": "ตาก", "province_en": "Tak"}}, "network.reference_prefix"),
        ({"network": {"province_th": "ตาก", "province_en": "Tak", "reference_prefix": "tak"}}, "network.reference_prefix"),
        ({"agencies": []}, "agencies"),
        ({"agencies": [{"code": "Bad Code", "name_th": "x", "name_en": "x"}]}, "agencies[0].code"),
        ({"agencies": [{"code": "office", "name_th": "", "name_en": "x"}]}, "agencies[0].name_th"),
        ({"agencies": [{"code": "a1", "name_th": "x", "name_en": "x"}, {"code": "a1", "name_th": "y", "name_en": "y"}]}, "agencies[1].code"),
        ({"agencies": [{"code": "a1", "name_th": "x", "name_en": "x", "predecessor": "ghost"}]}, "agencies.a1.predecessor"),
        ({"roles": [{"code": "r1", "name_th": "x"}]}, "roles[0].name_en"),
    ],
)
def test_invalid_definitions_name_the_field(changes, field):
    with pytest.raises(NetworkInvalid) as refused:
        parse_network(_document(**changes))
    assert refused.value.details["field"] == field


def test_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(NetworkInvalid, match="not found"):
        load_network(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[network\n", encoding="utf-8")
    with pytest.raises(NetworkInvalid, match="broken.toml"):
        load_network(broken)


def test_sync_upserts_agencies_with_predecessors(session):
    network = parse_network(_document())
    sync_network(session=session, network=network)
    session.commit()
    renamed = parse_network(_document(agencies=[
        {"code": "old_office", "name_th": "สำนักงานเดิม", "name_en": "Former office"},
        {"code": "new_office", "name_th": "สำนักงานใหม่", "name_en": "New office", "predecessor": "old_office"},
    ]))
    sync_network(session=session, network=renamed)
    session.commit()
    rows = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(["old_office", "new_office"])))}
    assert rows["new_office"].predecessor_code == "old_office"
    assert rows["old_office"].name_en == "Former office"
    assert session.get(Role, "case_worker").name_en == "Case worker"


# -- [limits] ---------------------------------------------------------------------------------


def test_the_shipped_network_sets_every_protocol_limit():
    limits = load_network(PROJECT_ROOT / "protocols" / "network.toml").limits
    assert limits == ProtocolLimits(
        min_cycle_interval="PT1H", max_cycle_repetitions=365, max_flow_nodes=300,
        max_parallel_branches=20, max_concurrent_tokens=50, max_multi_instance=50,
    )


def test_limits_are_optional_and_default_one_by_one():
    assert parse_network(_document()).limits == ProtocolLimits()
    limits = parse_network(_document(limits={"max_parallel_branches": 4, "min_cycle_interval": "P1D"})).limits
    assert (limits.max_parallel_branches, limits.min_cycle_interval) == (4, "P1D")
    assert limits.max_flow_nodes == ProtocolLimits().max_flow_nodes


@pytest.mark.parametrize(
    "limits, field",
    [
        ({"max_flow_nodes": 0}, "limits.max_flow_nodes"),
        ({"max_multi_instance": "50"}, "limits.max_multi_instance"),
        ({"max_parallel_branches": True}, "limits.max_parallel_branches"),
        ({"max_concurrent_tokens": 2.5}, "limits.max_concurrent_tokens"),
        ({"min_cycle_interval": "1 hour"}, "limits.min_cycle_interval"),
        ({"max_cycle_repetition": 10}, "limits.max_cycle_repetition"),  # misspelt: not silently ignored
    ],
)
def test_invalid_limits_name_the_key(limits, field):
    with pytest.raises(NetworkInvalid) as refused:
        parse_network(_document(limits=limits))
    assert refused.value.details["field"] == field

"""POST /api/v1/cases/{id}/reopen: the new case, its links both ways, and the refusals as
problem+json (the authorisation matrix holds who may)."""
from __future__ import annotations

from tests.api.conftest import API
from tests.api.test_authorisation_matrix import World


def test_reopening_over_http(session, clock, network, staff, client, reference_forms):
    world = World(session, clock, network, staff, client)
    head = staff["supervisor.spm_tak"].headers
    closed = world.closed_case()

    empty = client.post(f"{API}/cases/{closed}/reopen", headers=head, json={"reason": ""})
    assert empty.status_code == 422

    answer = client.post(f"{API}/cases/{closed}/reopen", headers=head, json={"reason": "ครูพบรอยช้ำใหม่"})
    assert answer.status_code == 201, answer.text
    reopened = answer.json()
    assert reopened["status"] == "active" and reopened["protocol"] == "reference" and reopened["id"] != closed

    old = client.get(f"{API}/cases/{closed}", headers=head).json()
    assert old["status"] == "completed"
    assert [(link["relation"], link["id"], link["legal_basis"]) for link in old["linked_cases"]] == [
        ("reopened_as", reopened["id"], None),
    ]
    new = client.get(f"{API}/cases/{reopened['id']}", headers=head).json()
    assert [(link["relation"], link["id"]) for link in new["linked_cases"]] == [("reopened_from", closed)]

    again = client.post(f"{API}/cases/{closed}/reopen", headers=head, json={"reason": "อีกครั้ง"})
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert reopened["reference"] in again.json()["detail"]
    active = client.post(f"{API}/cases/{reopened['id']}/reopen", headers=head, json={"reason": "ยังเปิดอยู่"})
    assert active.status_code == 409 and "only a closed case" in active.json()["detail"]

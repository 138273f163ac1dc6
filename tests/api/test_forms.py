"""Forms over HTTP: what a stored schema may contain, and what a submission may carry (issue 9,
items 8, 13 and 18)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import WorkItem
from engine.forms.models import Form
from tests.api.conftest import API
from tests.engine.cases.test_commands import publish_reference


@pytest.fixture
def reference(session, network, clock, staff, reference_forms):
    publish_reference(session, network, clock, staff["policy"].actor)


@pytest.mark.parametrize("schema, field", [
    ({"type": "object", "$ref": "#"}, "schema.$ref"),
    ({"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}}}, "schema.properties.code.pattern"),
])
def test_a_form_that_could_hang_or_recurse_is_refused_and_not_stored(client, session, staff, schema, field):
    answer = client.put(f"{API}/forms/looping_form", headers=staff["policy"].headers, json=schema)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field
    assert session.scalar(select(Form).where(Form.key == "looping_form")) is None


def test_a_completion_with_a_field_the_form_lacks_is_refused_and_the_task_stays_open(client, session, clock, network, staff,
                                                                                    reference):
    case = commands.start_case(session=session, protocol_key="reference", data={}, actor=staff["worker.spm_tak"].actor,
                              clock=clock, network=network)
    item_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))
    worker = staff["worker.spm_tak"].headers
    # 'severity' steers the reference protocol's gateway; 'risk' is the next form's field.
    answer = client.post(f"{API}/tasks/{item_id}/complete", headers=worker, json={"data": {"severity": "low", "risk": 5}})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "risk", "message": "'risk' is not a field of this form"}]
    assert client.get(f"{API}/tasks/{item_id}", headers=worker).json()["state"] == "open"
    assert client.post(f"{API}/tasks/{item_id}/complete", headers=worker, json={"data": {"severity": "low"}}).status_code == 200


def test_case_start_data_carries_only_what_a_case_starts_with(client, staff, reference):
    worker = staff["worker.spm_tak"].headers
    answer = client.post(f"{API}/cases", headers=worker, json={"protocol": "reference", "data": {"severity": "high", "risk": 5}})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["data.risk", "data.severity"]
    assert client.get(f"{API}/cases", headers=worker).json()["total"] == 0
    started = client.post(f"{API}/cases", headers=worker, json={"protocol": "reference", "data": {"reporting_unit": "school_takpit"}})
    assert started.status_code == 201 and started.json()["reporting_unit"] == "school_takpit"

"""Property-based run of the whole API against its own OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid, as an administrator, against a
database holding a published protocol, forms and a few cases (so generated ids sometimes hit
real objects). No answer may be a server error, and every answer must match the document:
documented status code, content type, headers and body schema. At least 1,000 requests.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from engine.cases import commands
from engine.cases.models import WorkItem
from engine.deadlines.tick import tick
from engine.people import auth
from tests.api.conftest import person
from tests.engine.cases.test_commands import publish_reference

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Per operation and mode; 28 operations × (30 + 15) is well over the 1,000 the issue asks for.
POSITIVE_EXAMPLES = int(os.environ.get("KHUMKRONG_FUZZ_POSITIVE", "30"))
NEGATIVE_EXAMPLES = int(os.environ.get("KHUMKRONG_FUZZ_NEGATIVE", "15"))
# Far above any id the generator is likely to hit, so a generated DELETE cannot revoke it.
ADMIN_TOKEN_ID = 900_000


@pytest.fixture
def seeded(session, clock, network, staff, reference_forms):
    """A published protocol, cases in several states, an escalation, and the admin's token."""
    publish_reference(session, network, clock, staff["policy"].actor)
    worker = staff["worker.spm_tak"].actor
    for severity in ("high", "low", None):
        case = commands.start_case(session=session, protocol_key="reference", data={"channel": "school"}, actor=worker,
                                  clock=clock, network=network)
        if severity:
            item_id = session.scalar(select(WorkItem.id).where(WorkItem.case_id == case.id))
            commands.complete(session=session, work_item_id=item_id, data={"severity": severity}, actor=worker,
                             clock=clock, network=network)
    clock.advance(timedelta(hours=25))
    tick(session=session, clock=clock, network=network)
    admin = person(session, clock, "fuzz.admin", "admin", None)
    secret = "kkt_fuzzing-admin-token-not-a-real-secret"
    session.add(auth.ApiToken(id=ADMIN_TOKEN_ID, user_id=admin.id, name="fuzz", token_hash=auth.digest(secret),
                              hint=secret[:8], created_at=clock.now(), active=True))
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _fuzz(operation, mode: GenerationMode, examples: int, headers: dict[str, str], statuses: dict[str, dict[int, int]]):
    """A hypothesis test sending ``examples`` generated requests to one operation."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        response = case.call(headers=headers)
        counts = statuses.setdefault(operation.label, {})
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    return run


@pytest.mark.slow
def test_generated_requests_find_no_server_error_and_no_schema_violation(app, seeded):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    statuses: dict[str, dict[int, int]] = {}
    for operation in operations:
        has_input = bool(operation.path_parameters or operation.query or operation.body or operation.headers)
        modes = [(GenerationMode.POSITIVE, POSITIVE_EXAMPLES)]
        if has_input:
            modes.append((GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES))
        for mode, examples in modes:
            try:
                _fuzz(operation, mode, examples, seeded, statuses)()
            except Unsatisfiable:
                continue  # nothing invalid can be written for this operation's inputs

    sent = sum(sum(counts.values()) for counts in statuses.values())
    print(f"\nschemathesis: {sent} requests over {len(statuses)} operations")
    for label, counts in sorted(statuses.items()):
        print(f"  {label}: {dict(sorted(counts.items()))}")
    assert sent >= 1000, statuses
    assert set(statuses) == {operation.label for operation in operations}
    assert not any(code >= 500 for counts in statuses.values() for code in counts)

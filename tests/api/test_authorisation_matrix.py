"""The authorisation matrix: every endpoint × every role, in the agency that owns the object and
in another one, with the exact status code expected.

Each row names an endpoint and how to prepare a fresh target for one caller (mutations get their
own case, task or escalation per caller, so one caller's success cannot change the next one's
answer). Cross-agency reads must answer 404 and leave an ``access.denied`` audit event.

The education office's cases are reported by a school (``school_takpit``): beside the office's
own staff, a worker of that school (``school.own``) and a worker of another school
(``school.other``, ``school_padung``) call every endpoint; the other school's worker is in the
owning agency, yet must meet the case as something that does not exist (issue 12, item 6).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.audit import AuditEvent
from engine.cases import assignment, commands
from engine.cases.models import Case, Escalation, WorkItem
from engine.children.models import Child
from engine.deadlines.tick import tick
from engine.people import auth
from engine.privacy.restriction import restrict_case
from engine.protocols import service as protocols
from tests.api.conftest import API
from tests.conftest import FIXTURES

REFERENCE = (FIXTURES / "reference_protocol.bpmn").read_text(encoding="utf-8")

# Who calls: the agency roles relative to the object's owning agency, the province-wide roles,
# nobody at all, and the workers of the reporting school and of another school of the education
# office.
CALLERS = ("worker.own", "supervisor.own", "worker.other", "supervisor.other", "policy", "committee", "admin", "anonymous",
           "school.own", "school.other")
REPORTING_SCHOOL, OTHER_SCHOOL = "school_takpit", "school_padung"


def expect(worker_own, supervisor_own, worker_other, supervisor_other, policy, committee, admin, anonymous=401,
           school: tuple[int, int] | None = None) -> dict[str, int]:
    """``school``: the reporting school's worker and another school's; by default both answer like
    a worker of the owning agency (endpoints that are not about one case)."""
    school_own, school_other = school or (worker_own, worker_own)
    return dict(zip(CALLERS, (worker_own, supervisor_own, worker_other, supervisor_other, policy, committee, admin, anonymous,
                              school_own, school_other), strict=True))


EVERYONE = expect(200, 200, 200, 200, 200, 200, 200)
CASE_READ = expect(200, 200, 404, 404, 403, 200, 200, school=(200, 404))


class World:
    """The test database with the reference protocol published, and ways to make fresh targets."""

    def __init__(self, session, clock, network, staff, client):
        self.session, self.clock, self.network, self.staff, self.client = session, clock, network, staff, client
        self.counter = 0
        version, _ = protocols.store_draft(session=session, key="reference", bpmn=REFERENCE, network=network,
                                           clock=clock, actor=staff["policy"].actor)
        protocols.publish(session=session, key="reference", version=version.version, clock=clock, actor=staff["policy"].actor)

    def person(self, caller: str, own: str, other: str):
        if caller == "anonymous":
            return None
        if caller.startswith("school."):
            return self.staff[f"worker.{REPORTING_SCHOOL if caller == 'school.own' else OTHER_SCHOOL}"]
        role, _, where = caller.partition(".")
        if where:
            return self.staff[f"{role}.{own if where == 'own' else other}"]
        return self.staff[caller]

    def headers(self, caller: str, own: str = "spm_tak", other: str = "police_tak") -> dict[str, str]:
        who = self.person(caller, own, other)
        return who.headers if who else {}

    def case(self) -> tuple[int, int]:
        """A fresh case reported by a school of the education office; returns (case id, intake task id)."""
        case = commands.start_case(session=self.session, protocol_key="reference", data={"channel": "school"},
                                  actor=self.staff["worker.spm_tak"].actor, clock=self.clock, network=self.network,
                                  reporting_unit=REPORTING_SCHOOL)
        item = self.session.scalar(select(WorkItem).where(WorkItem.case_id == case.id))
        return case.id, item.id

    def claimed_by(self, caller: str) -> int:
        """A fresh intake task claimed by the caller if they may work it, else by the office's worker."""
        _, item_id = self.case()
        who = self.person(caller, "spm_tak", "police_tak")
        claimer = who if who is not None and who.actor.agency_code == "spm_tak" and caller != "school.other" \
            else self.staff["worker.spm_tak"]
        assignment.claim(session=self.session, work_item_id=item_id, actor=claimer.actor, clock=self.clock)
        return item_id

    def escalation(self) -> int:
        """A fresh level-1 escalation of late work at the social development office (pmj_tak)."""
        case_id, report_id = self.case()
        commands.complete(session=self.session, work_item_id=report_id, data={"severity": "high"},
                         actor=self.staff["worker.spm_tak"].actor, clock=self.clock, network=self.network)
        self.clock.advance(timedelta(hours=25))
        tick(session=self.session, clock=self.clock, network=self.network)
        return self.session.scalar(select(Escalation.id).where(Escalation.case_id == case_id))

    def child_case(self) -> tuple[int, int]:
        """A fresh case of the school office whose child has a record; returns (case id, child id)."""
        case_id, _ = self.case()
        child = Child(first_name="ฝน", last_name="ใจดี", created_at=self.clock.now(), updated_at=self.clock.now())
        self.session.add(child)
        self.session.flush()
        self.session.get_one(Case, case_id).child_id = child.id
        self.session.commit()
        return case_id, child.id

    def closed_case(self) -> int:
        """A fresh case of the school office, filed and closed at the school."""
        case_id, report_id = self.case()
        worker = self.staff["worker.spm_tak"].actor
        commands.complete(session=self.session, work_item_id=report_id, data={"severity": "low"}, actor=worker,
                          clock=self.clock, network=self.network)
        filed = self.session.scalar(select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.state == "open"))
        commands.complete(session=self.session, work_item_id=filed, data={}, actor=worker, clock=self.clock,
                          network=self.network)
        return case_id

    def restricted_case(self) -> int:
        case_id, _ = self.case()
        restrict_case(session=self.session, actor=self.staff["committee"].actor, case_id=case_id, reason="คำขอระงับ",
                      now=self.clock.now())
        return case_id

    def draft(self) -> str:
        self.counter += 1
        key = f"matrix_{self.counter}"
        protocols.store_draft(session=self.session, key=key, bpmn=REFERENCE, network=self.network, clock=self.clock,
                              actor=self.staff["policy"].actor)
        return key

    def fresh_key(self) -> str:
        self.counter += 1
        return f"matrix_{self.counter}"

    def token_of(self, caller: str) -> int:
        who = self.person(caller, "spm_tak", "police_tak")
        owner = who or self.staff["admin"]
        row, _ = auth.create_token(self.session, user_id=owner.id, name="to revoke", expires_at=None, actor=owner.actor, clock=self.clock)
        return row.id


Request = tuple[str, str, dict[str, Any]]  # method, path, keyword arguments for the client


@dataclass(frozen=True)
class Row:
    name: str
    expected: dict[str, int]
    request: Callable[[World, str], Request]
    own: str = "spm_tak"
    other: str = "police_tak"
    # For reads of case data: the audit action a permitted read leaves (denied reads leave access.denied).
    read_action: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


def shared_case(world: World) -> tuple[int, int]:
    if not hasattr(world, "_shared"):
        world._shared = world.case()
    return world._shared


def shared_child(world: World) -> int:
    if not hasattr(world, "_shared_child"):
        world._shared_child = world.child_case()[1]
    return world._shared_child


XML = {"Content-Type": "application/xml"}

ROWS = [
    Row("GET /me", EVERYONE, lambda w, c: ("GET", "/me", {})),
    Row("GET /agencies", EVERYONE, lambda w, c: ("GET", "/agencies", {})),
    Row("POST /children/matches", expect(200, 200, 200, 200, 403, 200, 200),
        lambda w, c: ("POST", "/children/matches", {"json": {"child_first_name": "มะลิ", "child_birth_date": "2011-05-01"}})),
    Row("GET /protocols", EVERYONE, lambda w, c: ("GET", "/protocols", {})),
    Row("GET /protocols/{key}/versions/{n}/bpmn", EVERYONE, lambda w, c: ("GET", "/protocols/reference/versions/1/bpmn", {})),
    Row("POST /protocols/{key}/drafts", expect(403, 403, 403, 403, 201, 403, 201),
        lambda w, c: ("POST", f"/protocols/{w.fresh_key()}/drafts", {"content": REFERENCE.encode(), "headers": XML})),
    Row("POST /protocols/{key}/versions/{n}/publish", expect(403, 403, 403, 403, 200, 403, 200),
        lambda w, c: ("POST", f"/protocols/{w.draft()}/versions/1/publish", {})),
    Row("GET /forms", EVERYONE, lambda w, c: ("GET", "/forms", {})),
    Row("GET /forms/{key}", EVERYONE, lambda w, c: ("GET", "/forms/report_form", {})),
    Row("PUT /forms/{key}", expect(403, 403, 403, 403, 200, 403, 200),
        lambda w, c: ("PUT", f"/forms/{w.fresh_key()}", {"json": {"type": "object", "properties": {"x": {"type": "string"}}}})),
    # A school's staff report for their own school: naming another is refused.
    Row("POST /cases", expect(201, 201, 201, 201, 403, 201, 201, school=(201, 422)),
        lambda w, c: ("POST", "/cases", {"json": {"protocol": "reference", "data": {"reporting_unit": "school_takpit"}}})),
    Row("GET /cases", expect(200, 200, 200, 200, 403, 200, 200), lambda w, c: ("GET", "/cases", {"params": {"q": "TAK"}})),
    Row("GET /cases/{id}", CASE_READ, lambda w, c: ("GET", f"/cases/{shared_case(w)[0]}", {}), read_action="case.viewed"),
    Row("GET /cases/{id}/audit", CASE_READ, lambda w, c: ("GET", f"/cases/{shared_case(w)[0]}/audit", {}),
        read_action="case.audit_viewed"),
    Row("GET /tasks", expect(200, 200, 200, 200, 403, 200, 200), lambda w, c: ("GET", "/tasks", {})),
    Row("GET /tasks?scope=all", expect(403, 403, 403, 403, 403, 200, 200),
        lambda w, c: ("GET", "/tasks", {"params": {"scope": "all"}})),
    Row("GET /tasks/{id}", CASE_READ, lambda w, c: ("GET", f"/tasks/{shared_case(w)[1]}", {}), read_action="task.viewed"),
    Row("POST /tasks/{id}/claim", expect(200, 200, 404, 404, 403, 403, 403, school=(200, 404)),
        lambda w, c: ("POST", f"/tasks/{w.case()[1]}/claim", {})),
    Row("POST /tasks/{id}/unclaim", expect(200, 200, 404, 404, 403, 403, 403, school=(200, 404)),
        lambda w, c: ("POST", f"/tasks/{w.claimed_by(c)}/unclaim", {})),
    Row("PUT /tasks/{id}/assignee", expect(403, 200, 404, 404, 403, 200, 200, school=(403, 404)),
        lambda w, c: ("PUT", f"/tasks/{w.case()[1]}/assignee", {"json": {"assignee_id": w.staff["worker.spm_tak"].id}})),
    Row("POST /tasks/{id}/complete", expect(200, 200, 404, 404, 403, 403, 403, school=(200, 404)),
        lambda w, c: ("POST", f"/tasks/{w.case()[1]}/complete", {"json": {"data": {"severity": "low"}}})),
    Row("POST /tasks/{id}/comments", expect(201, 201, 404, 404, 403, 201, 201, school=(201, 404)),
        lambda w, c: ("POST", f"/tasks/{shared_case(w)[1]}/comments", {"json": {"body": "โทรหาผู้ปกครองแล้ว"}})),
    Row("GET /tasks/{id}/comments", CASE_READ, lambda w, c: ("GET", f"/tasks/{shared_case(w)[1]}/comments", {}),
        read_action="task.comments_viewed"),
    Row("GET /escalations", expect(200, 200, 200, 200, 403, 200, 200), lambda w, c: ("GET", "/escalations", {}),
        own="pmj_tak"),
    Row("POST /escalations/{id}/acknowledge", expect(403, 200, 404, 404, 403, 200, 200, school=(403, 404)),
        lambda w, c: ("POST", f"/escalations/{w.escalation()}/acknowledge", {"json": {"note": "รับทราบ"}}), own="pmj_tak"),
    Row("POST /escalations/{id}/resolve", expect(403, 200, 404, 404, 403, 200, 200, school=(403, 404)),
        lambda w, c: ("POST", f"/escalations/{w.escalation()}/resolve", {"json": {"note": "เรียบร้อย"}}), own="pmj_tak"),
    Row("GET /reports/overdue", expect(403, 200, 403, 200, 200, 200, 200), lambda w, c: ("GET", "/reports/overdue", {})),
    Row("POST /simulation/clock", expect(403, 403, 403, 403, 200, 403, 200),
        lambda w, c: ("POST", "/simulation/clock", {"json": {"advance": "PT0S"}})),
    # The matrix signs in with tokens, and tokens are made from a session only (issue 9, item 15).
    Row("POST /auth/tokens", expect(403, 403, 403, 403, 403, 403, 403),
        lambda w, c: ("POST", "/auth/tokens", {"json": {"name": "script"}})),
    Row("GET /auth/tokens", EVERYONE, lambda w, c: ("GET", "/auth/tokens", {})),
    Row("DELETE /auth/tokens/{id} (own token)", expect(204, 204, 204, 204, 204, 204, 204),
        lambda w, c: ("DELETE", f"/auth/tokens/{w.token_of(c)}", {})),
    Row("POST /auth/logout", expect(204, 204, 204, 204, 204, 204, 204), lambda w, c: ("POST", "/auth/logout", {})),
    # Answering a child for their data (PDPA ss.30-36): supervisors of the case's agency, the committee.
    Row("GET /children/{child_id}/subject-access", expect(403, 200, 403, 404, 403, 200, 403),
        lambda w, c: ("GET", f"/children/{shared_child(w)}/subject-access", {})),
    Row("POST /children/{child_id}/rectifications", expect(403, 200, 403, 404, 403, 200, 403),
        lambda w, c: ("POST", f"/children/{w.child_case()[1]}/rectifications",
                      {"json": {"fields": {"last_name": "ใจงาม"}, "reason": "สะกดผิด"}})),
    Row("POST /cases/{id}/restriction", expect(403, 201, 403, 404, 403, 201, 403),
        lambda w, c: ("POST", f"/cases/{w.case()[0]}/restriction", {"json": {"reason": "ผู้ปกครองขอระงับ"}})),
    Row("POST /cases/{id}/restriction/lift", expect(403, 200, 403, 404, 403, 200, 403),
        lambda w, c: ("POST", f"/cases/{w.restricted_case()}/restriction/lift", {"json": {"note": "ตรวจสอบแล้ว"}})),
    # Re-opening a closed case: a supervisor of an agency that worked it (not the committee, which oversees).
    Row("POST /cases/{id}/reopen", expect(403, 201, 403, 404, 403, 403, 403),
        lambda w, c: ("POST", f"/cases/{w.closed_case()}/reopen", {"json": {"reason": "พบเหตุใหม่หลังปิดกรณี"}})),
    Row("GET /healthz", expect(200, 200, 200, 200, 200, 200, 200, anonymous=200), lambda w, c: ("GET", "/healthz", {})),
    Row("GET /readyz", expect(200, 200, 200, 200, 200, 200, 200, anonymous=200), lambda w, c: ("GET", "/readyz", {})),
]


def test_the_matrix_covers_every_endpoint(app):
    """A new route must get a row here before it ships."""
    routes = {
        (method.upper(), path.removeprefix(API))
        for path, operations in app.openapi()["paths"].items() for method in operations
    }
    covered = {(row.name.split()[0], row.name.split()[1].split("?")[0]) for row in ROWS}
    normalised = {(m, p.replace("{key}/versions/{version}", "{key}/versions/{n}")
                   .replace("{case_id}", "{id}").replace("{task_id}", "{id}")
                   .replace("{escalation_id}", "{id}").replace("{token_id}", "{id}")) for m, p in routes}
    # Login is not a matter of role (nobody is signed in yet): tests/api/test_auth.py covers it.
    assert normalised - covered == {("POST", "/auth/login")}


@pytest.fixture
def world(session, clock, network, staff, client, reference_forms):
    return World(session, clock, network, staff, client)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_authorisation_matrix(row: Row, world: World, client, session):
    answers = {}
    for caller in CALLERS:
        method, path, kwargs = row.request(world, caller)
        headers = {**kwargs.pop("headers", {}), **world.headers(caller, row.own, row.other)}
        url = path if path in ("/healthz", "/readyz") else f"{API}{path}"
        response = client.request(method, url, headers=headers, **kwargs)
        answers[caller] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", (caller, response.text)
        if row.read_action and caller != "anonymous" and response.status_code in (200, 404):
            who = world.person(caller, row.own, row.other)
            action = row.read_action if response.status_code == 200 else "access.denied"
            recorded = session.scalars(select(AuditEvent).where(
                AuditEvent.actor_id == who.id, AuditEvent.action == action,
            ).order_by(AuditEvent.id.desc())).first()
            assert recorded is not None, f"{caller}: no {action} audit event"
            assert recorded.case_id == shared_case(world)[0] and recorded.client_address == "testclient"
    assert answers == row.expected


def test_cross_agency_callers_do_not_find_the_case_in_lists(world, client):
    case_id, task_id = shared_case(world)
    other = world.staff["worker.police_tak"].headers
    own = world.staff["worker.spm_tak"].headers
    assert [c["id"] for c in client.get(f"{API}/cases", headers=own).json()["items"]] == [case_id]
    assert client.get(f"{API}/cases", headers=other).json()["items"] == []
    assert client.get(f"{API}/cases", headers=other, params={"q": "TAK-2026"}).json()["total"] == 0
    assert client.get(f"{API}/tasks", headers=other).json()["items"] == []
    assert client.get(f"{API}/tasks", headers=other, params={"agency": "spm_tak"}).json()["items"] == []
    assert [t["id"] for t in client.get(f"{API}/tasks", headers=own).json()["items"]] == [task_id]


def test_another_schools_worker_does_not_find_the_case_anywhere(world, client):
    """Same agency, other school: not in the case list or search, the task list, the inbox or
    its count, and the case, its task and its audit answer 404 like a missing case."""
    case_id, task_id = shared_case(world)
    own = world.staff[f"worker.{REPORTING_SCHOOL}"].headers
    other = world.staff[f"worker.{OTHER_SCHOOL}"].headers
    office = world.staff["supervisor.spm_tak"].headers
    for headers, sees in ((own, True), (office, True), (other, False)):
        cases = client.get(f"{API}/cases", headers=headers).json()
        assert ([c["id"] for c in cases["items"]] == [case_id]) is sees
        found = client.get(f"{API}/cases", headers=headers, params={"q": cases["items"][0]["reference"] if sees else "TAK"})
        assert found.json()["total"] == (1 if sees else 0)
        assert ([t["id"] for t in client.get(f"{API}/tasks", headers=headers).json()["items"]] == [task_id]) is sees
        assert (client.get(f"{API}/cases/{case_id}", headers=headers).status_code == 200) is sees
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/audit", f"/tasks/{task_id}", f"/tasks/{task_id}/comments"):
        assert client.get(f"{API}{path}", headers=other).status_code == 404, path
    assert client.get(f"{API}/tasks", headers=other, params={"agency": "spm_tak"}).json()["items"] == []


def test_a_missing_case_and_a_hidden_case_answer_alike(world, client):
    case_id, _ = shared_case(world)
    other = world.staff["supervisor.police_tak"].headers
    hidden = client.get(f"{API}/cases/{case_id}", headers=other)
    missing = client.get(f"{API}/cases/999999", headers=other)
    assert hidden.status_code == missing.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k != "detail"}  # noqa: E731 - the id differs
    assert strip(hidden.json()) == strip(missing.json())
    assert hidden.json()["detail"] == f"case {case_id} not found"


def test_someone_elses_token_cannot_be_revoked(world, client):
    token_id = world.token_of("worker.own")
    response = client.delete(f"{API}/auth/tokens/{token_id}", headers=world.staff["worker.pmj_tak"].headers)
    assert response.status_code == 404
    assert client.delete(f"{API}/auth/tokens/{token_id}", headers=world.staff["admin"].headers).status_code == 204

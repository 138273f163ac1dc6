"""The subject-access export: everything held about one child that the requester may release
(PDPA s.30 access, s.31 in a commonly readable form).

The record with its guardians and the changes made to it, each case the requester may release
(``engine.privacy.rights``) with its tasks and their form values, comments, escalations and
referrals (with their legal basis, or the referring element's documentation, which states it),
and the access log: every read of those cases and of the record. Nothing of another child, and
no case the requester may not release. Each released case records the export in its trail,
committed before the export is returned.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.audit import AuditEvent
from engine.cases.access import record_denied, record_read
from engine.cases.comments import TaskComment
from engine.cases.links import link_relation
from engine.cases.models import Case, CaseLink, Escalation, WorkItem
from engine.cases.queries import form_data_of_items
from engine.cases.restrictions import CaseRestriction
from engine.children.models import Child, Guardian
from engine.errors import NotFound
from engine.forms.service import form_schema
from engine.people.actors import Actor
from engine.people.models import User
from engine.privacy.access_log import reads_of_child
from engine.privacy.rights import ensure_answers_for_data, releasable_case_ids
from engine.protocols.models import ProtocolVersion
from engine.protocols.service import message_documentation

# Changes to the child's record, with what changed (never read actions).
RECORD_CHANGE_ACTIONS = ("case.child_linked", "child.updated", "child.rectified")


@dataclass(frozen=True)
class CommentEntry:
    author: str
    written_at: datetime
    body: str | None  # None once retention blanked it
    redacted_at: datetime | None


@dataclass(frozen=True)
class TaskEntry:
    id: int
    label: str
    task_name: str
    agency_code: str
    state: str
    form_key: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    data: dict[str, Any]
    # The form's title for each field, and for each choice (Thai first), for the printable document.
    field_titles: dict[str, str]
    value_titles: dict[str, dict[str, str]]
    comments: list[CommentEntry]


@dataclass(frozen=True)
class EscalationEntry:
    agency_code: str | None
    reason: str
    code: str | None
    level: int
    target_code: str
    status: str
    raised_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class ReferralEntry:
    relation: str  # "referred_to" or "referred_from"; "reopened_as" or "reopened_from"
    message: str
    at: datetime
    other_protocol: str
    # The other case's reference, when the requester may release it too.
    other_reference: str | None
    # The link's recorded PDPA basis (legal_duty, public_task, vital_interest, consent), if any,
    # and who consented where the basis is consent.
    legal_basis: str | None
    consented_by: str | None
    # The documentation of the element that sent the referral: its section and PDPA basis.
    documentation: str | None


@dataclass(frozen=True)
class RestrictionEntry:
    restricted_at: datetime
    reason: str
    request_reference: str | None
    lifted_at: datetime | None


@dataclass(frozen=True)
class CaseEntry:
    id: int
    reference: str
    protocol_key: str
    protocol_name: str
    protocol_version: int
    status: str
    reporting_unit: str | None
    created_at: datetime
    closed_at: datetime | None
    restrictions: list[RestrictionEntry]
    tasks: list[TaskEntry]
    escalations: list[EscalationEntry]
    referrals: list[ReferralEntry]


@dataclass(frozen=True)
class GuardianEntry:
    name: str
    relation: str
    alleged_abuser: bool


@dataclass(frozen=True)
class ChildEntry:
    id: int
    first_name: str
    last_name: str | None
    birth_date: date | None
    national_id: str | None
    g_code: str | None
    nationality: str | None
    language: str | None
    school: str | None
    created_at: datetime
    updated_at: datetime
    anonymised_at: datetime | None
    guardians: list[GuardianEntry]


@dataclass(frozen=True)
class RecordChange:
    at: datetime
    action: str
    by: str
    case_reference: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AccessEntry:
    event_id: int
    at: datetime
    action: str
    by: str
    role: str
    agency: str | None
    from_address: str | None
    case_reference: str | None


@dataclass(frozen=True)
class SubjectAccessExport:
    generated_at: datetime
    generated_by: str
    generated_by_role: str
    generated_by_agency: str | None
    request_reference: str | None
    # Whose cases it covers: "all" (the committee) or the requester's agency code.
    scope: str
    child: ChildEntry
    cases: list[CaseEntry]
    record_changes: list[RecordChange]
    access_log: list[AccessEntry] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: instants and dates in ISO 8601."""
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def export_child(
    *, session: Session, actor: Actor, child_id: int, now: datetime, request_reference: str | None = None,
    format_name: str = "json",
) -> SubjectAccessExport:
    """Everything about the child the actor may release, recorded on each released case's trail.

    A child none of whose cases the actor may release is answered like a missing record.
    """
    ensure_answers_for_data(actor, "export a child's data")
    child = session.get(Child, child_id)
    released = releasable_case_ids(session=session, actor=actor, child_id=child_id) if child is not None else []
    if child is None or not released:
        record_denied(session=session, actor=actor, at=now, resource="child", resource_id=child_id,
                      attempted="export a child's data")
        raise NotFound(f"child record {child_id} not found", field="child_id")
    cases = list(session.scalars(select(Case).where(Case.id.in_(released)).order_by(Case.created_at, Case.id)))
    users = _usernames(session)
    export = SubjectAccessExport(
        generated_at=now, generated_by=actor.username, generated_by_role=actor.role,
        generated_by_agency=actor.agency_code, request_reference=request_reference,
        scope=actor.agency_code if actor.agency_code else "all",
        child=_child(session, child),
        cases=[_case(session, case, released=set(released), users=users) for case in cases],
        record_changes=_record_changes(session, child_id=child_id, cases=cases),
        access_log=[
            AccessEntry(r.event_id, r.occurred_at, r.action, r.actor_username, r.actor_role, r.actor_agency, r.client_address,
                        r.case_reference)
            for r in reads_of_child(session=session, child_id=child_id)
            if r.case_id is None or r.case_id in released
        ],
    )
    for case in cases:
        record_read(session=session, action="case.exported", actor=actor, at=now, case_id=case.id, child_id=child_id,
                    request=request_reference, format=format_name)
    session.commit()
    return export


def _usernames(session: Session) -> dict[int, str]:
    return {user_id: name for user_id, name in session.execute(select(User.id, User.username))}


def _child(session: Session, child: Child) -> ChildEntry:
    guardians = session.scalars(select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.id))
    return ChildEntry(
        child.id, child.first_name, child.last_name, child.birth_date, child.national_id, child.g_code,
        child.nationality, child.language, child.school, child.created_at, child.updated_at, child.anonymised_at,
        [GuardianEntry(g.name, g.relation, g.alleged_abuser) for g in guardians],
    )


def _case(session: Session, case: Case, *, released: set[int], users: dict[int, str]) -> CaseEntry:
    version = session.get_one(ProtocolVersion, case.protocol_version_id)
    items = list(session.scalars(select(WorkItem).where(WorkItem.case_id == case.id).order_by(WorkItem.id)))
    values = form_data_of_items(session=session, case=case, items=items)
    comments: dict[int, list[CommentEntry]] = {}
    for comment in session.scalars(select(TaskComment).where(TaskComment.case_id == case.id).order_by(TaskComment.id)):
        comments.setdefault(comment.work_item_id, []).append(CommentEntry(
            users.get(comment.author_id, "?"), comment.created_at, None if comment.redacted_at else comment.body,
            comment.redacted_at,
        ))
    escalations = session.scalars(select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id))
    restrictions = session.scalars(
        select(CaseRestriction).where(CaseRestriction.case_id == case.id).order_by(CaseRestriction.id)
    )
    return CaseEntry(
        case.id, case.reference, version.key, version.name, version.version, case.status, case.reporting_unit,
        case.created_at, case.closed_at,
        [RestrictionEntry(r.restricted_at, r.reason, r.request_reference, r.lifted_at) for r in restrictions],
        [
            TaskEntry(
                item.id, item.label, item.task_name, item.agency_code, item.state, item.form_key, item.created_at,
                item.due_at, item.completed_at, users.get(item.completed_by_id) if item.completed_by_id else None,
                values.get(item.id, {}), *_titles(session, item.form_key), comments.get(item.id, []),
            )
            for item in items
        ],
        [
            EscalationEntry(e.agency_code, e.reason, e.code, e.level, e.target_code, e.status, e.raised_at,
                            e.acknowledged_at, e.resolved_at)
            for e in escalations
        ],
        _referrals(session, case, released=released),
    )


def _titles(session: Session, form_key: str | None) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The form's field titles, and its choices' titles ("ไทย / English" as written)."""
    properties = (form_schema(session, form_key) or {}).get("properties") or {}
    fields, values = {}, {}
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            continue
        if spec.get("title"):
            fields[name] = str(spec["title"])
        choices = spec.get("x-enum-titles")
        if isinstance(choices, dict):
            values[name] = {str(value): str(title) for value, title in choices.items()}
    return fields, values


def _referrals(session: Session, case: Case, *, released: set[int]) -> list[ReferralEntry]:
    links = session.scalars(
        select(CaseLink).where(or_(CaseLink.from_case_id == case.id, CaseLink.to_case_id == case.id)).order_by(CaseLink.id)
    )
    entries = []
    for link in links:
        outgoing = link.from_case_id == case.id
        other = session.get_one(Case, link.to_case_id if outgoing else link.from_case_id)
        sender_version = case.protocol_version_id if outgoing else other.protocol_version_id
        entries.append(ReferralEntry(
            link_relation(link, case.id), link.message, link.created_at,
            session.get_one(ProtocolVersion, other.protocol_version_id).key,
            other.reference if other.id in released else None, link.legal_basis, link.consented_by,
            _documentation(session, sender_version, link.message),
        ))
    return entries


def _documentation(session: Session, version_id: int, message: str) -> str | None:
    bpmn = session.scalar(select(ProtocolVersion.bpmn_text).where(ProtocolVersion.id == version_id))
    return _cached_documentation(bpmn, message) if bpmn else None


@lru_cache(maxsize=64)
def _cached_documentation(bpmn: str, message: str) -> str | None:
    return message_documentation(bpmn, message)


def _record_changes(session: Session, *, child_id: int, cases: list[Case]) -> list[RecordChange]:
    """Links of the record to the released cases, and every change of the record itself (with
    the old values, for a rectification)."""
    references = {case.id: case.reference for case in cases}
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(RECORD_CHANGE_ACTIONS), or_(AuditEvent.case_id.in_(references), AuditEvent.case_id.is_(None)))
        .order_by(AuditEvent.id)
    )
    changes = []
    for event in events:
        details = event.details or {}
        if details.get("child_id") != child_id or (event.case_id is not None and event.case_id not in references):
            continue
        changes.append(RecordChange(event.occurred_at, event.action, event.actor_username,
                                    references.get(event.case_id) if event.case_id else None,
                                    {k: v for k, v in details.items() if k != "child_id"}))
    return changes

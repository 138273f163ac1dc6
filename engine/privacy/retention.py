"""Retention (PDPA s.37(3)): closed cases past their period lose what identifies the child.

The network sets a period per protocol (``[retention]``, from the case's closure). When it has
run, and the case is not restricted (s.34 lets the child ask for data to be kept rather than
erased), the worker anonymises the case, one transaction per case:

* the workflow's variables keep only the choices forms offered (yes/no, numbers, values from a
  list, dates of events); names, identifiers and free text go, wherever the state holds them;
* comments are blanked, escalation notes and the reasons of restrictions cleared, held payloads
  emptied;
* the case's audit events keep their skeleton (who did what, when, to which task) and lose any
  detail that could hold personal data (a cancellation's reason, a search's words, a
  rectification's old values); the database allows this one change (migration 0009);
* once every case of a child is anonymised, the child's record and guardians lose their names,
  identifiers and free text too (and the searches that named the child, their words).

Statistics stay: cases, work items, escalations, dates, agencies, statuses, the child's record
as a row (one child, many cases). Each anonymised case and child gets a line in the destruction
log, naming what went by count, never by value. ``run_retention(dry_run=True)`` lists what would
go and changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, exists, false, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.audit import Acting, AuditEvent
from engine.cases.comments import TaskComment
from engine.cases.models import REOPENED_LINK, Case, CaseLink, CaseStatus, Escalation
from engine.cases.restrictions import CaseRestriction, HeldReferral, active_restriction
from engine.cases.state import finished_rows, write_rows
from engine.cases.stepping import lock_case, take
from engine.children.masking import IDENTIFYING_FIELDS, full_name
from engine.children.models import Child, Guardian
from engine.forms.catalogue import field_schemas, schema_fields
from engine.forms.service import form_schema
from engine.network.definition import Network
from engine.privacy.models import DestructionRecord
from engine.protocols.cache import version_cache
from engine.protocols.models import ProtocolVersion
from engine.workflow.serialization import scrub_state
from engine.workflow.timers import parse_duration, parse_duration_before

CLOSED = (CaseStatus.COMPLETED.value, CaseStatus.CANCELLED.value)
# The case a closed case was re-opened as, in the sweep's query.
_successor = aliased(Case)
# Variables the engine itself sets: codes and references, never personal.
ENGINE_VARIABLES = frozenset({"reporting_unit", "referred_from", "reopened_from"})
# Audit details that name things (ids, codes, field names, references), never personal data.
SKELETON_DETAILS = frozenset({
    "task", "fields", "protocol", "version", "reporting_unit", "agency", "due_at", "assignee", "to_case", "from_case",
    "child_id", "how", "offered", "comment_id", "timers", "depth", "error", "level", "source", "target",
    "target_agency", "code", "escalation_id", "resource", "resource_id", "attempted", "exists", "from_version",
    "to_version", "from_user", "to_user", "work_items", "restriction_id", "held_id", "results", "shown", "request",
    "format", "period", "since", "until", "reads", "legal_basis", "consent_recorded",
    # a timer's firings and a run over its budget: counts, limits and element ids
    "firings", "exceeded", "limit", "element", "engine_steps", "timer_firings", "seconds",
})
# Where "message" is a message's name rather than an error's text.
MESSAGE_ACTIONS = frozenset({
    "case.referred", "case.message_sent", "case.message_received", "case.message_unrouted", "case.referral_held",
    "case.referral_released",
})
# Audit events about a child's record outside any case, redacted with the record.
CHILD_ACTIONS = ("child.rectified", "child.reads_listed")
DEFAULT_BATCH = 50


@dataclass(frozen=True)
class DueCase:
    case_id: int
    reference: str
    protocol_key: str
    status: str
    closed_at: datetime
    period: str
    due_at: datetime
    child_id: int | None


@dataclass
class RetentionReport:
    dry_run: bool
    due: list[DueCase] = field(default_factory=list)
    anonymised_cases: list[str] = field(default_factory=list)
    # Child records anonymised (or, in a dry run, that would be: their last case goes).
    children: list[int] = field(default_factory=list)


def skeleton(action: str, details: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """An audit event's details without anything that could be personal; and what was dropped."""
    kept, dropped = {}, []
    for key, value in (details or {}).items():
        if key in SKELETON_DETAILS or (key == "message" and action in MESSAGE_ACTIONS) or (
            key == "reason" and action.startswith("escalation.")
        ):
            kept[key] = value
        else:
            dropped.append(key)
    if dropped:
        kept["redacted"] = sorted(dropped)
    return kept, sorted(dropped)


# -- what is due ----------------------------------------------------------------------------------


def _closed_before(network: Network, now: datetime) -> ColumnElement[bool]:
    """SQL: the case's protocol has a period and the case closed at least that long ago."""
    schedule = network.retention
    by_period: dict[str, set[str]] = {}
    for key, period in schedule.by_protocol.items():
        by_period.setdefault(period, set()).add(key)
    clauses = [
        and_(ProtocolVersion.key.in_(keys), Case.closed_at <= now - parse_duration_before(period, end=now))
        for period, keys in by_period.items()
    ]
    if schedule.default is not None:
        others = ProtocolVersion.key.not_in(schedule.by_protocol) if schedule.by_protocol else true()
        clauses.append(and_(others, Case.closed_at <= now - parse_duration_before(schedule.default, end=now)))
    return or_(*clauses) if clauses else false()


def due_cases(*, session: Session, network: Network, now: datetime, limit: int | None = None) -> list[DueCase]:
    """Closed cases whose retention period has run, not yet anonymised and not restricted, the
    longest closed first."""
    query = (
        select(Case.id, Case.reference, ProtocolVersion.key, Case.status, Case.closed_at, Case.child_id)
        .join(ProtocolVersion, ProtocolVersion.id == Case.protocol_version_id)
        .where(
            Case.status.in_(CLOSED), Case.closed_at.is_not(None), _closed_before(network, now),
            ~exists(select(DestructionRecord.id).where(DestructionRecord.case_id == Case.id, DestructionRecord.kind == "case")),
            # A restriction keeps the data as it is (PDPA s.34: the child may ask for it to be kept
            # rather than erased, for a legal claim, say); it waits until the restriction is lifted.
            ~exists(select(CaseRestriction.id).where(CaseRestriction.case_id == Case.id, CaseRestriction.lifted_at.is_(None))),
            # A closed case re-opened as a new one is the history that case works from: it is
            # kept while the new case is open (its own period runs again from its own closure).
            ~exists(select(CaseLink.id).join(_successor, _successor.id == CaseLink.to_case_id).where(
                CaseLink.from_case_id == Case.id, CaseLink.message == REOPENED_LINK, _successor.status.not_in(CLOSED),
            )),
        )
        .order_by(Case.closed_at, Case.id)
    )
    if limit is not None:
        query = query.limit(limit)
    due = []
    for case_id, reference, key, status, closed_at, child_id in session.execute(query):
        period = network.retention.period_for(key)
        if period is None or closed_at is None:
            continue
        due_at = closed_at + parse_duration(period, start=closed_at, field=f"retention.{key}")
        if due_at <= now:
            due.append(DueCase(case_id, reference, key, status, closed_at, period, due_at, child_id))
    return due


def unknown_protocols(*, session: Session, network: Network) -> list[str]:
    """Protocol keys ``[retention]`` names that no stored protocol has: a misspelt key would
    leave its protocol to the default period."""
    named = set(network.retention.by_protocol)
    if not named:
        return []
    stored = set(session.scalars(select(ProtocolVersion.key).where(ProtocolVersion.key.in_(named)).distinct()))
    return sorted(named - stored)


# -- what is kept of a workflow -------------------------------------------------------------------


def _categorical(spec: dict[str, Any]) -> bool:
    """A form field whose value is a choice, a number or the date of an event, never free text."""
    kind = spec.get("type")
    if "enum" in spec or "const" in spec or kind in ("boolean", "integer", "number"):
        return True
    if kind == "string":
        return spec.get("format") in ("date", "date-time", "duration")
    if kind == "array":
        items = spec.get("items")
        return isinstance(items, dict) and _categorical(items)
    return False


def kept_variables(session: Session, version_id: int) -> frozenset[str]:
    """The variables of a protocol version that survive anonymisation: fields its forms declare
    only as choices, numbers or dates, and none that identifies the child."""
    kept: set[str] = set()
    for descriptor in version_cache(session).get(session, version_id).descriptors.values():
        schema = form_schema(session, descriptor.form_key)
        if schema is None:
            continue
        for name in schema_fields(schema) - IDENTIFYING_FIELDS:
            specs = field_schemas(schema, name)
            if specs and all(_categorical(spec) for spec in specs):
                kept.add(name)
    return frozenset(kept | ENGINE_VARIABLES)


# -- anonymising ----------------------------------------------------------------------------------


def _redact_events(session: Session, events: list[AuditEvent], now: datetime) -> int:
    count = 0
    for event in events:
        if event.redacted_at is not None:
            continue
        details, dropped = skeleton(event.action, event.details)
        if not dropped:
            continue
        # The one change the database allows an audit event (migration 0009).
        session.execute(
            update(AuditEvent).where(AuditEvent.id == event.id, AuditEvent.redacted_at.is_(None))
            .values(details=details, redacted_at=now).execution_options(synchronize_session=False)
        )
        count += 1
    return count


def _anonymise_case_data(session: Session, case: Case, now: datetime) -> dict[str, int]:
    kept = kept_variables(session, case.protocol_version_id)
    # The finished tasks stored apart carry the child's data as much as the live state does.
    case.state_json, scrubbed, variables = scrub_state(
        case.state_json, lambda name, _value: name in kept, finished_rows(session, case.id)
    )
    write_rows(session, case.id, scrubbed)
    case.error_message = None
    blanked = session.execute(
        update(TaskComment).where(TaskComment.case_id == case.id, TaskComment.redacted_at.is_(None))
        .values(body="", redacted_at=now).execution_options(synchronize_session=False)
    )
    comments = cast(CursorResult[Any], blanked).rowcount
    notes = 0
    for escalation in session.scalars(select(Escalation).where(Escalation.case_id == case.id)):
        if escalation.acknowledgement_note or escalation.resolution_note:
            escalation.acknowledgement_note = escalation.resolution_note = None
            notes += 1
    for restriction in session.scalars(select(CaseRestriction).where(CaseRestriction.case_id == case.id)):
        restriction.reason, restriction.lift_note = "", None
        notes += 1
    for held in session.scalars(select(HeldReferral).where(HeldReferral.case_id == case.id)):
        held.payload, held.correlations, held.consented_by = {}, {}, None
    # Who consented to a referral is a person's name; the basis itself is no one's and stays.
    for link in session.scalars(select(CaseLink).where(CaseLink.from_case_id == case.id, CaseLink.consented_by.is_not(None))):
        link.consented_by = None
        notes += 1
    case.anonymised_at = now
    session.flush()
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)))
    return {
        "variables_removed": variables, "comments_blanked": comments or 0, "notes_cleared": notes,
        "audit_events_redacted": _redact_events(session, events, now),
    }


def _searches_naming(session: Session, child: Child) -> list[AuditEvent]:
    """Searches and lookups whose words were the child's name or an identifier."""
    names = {value.casefold() for value in (
        child.national_id, child.g_code, full_name(child.first_name, child.last_name), child.last_name,
    ) if value}
    first = child.first_name.casefold() if child.first_name else None
    found = []
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action == "cases.searched", AuditEvent.redacted_at.is_(None))):
        words = str((event.details or {}).get("query") or "").strip().casefold()
        if words and (words == first or any(name in words for name in names)):
            found.append(event)
    return found


def _anonymise_child(session: Session, child: Child, now: datetime) -> dict[str, int]:
    about = [
        event for event in session.scalars(select(AuditEvent).where(AuditEvent.action.in_(CHILD_ACTIONS), AuditEvent.case_id.is_(None)))
        if (event.details or {}).get("child_id") == child.id
    ]
    redacted = _redact_events(session, about + _searches_naming(session, child), now)
    fields = sum(1 for value in (child.first_name, child.last_name, child.birth_date, child.national_id, child.g_code,
                                 child.nationality, child.language, child.school) if value)
    child.first_name, child.last_name, child.birth_date = "", None, None
    child.national_id = child.g_code = child.nationality = child.language = child.school = None
    child.anonymised_at = child.updated_at = now
    guardians = 0
    for guardian in session.scalars(select(Guardian).where(Guardian.child_id == child.id)):
        guardian.name = ""
        guardians += 1
    return {"fields_removed": fields, "guardians_anonymised": guardians, "audit_events_redacted": redacted}


def anonymise_case(
    *, session: Session, due: DueCase, network: Network, now: datetime, actor: Acting,
) -> tuple[bool, int | None]:
    """Anonymise one due case (and its child, if this was the child's last case), in one
    transaction; (done, the child anonymised with it). A case another worker holds, or one that
    changed since it was found (reopened, say), is left for a later pass."""
    try:
        case = lock_case(session=session, case_id=due.case_id, skip_locked=True)
        if case is None or case.status not in CLOSED or case.closed_at != due.closed_at or active_restriction(session, case.id):
            session.rollback()
            return False, None
        if session.scalar(select(DestructionRecord.id).where(DestructionRecord.subject == f"case:{case.id}")) is not None:
            session.rollback()
            return False, None
        take(session=session, case=case, now=now)
        counts = _anonymise_case_data(session, case, now)
        session.add(DestructionRecord(
            subject=f"case:{case.id}", destroyed_at=now, kind="case", case_id=case.id, child_id=case.child_id,
            protocol_key=due.protocol_key, closed_at=case.closed_at, retention_period=due.period,
            actor_username=actor.username, details=counts,
        ))
        audit.record(session, action="case.anonymised", actor=actor, at=now, case_id=case.id, period=due.period, **counts)
        session.flush()
        child_done = None
        if case.child_id is not None and not _cases_left(session, case.child_id):
            child = session.get_one(Child, case.child_id)
            if child.anonymised_at is None:
                child_counts = _anonymise_child(session, child, now)
                session.add(DestructionRecord(
                    subject=f"child:{child.id}", destroyed_at=now, kind="child", child_id=child.id,
                    actor_username=actor.username, details=child_counts,
                ))
                audit.record(session, action="child.anonymised", actor=actor, at=now, child_id=child.id, **child_counts)
                child_done = child.id
        session.commit()
        return True, child_done
    except (IntegrityError, StaleDataError):
        # Another worker anonymised it, or a command changed it, first.
        session.rollback()
        return False, None
    except BaseException:
        session.rollback()
        raise


def _cases_left(session: Session, child_id: int) -> set[int]:
    """The child's cases not yet anonymised."""
    return set(session.scalars(select(Case.id).where(
        Case.child_id == child_id,
        ~exists(select(DestructionRecord.id).where(DestructionRecord.case_id == Case.id, DestructionRecord.kind == "case")),
    )))


def run_retention(
    *, session: Session, network: Network, now: datetime, actor: Acting, dry_run: bool = False,
    limit: int | None = DEFAULT_BATCH,
) -> RetentionReport:
    """Anonymise (or, in a dry run, list) the closed cases past their period, at most ``limit``
    of them: a worker pass does a batch, the next pass the next one."""
    report = RetentionReport(dry_run=dry_run)
    report.due = due_cases(session=session, network=network, now=now, limit=limit)
    session.rollback()
    if dry_run:
        going = {due.case_id for due in report.due}
        report.children = [
            child_id for child_id in sorted({due.child_id for due in report.due if due.child_id is not None})
            if _cases_left(session, child_id) <= going
        ]
        session.rollback()
        return report
    for due in report.due:
        done, child_id = anonymise_case(session=session, due=due, network=network, now=now, actor=actor)
        if done:
            report.anonymised_cases.append(due.reference)
        if child_id is not None:
            report.children.append(child_id)
    return report

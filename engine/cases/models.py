from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class CaseStatus(str, enum.Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    # The engine refused to go on (a failing expression or timer, the depth guard); an
    # administrator must look. The stored state is the last consistent one.
    ERROR = "error"


class WorkItemState(str, enum.Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


LIVE_WORK_ITEM_STATES = (WorkItemState.OPEN.value, WorkItemState.CLAIMED.value)
_LIVE = text("state IN ('open', 'claimed')")
_OPEN = text("state = 'open'")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_next_timer_at", "status", "next_timer_at"),
        Index("ix_cases_status_closed_at", "status", "closed_at"),
        Index("ix_cases_created_at_id", "created_at", "id"),
        Index("ix_cases_closed_at", "closed_at"),
        # Case search by a part of the reference (migration 0014; PostgreSQL's pg_trgm only).
        Index("ix_cases_reference_trgm", "reference", postgresql_using="gin",
              postgresql_ops={"reference": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
        # And ix_cases_reference_tails (migration 0017, PostgreSQL only), on its own function of
        # the reference: not declared here, as the function exists only through the migration.
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    protocol_version_id: Mapped[int] = mapped_column(ForeignKey("protocol_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.ACTIVE.value)
    # SpiffWorkflow's serialised state *without* the spec, which lives on the protocol version.
    state_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_timer_at: Mapped[datetime | None]
    max_task_depth: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    # The school (or agency) that reported the case: a unit code of the network.
    reporting_unit: Mapped[str | None] = mapped_column(String(64))
    # The unit (a school) the case concerns: the child's school when the intake names one, else
    # the reporting unit (engine.cases.units). A school's staff see only their own school's cases.
    unit_code: Mapped[str | None] = mapped_column(String(64))
    # The alleged abuser is staff of that school: its staff may not open the case at all.
    unit_kept_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # When retention anonymised the case (engine.privacy.retention): it can never be re-opened.
    anonymised_at: Mapped[datetime | None]

    # Optimistic concurrency: every UPDATE checks and bumps this counter.
    __mapper_args__ = {"version_id_col": version}


class CaseFinishedTask(Base):
    """A finished task of a case's workflow, stored once, apart from the case's live state.

    A completed or cancelled task whose parent is finished never changes again, so it is
    written once (append-only) instead of with every command, and merged back into the state
    when the workflow is restored (:mod:`engine.workflow.serialization`, ``split_state_of``).
    Written in the transaction that writes ``cases.state_json``, under the case's lock and
    version check.
    """

    __tablename__ = "case_finished_tasks"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The subprocess the task belongs to (the id of the task that runs it); None for the top workflow.
    tree_id: Mapped[str | None] = mapped_column(String(36))
    # The order rows were written in (per case): parents before their children.
    seq: Mapped[int] = mapped_column(Integer)
    task_json: Mapped[str] = mapped_column(Text)


class WorkItem(Base):
    """One READY/WAITING manual task of a case, kept in SQL so lists never load a workflow."""

    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("case_id", "task_id"),
        Index("ix_work_items_agency_state_due", "agency_code", "state", "due_at"),
        Index("ix_work_items_assignee_state_due", "assignee_id", "state", "due_at"),
        Index("ix_work_items_state_due", "state", "due_at"),
        # Live work only (migration 0013): the overdue lists and counts, per agency and overall.
        Index("ix_work_items_live_agency_due", "agency_code", "due_at", "id", sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("ix_work_items_live_due", "due_at", "agency_code", "case_id", sqlite_where=_LIVE, postgresql_where=_LIVE),
        # The inbox's open seat: an agency's open tasks in deadline order, with the candidate role
        # for counting from the index alone (migration 0014).
        Index("ix_work_items_open_agency_due", "agency_code", "due_at", "id", "candidate_role",
              sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_work_items_state_completed_at", "state", "completed_at"),
        Index("ix_work_items_case_agency", "case_id", "agency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(255))
    agency_code: Mapped[str] = mapped_column(String(32), ForeignKey("agencies.code"))
    candidate_role: Mapped[str | None] = mapped_column(String(64))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default=WorkItemState.OPEN.value)
    form_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Highest escalation level raised for this item (0 = none): overdue lists filter on it.
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Deadlines of this item that raised an escalation (a repeating one counts once while its
    # escalation is still open).
    deadlines_fired: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CaseLink(Base):
    """One case started another: a referral message between protocols, or the re-opening of a
    closed case as a new one (``message`` is then :data:`REOPENED_LINK`)."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("from_case_id", "to_case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    to_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # The PDPA basis of the disclosure the referral made (engine.protocols.disclosure) and, where
    # it is consent, who consented (from the form field the throw names). NULL on links made
    # before bases were recorded, and on re-openings, which disclose nothing to anyone new.
    legal_basis: Mapped[str | None] = mapped_column(String(32))
    consented_by: Mapped[str | None] = mapped_column(String(200))


# The link from a closed case to the case that re-opened it; never a BPMN message's name.
REOPENED_LINK = "(re-opened)"


class ReferenceCounter(Base):
    """The last case number issued per prefix and year (TAK-2026-000123)."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class EscalationStatus(str, enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class EscalationReason(str, enum.Enum):
    OVERDUE = "overdue"  # a deadline timer on a user task fired
    THROWN = "thrown"  # the process threw a BPMN escalation event with a code


class Escalation(Base):
    """Something is late or needs a higher level's attention, and someone must say they saw it."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_status_climb_at", "status", "climb_at"),
        Index("ix_escalations_target_status", "target_agency_code", "target_role", "status"),
        Index("ix_escalations_case_id", "case_id"),
        Index("ix_escalations_raised_at", "raised_at"),
        # One open escalation per work item and raising element: a repeating deadline (or an
        # escalation event on its path) that fires again while its escalation is open raises
        # nothing new (engine.cases.escalations).
        Index(
            "uq_escalations_open_element", "work_item_id", "source_element", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    # The agency whose work is late (the owner of the work item, or of the throwing lane).
    agency_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"))
    reason: Mapped[str] = mapped_column(String(16))
    # The escalationCode thrown, or None for a deadline.
    code: Mapped[str | None] = mapped_column(String(64))
    # The BPMN element that raised it (timer boundary event or escalation event).
    source_element: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(Integer)
    # Who must act at this level: a named target of the network, resolved to agency and role.
    target_code: Mapped[str] = mapped_column(String(64))
    target_agency_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"))
    target_role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.OPEN.value)
    raised_at: Mapped[datetime]
    level_changed_at: Mapped[datetime]
    # When it climbs to the next level if nobody acknowledges it; None at the top of the chain.
    climb_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}

"""The step library for protocol scenarios (``features/*.feature``), in English and Thai.

The vocabulary is fixed by ``protocols/AUTHORING.md``; protocol authors write only those steps.
Every step is a thin pattern over one function of :class:`World`, so the English and the Thai
wording of a step do exactly the same thing.

Steps are registered with ``step`` (any keyword) rather than ``given``/``when``/``then``: an
author who writes ``And`` after the "wrong" keyword, or ``When`` for a check, still gets the
step, because the wording alone says what it does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from parse import with_pattern
from pytest_bdd import parsers, step
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.access import visible_case
from engine.cases.inbox import inbox
from engine.cases.links import case_links, linked_cases
from engine.cases.models import (
    LIVE_WORK_ITEM_STATES,
    Case,
    CaseLink,
    CaseStatus,
    Escalation,
    EscalationStatus,
    WorkItem,
)
from engine.cases.queries import case_search_query, task_list_query
from engine.cases.reopening import reopen_case
from engine.cases.stepping import restore
from engine.children.models import Child
from engine.clock import SimulatedClock
from engine.deadlines.service import acknowledge
from engine.deadlines.tick import TickReport, tick
from engine.errors import InvalidState, KhumkrongError, NotFound
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.disclosure import is_personal_field
from engine.protocols.models import ProtocolVersion
from engine.workflow.running import task_data

# Timers must fire at (about) their due time, so the clock never jumps further than this
# between two ticks.
MAX_TICK_STEP = timedelta(hours=1)
ACKNOWLEDGEMENT_NOTE = "รับทราบแล้ว (สถานการณ์ทดสอบ) / acknowledged (scenario step)"

UNITS = {
    "minute": timedelta(minutes=1), "minutes": timedelta(minutes=1), "นาที": timedelta(minutes=1),
    "hour": timedelta(hours=1), "hours": timedelta(hours=1), "ชั่วโมง": timedelta(hours=1),
    "day": timedelta(days=1), "days": timedelta(days=1), "วัน": timedelta(days=1),
    "week": timedelta(weeks=1), "weeks": timedelta(weeks=1), "สัปดาห์": timedelta(weeks=1),
}

# The vocabulary, for the "step not found" message (see conftest.py).
VOCABULARY = """\
Given the clock reads "2026-11-30T09:00:00+07:00"
Given a case of protocol "P1" started by "school_takpit"
When "police_tak" completes "รับแจ้งเหตุ"
When "police_tak" completes "รับแจ้งเหตุ" with:      (then a | field | value | table)
When "police_tak" cannot complete "รับแจ้งเหตุ" with:      (the engine refuses the data; the task stays open)
When 13 hours pass / When 2 days pass / When 30 minutes pass
When the supervisors of "police_tak" acknowledge the escalation
Then "shelter_tak" has an open task "รับเด็กเข้าสถานแรกรับ"
Then "police_tak" has no open task "รับแจ้งเหตุ"
Then the task "ซักถามเด็ก" is due 12 hours after it was created
Then the task "ซักถามเด็ก" is due at "2026-11-30T21:00:00+07:00"
Then a level-1 escalation targets "agency_supervisors" of "police_tak"
Then a level-2 escalation targets "committee_secretariat"
Then no escalation targets "committee_secretariat"
Then the case is completed
Then a linked case of protocol "P1" is started
Then the linked case has an open task "รับแจ้งเหตุ" for "pmj_tak"
Then the referral to the linked case records the legal basis "consent"
Then the referral records that "นักเรียนและมารดา" consented
Then the linked case holds no name or age of the child
When the supervisors of "spm_tak" re-open the case because "ครูพบรอยช้ำใหม่"
Then the case is re-opened from the closed case
Then the supervisors of "spm_tak" cannot re-open the closed case again
Then "worker.school_takpit" can open the case
Then "worker.school_padung" cannot open the case      (not found, as if it did not exist; nor in any list)
Then "supervisor.spm_tak" finds the task "แสวงหาข้อเท็จจริงกรณีบุคลากร" in their inbox
กำหนดให้ เวลาคือ "2026-11-30T09:00:00+07:00"
กำหนดให้ มีกรณีตามโพรโทคอล "P1" ที่เริ่มโดย "school_takpit"
เมื่อ "police_tak" ทำงาน "รับแจ้งเหตุ" เสร็จ
เมื่อ "police_tak" ทำงาน "รับแจ้งเหตุ" เสร็จ ด้วยข้อมูล:      (then a | field | value | table)
เมื่อ "police_tak" ทำงาน "รับแจ้งเหตุ" เสร็จไม่ได้ ด้วยข้อมูล:      (the engine refuses the data; the task stays open)
เมื่อ เวลาผ่านไป 13 ชั่วโมง / เมื่อ เวลาผ่านไป 2 วัน / เมื่อ เวลาผ่านไป 30 นาที
เมื่อ หัวหน้างานของ "police_tak" รับทราบการยกระดับ
ดังนั้น "shelter_tak" มีงานค้าง "รับเด็กเข้าสถานแรกรับ"
ดังนั้น "police_tak" ไม่มีงานค้าง "รับแจ้งเหตุ"
ดังนั้น งาน "ซักถามเด็ก" ครบกำหนด 12 ชั่วโมงหลังสร้าง
ดังนั้น งาน "ซักถามเด็ก" ครบกำหนดเวลา "2026-11-30T21:00:00+07:00"
ดังนั้น มีการยกระดับขั้นที่ 1 ถึง "agency_supervisors" ของ "police_tak"
ดังนั้น มีการยกระดับขั้นที่ 2 ถึง "committee_secretariat"
ดังนั้น ไม่มีการยกระดับถึง "committee_secretariat"
ดังนั้น กรณีปิดแล้ว
ดังนั้น มีกรณีเชื่อมโยงตามโพรโทคอล "P1" เริ่มขึ้น
ดังนั้น กรณีเชื่อมโยงมีงานค้าง "รับแจ้งเหตุ" ของ "pmj_tak"
ดังนั้น การส่งต่อไปยังกรณีเชื่อมโยงบันทึกฐานทางกฎหมาย "consent"
ดังนั้น การส่งต่อบันทึกว่า "นักเรียนและมารดา" เป็นผู้ให้ความยินยอม
ดังนั้น กรณีเชื่อมโยงไม่มีชื่อหรืออายุของเด็ก
เมื่อ หัวหน้างานของ "spm_tak" เปิดกรณีอีกครั้ง เพราะ "ครูพบรอยช้ำใหม่"
ดังนั้น กรณีนี้เปิดใหม่จากกรณีที่ปิดแล้ว
ดังนั้น หัวหน้างานของ "spm_tak" เปิดกรณีที่ปิดแล้วซ้ำอีกไม่ได้
ดังนั้น "worker.school_takpit" เปิดกรณีได้
ดังนั้น "worker.school_padung" เปิดกรณีไม่ได้
ดังนั้น "supervisor.spm_tak" พบงาน "แสวงหาข้อเท็จจริงกรณีบุคลากร" ในกล่องงาน
"""


class ScenarioFailure(AssertionError):
    """A step's expectation does not hold, or the engine refused what the step asked."""


def _moment(text: str) -> datetime:
    """An ISO 8601 date-time with its offset, as a scenario writes it."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioFailure(f"{text!r} is not an ISO 8601 date-time such as 2026-11-30T09:00:00+07:00") from exc
    if moment.tzinfo is None:
        raise ScenarioFailure(f"{text!r} has no time zone offset (write +07:00 for Tak)")
    return moment


@dataclass
class World:
    """One scenario's state: its database, clock, people and the cases its steps started."""

    session: Session
    network: Network
    clock: SimulatedClock
    # Protocol key -> why it could not be stored (it is absent from the database).
    refused: dict[str, str] = field(default_factory=dict)
    # Scenario names for protocols ("REF") -> key; "P1" needs none (keys start with "p1_").
    aliases: dict[str, str] = field(default_factory=dict)
    users: dict[str, Actor] = field(default_factory=dict)
    case_ids: list[int] = field(default_factory=list)
    current_case_id: int | None = None
    linked_case_id: int | None = None
    # The closed case the current one re-opened.
    reopened_case_id: int | None = None

    # -- lookups ---------------------------------------------------------------------------

    def stored_keys(self) -> list[str]:
        return sorted(set(self.session.scalars(select(ProtocolVersion.key).where(ProtocolVersion.published.is_(True)))))

    def protocol_key(self, name: str) -> str:
        """"P1" → the protocol whose key starts with ``p1_``; a full key or an alias works too."""
        known = sorted({*self.stored_keys(), *self.refused})
        wanted = name.strip()
        if wanted.lower() in known:
            key = wanted.lower()
        elif wanted.lower() in {alias.lower() for alias in self.aliases}:
            key = next(k for alias, k in self.aliases.items() if alias.lower() == wanted.lower())
        else:
            matches = [k for k in known if k.startswith(f"{wanted.lower()}_")]
            if len(matches) != 1:
                raise ScenarioFailure(
                    f"protocol {name!r} names {'no' if not matches else 'more than one'} protocol "
                    f"({', '.join(matches) or 'none matches'}); known: {', '.join(known) or 'none'}"
                )
            key = matches[0]
        if key in self.refused:
            raise ScenarioFailure(f"protocol {key!r} could not be stored, so it cannot run: {self.refused[key]}")
        return key

    def agency_of_reporter(self, code: str) -> str:
        if code in self.network.units:
            return self.network.units[code].agency
        if code in self.network.agencies:
            return code
        raise ScenarioFailure(
            f"{code!r} is neither a reporting unit nor an agency of the network; units: "
            f"{', '.join(sorted(self.network.units))}; agencies: {', '.join(sorted(self.network.active_agencies))}"
        )

    def account(self, username: str) -> Actor:
        if username not in self.users:
            raise ScenarioFailure(f"there is no demo account {username!r}; accounts: {', '.join(sorted(self.users))}")
        return self.users[username]

    def person(self, agency: str, role: str) -> Actor:
        prefix = "supervisor" if role == "supervisor" else "worker"
        username = f"{prefix}.{agency}"
        if username not in self.users:
            raise ScenarioFailure(f"there is no demo account {username!r}: is {agency!r} an active agency code?")
        return self.users[username]

    def current_case(self) -> Case:
        if self.current_case_id is None:
            raise ScenarioFailure('no case has been started yet (use: Given a case of protocol "P1" started by "…")')
        return self._fresh_case(self.current_case_id)

    def _fresh_case(self, case_id: int) -> Case:
        return self.session.scalars(
            select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
        ).one()

    def describe_case(self, case: Case) -> str:
        key = self.session.scalar(select(ProtocolVersion.key).where(ProtocolVersion.id == case.protocol_version_id))
        return f"case {case.reference} ({key}, {case.status})"

    def live_items(self, case_id: int) -> list[WorkItem]:
        return list(self.session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == case_id, WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
            .order_by(WorkItem.id)
            .execution_options(populate_existing=True)
        ))

    def describe_open_tasks(self, case_id: int) -> str:
        items = self.live_items(case_id)
        if not items:
            return "it has no open tasks"
        return "its open tasks: " + "; ".join(f"{item.label!r} ({item.agency_code})" for item in items)

    def _engine(self, what: str, action, *args, **kwargs):
        """Run an engine command; its refusal becomes a readable scenario failure."""
        try:
            return action(*args, **kwargs)
        except KhumkrongError as exc:
            details = {k: v for k, v in exc.details.items() if k != "findings"}
            findings = exc.details.get("findings") or []
            extra = "".join(f"\n  - {finding}" for finding in findings)
            raise ScenarioFailure(
                f"{what}: the engine refused ({exc.code}): {exc.message}"
                + (f" {details}" if details else "") + extra
            ) from exc

    # -- actions ---------------------------------------------------------------------------

    def set_clock(self, text: str) -> None:
        moment = _moment(text)
        now = self.clock.now()
        if moment >= now:
            self.pass_time(moment - now)
        elif not self.case_ids:
            # Nothing has happened yet, so setting the scene may start earlier than the default
            # (a simulated clock never runs backwards: take a new one).
            self.clock = SimulatedClock(moment)
        else:
            raise ScenarioFailure(f"the clock reads {now.isoformat()} and cannot go back to {text}")

    def start(self, protocol: str, reporter: str) -> Case:
        key = self.protocol_key(protocol)
        agency = self.agency_of_reporter(reporter)
        case = self._engine(
            f"starting {key} for {reporter}", commands.start_case,
            session=self.session, protocol_key=key, data={"reporting_unit": reporter},
            actor=self.person(agency, "case_worker"), clock=self.clock, network=self.network,
        )
        self.case_ids.append(case.id)
        self.current_case_id = case.id
        self.linked_case_id = None
        return case

    def complete(self, agency: str, label: str, data: dict[str, Any]) -> WorkItem:
        case = self.current_case()
        item = self._find_item_to_complete(case, label)
        if item.agency_code != agency:
            raise ScenarioFailure(
                f"task {label!r} of {self.describe_case(self._fresh_case(item.case_id))} belongs to "
                f"{item.agency_code!r}, not {agency!r}: the scenario names the wrong agency, or the protocol "
                "puts the task in the wrong lane"
            )
        actor = self.person(agency, "supervisor" if item.candidate_role == "supervisor" else "case_worker")
        return self._engine(
            f"{actor.username} completing {label!r} with {data}", commands.complete,
            session=self.session, work_item_id=item.id, data=data, actor=actor, clock=self.clock,
            network=self.network,
        )

    def complete_refused(self, agency: str, label: str, data: dict[str, Any]) -> str:
        """The engine must refuse this completion (the form or the law says no); the task stays open."""
        try:
            self.complete(agency, label, data)
        except ScenarioFailure as exc:
            if "the engine refused" not in str(exc):
                raise
            self.session.rollback()
            self.assert_open_task(agency, label)
            return str(exc)
        raise ScenarioFailure(f"{agency!r} completed {label!r} with {data}, but the engine should have refused it")

    def _find_item_to_complete(self, case: Case, label: str) -> WorkItem:
        mine = [item for item in self.live_items(case.id) if item.label == label]
        if mine:
            return mine[0]
        # The vocabulary has no "in the linked case" completion, so a task found in exactly one
        # case linked to this one (a referral) is the one meant.
        elsewhere = [
            item for other in linked_cases(session=self.session, case_id=case.id)
            for item in self.live_items(other.id) if item.label == label
        ]
        if len({item.case_id for item in elsewhere}) == 1:
            return elsewhere[0]
        where = f"{self.describe_case(case)}: {self.describe_open_tasks(case.id)}"
        if elsewhere:
            raise ScenarioFailure(f"no open task {label!r} in {where}; several linked cases have one")
        raise ScenarioFailure(f"no open task {label!r} in {where}")

    def pass_time(self, delta: timedelta) -> None:
        """Advance the clock, ticking on the way so timers and climbs happen when they fall due."""
        if delta < timedelta(0):
            raise ScenarioFailure("time does not run backwards")
        target = self.clock.now() + delta
        upcoming: datetime | None = None
        stale = True
        while True:
            report = self._tick()
            now = self.clock.now()
            if now >= target:
                return
            # Due times change only when a tick acts (users do nothing while time passes), so
            # they are read again only then: a year of hourly ticks stays cheap.
            if stale or report.cases_examined or report.escalations_climbed or (upcoming and upcoming < now):
                upcoming, stale = self._next_due_after(now), False
            step_to = min(target, now + MAX_TICK_STEP)
            if upcoming is not None:
                # Tick just after the next timer or climb falls due (the engine fires what is
                # strictly past), so it happens at its time, not up to an hour late.
                step_to = min(step_to, upcoming + timedelta(seconds=1))
            self.clock.set(step_to)

    def _next_due_after(self, now: datetime) -> datetime | None:
        timer = self.session.scalar(
            select(Case.next_timer_at).where(
                Case.status == CaseStatus.ACTIVE.value, Case.next_timer_at.is_not(None), Case.next_timer_at >= now
            ).order_by(Case.next_timer_at).limit(1)
        )
        climb = self.session.scalar(
            select(Escalation.climb_at).where(
                Escalation.status == EscalationStatus.OPEN.value, Escalation.climb_at.is_not(None),
                Escalation.climb_at >= now,
            ).order_by(Escalation.climb_at).limit(1)
        )
        self.session.rollback()  # end the read transaction: tick takes its own
        due = [moment for moment in (timer, climb) if moment is not None]
        return min(due) if due else None

    def _tick(self) -> TickReport:
        report = tick(session=self.session, clock=self.clock, network=self.network)
        if report.failed_case_ids:
            failed = [self._fresh_case(case_id) for case_id in report.failed_case_ids]
            raise ScenarioFailure(
                "the engine failed while firing timers: "
                + "; ".join(f"{self.describe_case(case)}: {case.error_message}" for case in failed)
            )
        return report

    def acknowledge(self, agency: str) -> list[Escalation]:
        escalations = self._scenario_escalations(status=EscalationStatus.OPEN.value)
        # Those that reached this agency's supervisors; failing that, those about its own work.
        aimed = [e for e in escalations if e.target_role == "supervisor" and e.target_agency_code == agency]
        chosen = aimed or [e for e in escalations if e.agency_code == agency]
        if not chosen:
            raise ScenarioFailure(
                f"no open escalation reaches the supervisors of {agency!r}; open escalations: "
                + (self.describe_escalations(escalations) or "none")
            )
        supervisor = self.person(agency, "supervisor")
        for escalation in chosen:
            self._engine(
                f"{supervisor.username} acknowledging escalation {escalation.id}", acknowledge,
                session=self.session, escalation_id=escalation.id, note=ACKNOWLEDGEMENT_NOTE,
                actor=supervisor, clock=self.clock,
            )
        return chosen

    # -- checks ----------------------------------------------------------------------------

    def _scenario_escalations(self, *, status: str | None = None) -> list[Escalation]:
        query = select(Escalation).where(Escalation.case_id.in_(self.case_ids or [-1]))
        if status is not None:
            query = query.where(Escalation.status == status)
        return list(self.session.scalars(query.order_by(Escalation.id).execution_options(populate_existing=True)))

    def describe_escalations(self, escalations: list[Escalation]) -> str:
        return "; ".join(
            f"level {e.level} → {e.target_code}"
            + (f" of {e.target_agency_code}" if e.target_agency_code else "")
            + f" (about {e.agency_code or 'no agency'}'s work, {e.reason}, {e.status})"
            for e in escalations
        )

    def assert_open_task(self, agency: str, label: str, *, case_id: int | None = None) -> WorkItem:
        case = self._fresh_case(case_id) if case_id is not None else self.current_case()
        items = [item for item in self.live_items(case.id) if item.label == label]
        mine = [item for item in items if item.agency_code == agency]
        if mine:
            return mine[0]
        if items:
            raise ScenarioFailure(
                f"task {label!r} of {self.describe_case(case)} is open for "
                f"{', '.join(sorted({i.agency_code for i in items}))}, not for {agency!r}"
            )
        raise ScenarioFailure(f"{agency!r} has no open task {label!r} in {self.describe_case(case)}; "
                              f"{self.describe_open_tasks(case.id)}")

    def _sight(self, username: str) -> dict[str, bool]:
        """Where the person meets the current case: its detail, the case search, the task list and
        the inbox, each answered by the engine's own rule (engine.cases.access)."""
        case, actor, now = self.current_case(), self.account(username), self.clock.now()
        try:
            visible_case(session=self.session, actor=actor, case_id=case.id, now=now, attempted="scenario")
            opened = True
        except NotFound:
            opened = False
        searched = case.id in self.session.scalars(case_search_query(actor).with_only_columns(Case.id)).all()
        listed = bool(actor.agency_code) and case.id in {
            row[0].case_id for row in self.session.execute(task_list_query(actor, now=now))
        }
        waiting = case.id in {
            entry.item.case_id for entry in inbox(session=self.session, actor=actor, now=now, limit=500, offset=0).rows
        }
        self.session.commit()
        return {"detail": opened, "case search": searched, "task list": listed, "inbox": waiting}

    def assert_can_open(self, username: str) -> None:
        sight = self._sight(username)
        if not (sight["detail"] and sight["case search"]):
            raise ScenarioFailure(f"{username!r} should open {self.describe_case(self.current_case())}, but: {sight}")

    def assert_cannot_open(self, username: str) -> None:
        seen = [where for where, yes in self._sight(username).items() if yes]
        if seen:
            raise ScenarioFailure(f"{username!r} should not find {self.describe_case(self.current_case())} at all, "
                                  f"yet finds it in: {', '.join(seen)}")

    def assert_in_inbox(self, username: str, label: str) -> None:
        case, actor = self.current_case(), self.account(username)
        entries = inbox(session=self.session, actor=actor, now=self.clock.now(), limit=500, offset=0).rows
        if not any(entry.item.case_id == case.id and entry.item.label == label for entry in entries):
            raise ScenarioFailure(f"{username!r} has no task {label!r} of {self.describe_case(case)} in their inbox; "
                                  f"{self.describe_open_tasks(case.id)}")

    def assert_no_open_task(self, agency: str, label: str) -> None:
        case = self.current_case()
        items = [i for i in self.live_items(case.id) if i.label == label and i.agency_code == agency]
        if items:
            raise ScenarioFailure(f"{agency!r} still has open task {label!r} in {self.describe_case(case)}")

    def assert_due_after(self, label: str, delta: timedelta) -> None:
        case = self.current_case()
        items = list(self.session.scalars(
            select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.label == label)
            .order_by(WorkItem.id).execution_options(populate_existing=True)
        ))
        if not items:
            raise ScenarioFailure(f"{self.describe_case(case)} has had no task {label!r}; {self.describe_open_tasks(case.id)}")
        live = [item for item in items if item.state in LIVE_WORK_ITEM_STATES]
        item = (live or items)[-1]
        if item.due_at is None:
            raise ScenarioFailure(f"task {label!r} has no due date (no deadline timer on it?)")
        actual = item.due_at - item.created_at
        if actual != delta:
            raise ScenarioFailure(
                f"task {label!r} is due {_say(actual)} after it was created (due {item.due_at.isoformat()}, "
                f"created {item.created_at.isoformat()}), not {_say(delta)}"
            )

    def assert_due_at(self, label: str, text: str) -> None:
        case = self.current_case()
        moment = _moment(text)
        items = [item for item in self.live_items(case.id) if item.label == label]
        if not items:
            raise ScenarioFailure(f"{self.describe_case(case)} has no open task {label!r}; {self.describe_open_tasks(case.id)}")
        due = items[-1].due_at
        if due is None or due != moment:
            shown = due.astimezone(moment.tzinfo).isoformat() if due else "never (no deadline timer on it?)"
            raise ScenarioFailure(f"task {label!r} is due {shown}, not {moment.isoformat()}")

    def _known_target(self, target: str) -> None:
        if target not in self.network.escalation_targets:
            raise ScenarioFailure(
                f"{target!r} is not an escalation target of the network; targets: "
                f"{', '.join(self.network.escalation_targets)}"
            )

    def assert_no_escalation(self, target: str) -> None:
        """No escalation of the scenario has reached *target*, at any level it passed through."""
        self._known_target(target)
        escalations = self._scenario_escalations()
        reached = self._levels_reached(escalations)
        hits = [
            e for e in escalations
            if e.target_code == target or any(code == target for _, code in reached.get(e.id, set()))
        ]
        if hits:
            raise ScenarioFailure(f"escalations reached {target!r}: {self.describe_escalations(hits)}")

    def assert_escalation(self, level: int, target: str, agency: str | None) -> Escalation:
        self._known_target(target)
        escalations = self._scenario_escalations()
        current = self._current_escalations(escalations)
        for escalation in current:
            if (escalation.level, escalation.target_code) == (level, target) and _about(escalation, agency):
                return escalation
        # An escalation that has climbed since still reached this level at the time: the
        # audit trail keeps every level it passed through.
        reached = self._levels_reached(escalations)
        for escalation in escalations:
            if (level, target) in reached.get(escalation.id, set()) and _about(escalation, agency):
                return escalation
        raise ScenarioFailure(
            f"no level-{level} escalation targets {target!r}" + (f" of {agency!r}" if agency else "")
            + "; escalations of this scenario: " + (self.describe_escalations(escalations) or "none")
        )

    def _current_escalations(self, escalations: list[Escalation]) -> list[Escalation]:
        # The current case's first, then the scenario's other cases.
        return sorted(escalations, key=lambda e: (e.case_id != self.current_case_id, e.id))

    def _levels_reached(self, escalations: list[Escalation]) -> dict[int, set[tuple[int, str]]]:
        from engine.audit import AuditEvent

        reached: dict[int, set[tuple[int, str]]] = {}
        ids = {e.id for e in escalations}
        events = self.session.scalars(
            select(AuditEvent).where(
                AuditEvent.case_id.in_(self.case_ids or [-1]),
                AuditEvent.action.in_(["escalation.raised", "escalation.climbed"]),
            )
        )
        for event in events:
            details = event.details or {}
            if details.get("escalation_id") in ids:
                reached.setdefault(details["escalation_id"], set()).add((details.get("level"), details.get("target")))
        return reached

    def assert_completed(self) -> None:
        case = self.current_case()
        if case.status != CaseStatus.COMPLETED.value:
            raise ScenarioFailure(
                f"{self.describe_case(case)} is not completed; {self.describe_open_tasks(case.id)}"
                + (f"; error: {case.error_message}" if case.error_message else "")
            )

    def assert_linked_case(self, protocol: str) -> Case:
        key = self.protocol_key(protocol)
        case = self.current_case()
        linked = linked_cases(session=self.session, case_id=case.id)
        for other in linked:
            other_key = self.session.scalar(select(ProtocolVersion.key).where(ProtocolVersion.id == other.protocol_version_id))
            if other_key == key:
                self.linked_case_id = other.id
                if other.id not in self.case_ids:
                    self.case_ids.append(other.id)
                return other
        raise ScenarioFailure(
            f"{self.describe_case(case)} has no linked case of {key}; linked: "
            + (", ".join(self.describe_case(other) for other in linked) or "none")
        )

    def assert_linked_open_task(self, label: str, agency: str) -> WorkItem:
        if self.linked_case_id is None:
            linked = linked_cases(session=self.session, case_id=self.current_case().id)
            if len(linked) != 1:
                raise ScenarioFailure(
                    f"{len(linked)} cases are linked to the current case; say which first "
                    '(Then a linked case of protocol "P…" is started)'
                )
            self.linked_case_id = linked[0].id
            if linked[0].id not in self.case_ids:
                self.case_ids.append(linked[0].id)
        return self.assert_open_task(agency, label, case_id=self.linked_case_id)

    # -- referrals and re-opening (issue 12, items 7 and 3) ----------------------------------

    def _referral_to_linked(self) -> tuple[Case, Case, CaseLink, AuditEvent]:
        case = self.current_case()
        if self.linked_case_id is None:
            raise ScenarioFailure('say which linked case first (Then a linked case of protocol "P…" is started)')
        linked = self._fresh_case(self.linked_case_id)
        link = self.session.scalar(select(CaseLink).where(CaseLink.from_case_id == case.id, CaseLink.to_case_id == linked.id))
        if link is None:
            raise ScenarioFailure(f"{self.describe_case(case)} did not refer {self.describe_case(linked)}")
        events = [e for e in self.session.scalars(select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.referred").order_by(AuditEvent.id))
            if (e.details or {}).get("to_case") == linked.reference]
        if not events:
            raise ScenarioFailure(f"no case.referred audit event of {self.describe_case(case)} names {linked.reference}")
        event = events[-1]
        return case, linked, link, event

    def assert_referral_basis(self, basis: str) -> None:
        _case, linked, link, event = self._referral_to_linked()
        recorded = (link.legal_basis, (event.details or {}).get("legal_basis"))
        if recorded != (basis, basis):
            raise ScenarioFailure(
                f"the referral to {linked.reference} records the legal basis {recorded[0]!r} on its link and "
                f"{recorded[1]!r} in its audit event, not {basis!r}"
            )

    def assert_referral_consent(self, who: str) -> None:
        _case, linked, link, event = self._referral_to_linked()
        if link.consented_by != who or (event.details or {}).get("consent_recorded") is not True:
            raise ScenarioFailure(
                f"the referral to {linked.reference} records {link.consented_by!r} as who consented "
                f"(audit: consent_recorded={(event.details or {}).get('consent_recorded')!r}), not {who!r}"
            )
        if who in json.dumps(event.details, ensure_ascii=False):
            raise ScenarioFailure("the audit event names who consented: the name belongs on the case link only")

    def assert_linked_case_holds_no_identity(self) -> None:
        case, linked, _link, event = self._referral_to_linked()
        if case.child_id is None:
            raise ScenarioFailure(f"{self.describe_case(case)} has no child's record: fill its intake first")
        if linked.child_id != case.child_id:
            raise ScenarioFailure(f"{self.describe_case(linked)} is not linked to the same child's record")
        child = self.session.get_one(Child, case.child_id)
        names = [value for value in (child.first_name, child.last_name) if value]
        items = self.live_items(linked.id)
        workflow = restore(session=self.session, case=linked)
        variables: dict[str, Any] = {}
        for item in items:
            variables.update(task_data(workflow, item.task_id) or {})
        self.session.rollback()
        personal = sorted(name for name in variables if is_personal_field(name))
        text = json.dumps([variables, event.details], ensure_ascii=False, default=str)
        copied = [name for name in names if name in text]
        if personal or copied or not items:
            raise ScenarioFailure(
                f"{self.describe_case(linked)} holds {', '.join(personal + copied) or 'no open task to read'}: "
                "a referral carries the reason and the child's record link, never the child's names or age"
            )

    def reopen(self, agency: str, reason: str) -> Case:
        closed = self.current_case()
        supervisor = self.person(agency, "supervisor")
        reopened = self._engine(
            f"{supervisor.username} re-opening {self.describe_case(closed)}", reopen_case,
            session=self.session, case_id=closed.id, reason=reason, actor=supervisor, clock=self.clock,
            network=self.network,
        )
        self.reopened_case_id, self.current_case_id, self.linked_case_id = closed.id, reopened.id, None
        self.case_ids.append(reopened.id)
        return reopened

    def assert_reopened(self) -> None:
        case = self.current_case()
        if self.reopened_case_id is None:
            raise ScenarioFailure("no case was re-opened in this scenario")
        closed = self._fresh_case(self.reopened_case_id)
        relations = {(link.relation, link.case.id) for link in case_links(session=self.session, case_id=case.id)}
        if ("reopened_from", closed.id) not in relations or case.status != CaseStatus.ACTIVE.value:
            raise ScenarioFailure(f"{self.describe_case(case)} is not an open case re-opened from {closed.reference}")
        if closed.status not in (CaseStatus.COMPLETED.value, CaseStatus.CANCELLED.value) or case.child_id != closed.child_id:
            raise ScenarioFailure(f"{self.describe_case(closed)} should stay closed, for the same child as {case.reference}")

    def assert_cannot_reopen_again(self, agency: str) -> None:
        if self.reopened_case_id is None:
            raise ScenarioFailure("no case was re-opened in this scenario")
        supervisor = self.person(agency, "supervisor")
        try:
            reopen_case(session=self.session, case_id=self.reopened_case_id, reason="ซ้ำ", actor=supervisor,
                        clock=self.clock, network=self.network)
        except InvalidState:
            return
        raise ScenarioFailure(f"{supervisor.username} re-opened case {self.reopened_case_id} a second time")


def _about(escalation: Escalation, agency: str | None) -> bool:
    """``of "X"``: the target's agency is X, or (for targets beyond the agency) X's work is late."""
    return agency is None or agency in (escalation.target_agency_code, escalation.agency_code)


def _say(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hours"


def duration(amount: int, unit: str) -> timedelta:
    try:
        return amount * UNITS[unit.strip().lower()]
    except KeyError:
        raise ScenarioFailure(f"unknown time unit {unit!r}; use one of {', '.join(UNITS)}") from None


def table_data(datatable: list[list[str]] | None) -> dict[str, Any]:
    """``| field | value |`` rows → form data; values are JSON when they parse, else text."""
    if not datatable:
        raise ScenarioFailure("this step needs a table of | field | value | rows under it")
    rows = [[cell.strip() for cell in row] for row in datatable]
    if [cell.lower() for cell in rows[0]] == ["field", "value"]:
        rows = rows[1:]  # a header row
    data: dict[str, Any] = {}
    for row in rows:
        if len(row) != 2:
            raise ScenarioFailure(f"table row {row} must have two cells: | field | value |")
        name, text = row
        if name in data:
            raise ScenarioFailure(f"field {name!r} appears twice in the table")
        try:
            data[name] = json.loads(text)
        except ValueError:
            data[name] = text
    return data


# -- the steps: English and Thai wordings of the same functions --------------------------------


# A quoted parameter never contains a quote, so 'targets "X"' cannot swallow 'targets "X" of "Y"'
# (parse's plain {} would, and then two steps would match one line).
@with_pattern(r'[^"]+')
def _quoted(text: str) -> str:
    return text


@with_pattern(r'[^\s"0-9]+?')
def _unit(text: str) -> str:
    return text


TYPES = {"Q": _quoted, "Unit": _unit}


def _steps(*patterns: str):
    """Register one function under several wordings."""
    def register(function):
        for pattern in patterns:
            step(parsers.parse(pattern, extra_types=TYPES), stacklevel=2)(function)
        return function
    return register


@_steps('the clock reads "{moment:Q}"', 'เวลาคือ "{moment:Q}"')
def _clock_reads(world: World, moment: str) -> None:
    world.set_clock(moment)


@_steps(
    'a case of protocol "{protocol:Q}" started by "{reporter:Q}"',
    'มีกรณีตามโพรโทคอล "{protocol:Q}" ที่เริ่มโดย "{reporter:Q}"',
)
def _case_started(world: World, protocol: str, reporter: str) -> None:
    world.start(protocol, reporter)


@_steps('"{agency:Q}" completes "{task:Q}"', '"{agency:Q}" ทำงาน "{task:Q}" เสร็จ')
def _completes(world: World, agency: str, task: str, datatable: list[list[str]] | None = None) -> None:
    if datatable:
        raise ScenarioFailure('a table follows this step: end the step with "with:" (ด้วยข้อมูล:) to give form data')
    world.complete(agency, task, {})


@_steps('"{agency:Q}" completes "{task:Q}" with:', '"{agency:Q}" ทำงาน "{task:Q}" เสร็จ ด้วยข้อมูล:')
def _completes_with(world: World, agency: str, task: str, datatable: list[list[str]] | None = None) -> None:
    world.complete(agency, task, table_data(datatable))


@_steps('"{agency:Q}" cannot complete "{task:Q}" with:', '"{agency:Q}" ทำงาน "{task:Q}" เสร็จไม่ได้ ด้วยข้อมูล:')
def _cannot_complete(world: World, agency: str, task: str, datatable: list[list[str]] | None = None) -> None:
    world.complete_refused(agency, task, table_data(datatable))


@_steps("{amount:d} {unit:Unit} pass", "{amount:d} {unit:Unit} passes", "เวลาผ่านไป {amount:d} {unit:Unit}")
def _time_passes(world: World, amount: int, unit: str) -> None:
    world.pass_time(duration(amount, unit))


@_steps(
    'the supervisors of "{agency:Q}" acknowledge the escalation',
    'หัวหน้างานของ "{agency:Q}" รับทราบการยกระดับ',
)
def _acknowledge(world: World, agency: str) -> None:
    world.acknowledge(agency)


@_steps('"{agency:Q}" has an open task "{task:Q}"', '"{agency:Q}" มีงานค้าง "{task:Q}"')
def _has_open_task(world: World, agency: str, task: str) -> None:
    world.assert_open_task(agency, task)


@_steps('"{agency:Q}" has no open task "{task:Q}"', '"{agency:Q}" ไม่มีงานค้าง "{task:Q}"')
def _has_no_open_task(world: World, agency: str, task: str) -> None:
    world.assert_no_open_task(agency, task)


@_steps(
    'the task "{task:Q}" is due {amount:d} {unit:Unit} after it was created',
    'งาน "{task:Q}" ครบกำหนด {amount:d} {unit:Unit}หลังสร้าง',
    'งาน "{task:Q}" ครบกำหนด {amount:d} {unit:Unit} หลังสร้าง',
)
def _due_after(world: World, task: str, amount: int, unit: str) -> None:
    world.assert_due_after(task, duration(amount, unit))


@_steps('the task "{task:Q}" is due at "{moment:Q}"', 'งาน "{task:Q}" ครบกำหนดเวลา "{moment:Q}"')
def _due_at(world: World, task: str, moment: str) -> None:
    world.assert_due_at(task, moment)


@_steps('no escalation targets "{target:Q}"', 'ไม่มีการยกระดับถึง "{target:Q}"')
def _no_escalation(world: World, target: str) -> None:
    world.assert_no_escalation(target)


@_steps(
    'a level-{level:d} escalation targets "{target:Q}" of "{agency:Q}"',
    'มีการยกระดับขั้นที่ {level:d} ถึง "{target:Q}" ของ "{agency:Q}"',
)
def _escalation_of(world: World, level: int, target: str, agency: str) -> None:
    world.assert_escalation(level, target, agency)


@_steps('a level-{level:d} escalation targets "{target:Q}"', 'มีการยกระดับขั้นที่ {level:d} ถึง "{target:Q}"')
def _escalation(world: World, level: int, target: str) -> None:
    world.assert_escalation(level, target, None)


@_steps("the case is completed", "กรณีปิดแล้ว")
def _completed(world: World) -> None:
    world.assert_completed()


@_steps(
    'a linked case of protocol "{protocol:Q}" is started',
    'มีกรณีเชื่อมโยงตามโพรโทคอล "{protocol:Q}" เริ่มขึ้น',
)
def _linked_case(world: World, protocol: str) -> None:
    world.assert_linked_case(protocol)


@_steps(
    'the linked case has an open task "{task:Q}" for "{agency:Q}"',
    'กรณีเชื่อมโยงมีงานค้าง "{task:Q}" ของ "{agency:Q}"',
)
def _linked_open_task(world: World, task: str, agency: str) -> None:
    world.assert_linked_open_task(task, agency)


@_steps(
    'the referral to the linked case records the legal basis "{basis:Q}"',
    'การส่งต่อไปยังกรณีเชื่อมโยงบันทึกฐานทางกฎหมาย "{basis:Q}"',
)
def _referral_basis(world: World, basis: str) -> None:
    world.assert_referral_basis(basis)


@_steps(
    'the referral records that "{who:Q}" consented',
    'การส่งต่อบันทึกว่า "{who:Q}" เป็นผู้ให้ความยินยอม',
)
def _referral_consent(world: World, who: str) -> None:
    world.assert_referral_consent(who)


@_steps("the linked case holds no name or age of the child", "กรณีเชื่อมโยงไม่มีชื่อหรืออายุของเด็ก")
def _no_identity(world: World) -> None:
    world.assert_linked_case_holds_no_identity()


@_steps(
    'the supervisors of "{agency:Q}" re-open the case because "{reason:Q}"',
    'หัวหน้างานของ "{agency:Q}" เปิดกรณีอีกครั้ง เพราะ "{reason:Q}"',
)
def _reopen(world: World, agency: str, reason: str) -> None:
    world.reopen(agency, reason)


@_steps("the case is re-opened from the closed case", "กรณีนี้เปิดใหม่จากกรณีที่ปิดแล้ว")
def _reopened(world: World) -> None:
    world.assert_reopened()


@_steps(
    'the supervisors of "{agency:Q}" cannot re-open the closed case again',
    'หัวหน้างานของ "{agency:Q}" เปิดกรณีที่ปิดแล้วซ้ำอีกไม่ได้',
)
def _cannot_reopen(world: World, agency: str) -> None:
    world.assert_cannot_reopen_again(agency)
@_steps('"{username:Q}" can open the case', '"{username:Q}" เปิดกรณีได้')
def _can_open(world: World, username: str) -> None:
    world.assert_can_open(username)


@_steps('"{username:Q}" cannot open the case', '"{username:Q}" เปิดกรณีไม่ได้')
def _cannot_open(world: World, username: str) -> None:
    world.assert_cannot_open(username)


@_steps(
    '"{username:Q}" finds the task "{task:Q}" in their inbox',
    '"{username:Q}" พบงาน "{task:Q}" ในกล่องงาน',
)
def _in_inbox(world: World, username: str, task: str) -> None:
    world.assert_in_inbox(username, task)

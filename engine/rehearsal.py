"""Rehearsing a protocol: one case, run on a simulated clock in a throw-away database.

Before a version goes live, policy staff see what it will do: which agency gets which task, by
when, what escalates when someone is late, and which referrals go out. Nothing is simulated
beyond the clock and the people: the case runs through the same runtime commands, timers fire
through the same ``tick`` and escalations come from the same tables as in production, so a
rehearsal shows what production would do.

Programmatic use (the Gherkin features drive this)::

    with Rehearsal(bpmn, network) as rehearsal:
        rehearsal.start({"channel": "school"})
        rehearsal.advance("PT1H")
        rehearsal.complete("report", "spm_tak", {"severity": "high"})
        rehearsal.advance("PT30H")
        print(rehearsal.timeline().as_table())

A scenario file (TOML or JSON) says the same thing as data; see :func:`parse_scenario` and
``protocols/README.md``.
"""
from __future__ import annotations

import json
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlalchemy import func, select

from engine.audit import AuditEvent
from engine.cases import commands
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, Escalation, EscalationStatus, WorkItem
from engine.clock import SimulatedClock, as_utc
from engine.db import make_engine
from engine.deadlines.tick import tick
from engine.errors import InvalidInput, InvalidState, KhumkrongError, ProtocolInvalid
from engine.forms.catalogue import FormCatalogue, load_forms
from engine.forms.service import put_form
from engine.migrations import upgrade_database
from engine.network.definition import Network
from engine.network.service import sync_network
from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import CASE_WORKER_ROLE, SYSTEM_ROLE, WORKING_ROLES
from engine.protocols import service as protocols
from engine.protocols.cache import cached_session_factory
from engine.workflow.timers import parse_duration

# Monday 30 November 2026, 09:00 in Tak: a working morning, so nothing starts on a holiday.
DEFAULT_START = datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=7)))
# SpiffWorkflow fires a timer once "now" is strictly past its due time, and tick picks cases
# whose next timer is strictly in the past; stepping this far past a due time fires it at
# (what every display rounds to) the due time itself.
PAST_DUE = timedelta(microseconds=1)
MAX_STEPS_PER_ADVANCE = 10_000
REHEARSAL_KEY = "rehearsal"
REFERRAL_ACTIONS = ("case.referred", "case.message_unrouted")


def _second(moment: datetime | None, zone: tzinfo | None) -> datetime | None:
    return None if moment is None else moment.astimezone(zone).replace(microsecond=0)


def _elapsed(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    return f"+{days}d {rest // 3600:02d}:{rest % 3600 // 60:02d}" if days else f"+{rest // 3600:02d}:{rest % 3600 // 60:02d}"


# -- the timeline -------------------------------------------------------------------------------


@dataclass
class TimelineRow:
    at: datetime
    kind: str  # "task", "escalation" or "referral"
    label: str
    task: str | None = None
    agency: str | None = None
    created: datetime | None = None
    due: datetime | None = None
    completed: datetime | None = None
    state: str | None = None
    completed_by: str | None = None
    escalations: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)


@dataclass
class Timeline:
    protocol: str
    started_at: datetime
    now: datetime
    case_reference: str | None
    case_status: str | None
    rows: list[TimelineRow]

    def _iso(self, moment: datetime | None) -> str | None:
        moment = _second(moment, self.started_at.tzinfo)
        return moment.isoformat() if moment else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "started_at": self._iso(self.started_at),
            "ended_at": self._iso(self.now),
            "case": {"reference": self.case_reference, "status": self.case_status},
            "rows": [
                {
                    "at": self._iso(row.at),
                    "elapsed": _elapsed(row.at - self.started_at),
                    "kind": row.kind,
                    "task": row.task,
                    "label": row.label,
                    "agency": row.agency,
                    "created": self._iso(row.created),
                    "due": self._iso(row.due),
                    "completed": self._iso(row.completed),
                    "state": row.state,
                    "completed_by": row.completed_by,
                    "escalations": [
                        {**e, "raised_at": self._iso(e["raised_at"])} for e in row.escalations
                    ],
                    "referrals": row.referrals,
                }
                for row in self.rows
            ],
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def as_table(self) -> Table:
        zone = self.started_at.tzinfo

        def show(moment: datetime | None) -> str:
            # The year is in the title; month-day and time keep the columns narrow.
            shown = _second(moment, zone)
            return shown.strftime("%m-%d %H:%M") if shown else ""

        table = Table(
            "เวลา\ntime", "งาน\ntask", "หน่วยงาน\nagency", "สร้าง\ncreated", "กำหนด\ndue",
            "เสร็จ\ncompleted", "ยกระดับ\nescalations", "ส่งต่อ\nreferrals",
            title=(
                f"{self.protocol} — {self.case_reference or ''} ({self.case_status or 'not started'}), "
                f"from {self.started_at:%Y-%m-%d %H:%M} UTC{self.started_at:%z}"
            ),
        )
        for row in self.rows:
            done = show(row.completed)
            if row.state == "cancelled":
                done = f"ยกเลิก / cancelled {done}".strip()
            elif row.kind == "task" and row.completed is None:
                done = "ค้าง / open"
            escalations = "\n".join(
                f"{e['code'] or e['reason']} → {e['target']} (L{e['level']}) {show(e['raised_at'])}"
                for e in row.escalations
            )
            table.add_row(
                f"{_elapsed(row.at - self.started_at)}\n{show(row.at)}",
                row.label if row.task is None else f"{row.label}\n({row.task})",
                row.agency or "", show(row.created), show(row.due), done, escalations,
                "\n".join(row.referrals),
            )
        return table


# -- the rehearsal ------------------------------------------------------------------------------


class Rehearsal:
    """One case of one protocol on a simulated clock, in its own temporary SQLite database."""

    def __init__(
        self,
        protocol_bpmn: bytes | str,
        network: Network,
        *,
        start_at: datetime = DEFAULT_START,
        database_url: str | None = None,
        forms_dir: Path | None = None,
        forms: FormCatalogue | None = None,
    ) -> None:
        """``forms`` (or the folder ``forms_dir`` holding them) are the forms completions are
        checked against, as they would be for real."""
        if start_at.tzinfo is None:
            raise InvalidInput("the rehearsal start needs a UTC offset, e.g. 2026-11-30T09:00:00+07:00", field="start_at")
        self.network = network
        self.started_at = start_at
        self.clock = SimulatedClock(start_at)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="khumkrong-rehearsal-")
            database_url = f"sqlite:///{Path(self._tmp.name) / 'rehearsal.db'}"
        url = database_url
        self._engine = make_engine(url)
        upgrade_database(self._engine)
        self.session = cached_session_factory(self._engine)()
        try:
            sync_network(session=self.session, network=network)
            # With the forms, every completion is checked as it would be for real.
            catalogue = load_forms(forms_dir) if forms_dir is not None else forms
            for name, schema in (catalogue.schemas if catalogue is not None else {}).items():
                put_form(self.session, key=name, schema=schema, clock=self.clock)
            self.session.commit()
            self._actors = self._create_people()
            author = Actor(None, "rehearsal", SYSTEM_ROLE, None)
            version, self.findings = protocols.store_draft(
                session=self.session, key=REHEARSAL_KEY, bpmn=protocol_bpmn, network=network,
                clock=self.clock, actor=author, forms=catalogue,
            )
            protocols.publish(session=self.session, key=REHEARSAL_KEY, version=version.version, clock=self.clock, actor=author)
            self.protocol_name = version.name
        except BaseException:
            self.close()
            raise
        self.case_id: int | None = None
        self.step_number = 0
        self._referrals: list[tuple[datetime, str, int | None]] = []
        self._events_seen = 0
        self._audit_seen = 0

    # -- set-up and tear-down

    def _create_people(self) -> dict[tuple[str, str], Actor]:
        actors = {}
        roles = [code for code, role in self.network.roles.items() if role.bound_to_agency]
        for agency in self.network.agencies:
            for role in roles:
                user = User(
                    username=f"rehearsal.{role}.{agency}"[:64], display_name=f"{role} ({agency})",
                    role_code=role, agency_code=agency, active=True, created_at=self.clock.now(),
                )
                self.session.add(user)
                self.session.flush()
                actors[(agency, role)] = Actor.of(user)
        self.session.commit()
        return actors

    def close(self) -> None:
        self.session.close()
        self._engine.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Rehearsal:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # -- acting

    def _actor(self, agency: str, role: str | None) -> Actor:
        if agency not in self.network.agencies:
            raise InvalidInput(f"{agency!r} is not an agency of the network", field="as")
        wanted = role if role in WORKING_ROLES else CASE_WORKER_ROLE
        actor = self._actors.get((agency, wanted)) or self._actors.get((agency, CASE_WORKER_ROLE))
        if actor is None:
            raise InvalidInput(f"the network has no role {wanted!r} for agency {agency!r}", field="as")
        return actor

    def _case(self) -> Case:
        if self.case_id is None:
            raise InvalidState("the rehearsal case has not been started")
        self.session.expire_all()
        return self.session.get_one(Case, self.case_id)

    def _note_referrals(self, work_item_id: int | None) -> None:
        """Record the referral messages the last command sent, against the task that sent them.

        The runtime routes a message nobody in the case caught and audits it (``case.referred``
        or, with no receiving protocol published, ``case.message_unrouted``). A runtime that does
        not route leaves it on the workflow (SpiffWorkflow's ``bpmn_events``); both are read.
        """
        case = self._case()
        for event in self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id, AuditEvent.id > self._audit_seen, AuditEvent.action.in_(REFERRAL_ACTIONS))
            .order_by(AuditEvent.id)
        ):
            self._referrals.append((event.occurred_at, str(event.details.get("message") or "?"), work_item_id))
            self._audit_seen = event.id
        events = json.loads(case.state_json or "{}").get("bpmn_events") or []
        if len(events) < self._events_seen:
            self._events_seen = 0
        for event in events[self._events_seen:]:
            definition = event.get("event_definition") or {}
            if definition.get("typename") == "MessageEventDefinition":
                self._referrals.append((self.clock.now(), definition.get("name") or "?", work_item_id))
        self._events_seen = len(events)

    def start(self, data: dict[str, Any] | None = None, *, as_agency: str | None = None) -> Rehearsal:
        if self.case_id is not None:
            raise InvalidState("a rehearsal runs one case; it has already started")
        actor = self._actor(as_agency, None) if as_agency else Actor(None, "rehearsal", SYSTEM_ROLE, None)
        case = commands.start_case(
            session=self.session, protocol_key=REHEARSAL_KEY, data=data or {}, actor=actor,
            clock=self.clock, network=self.network,
        )
        self.case_id = case.id
        self._note_referrals(None)
        return self

    def open_tasks(self) -> list[WorkItem]:
        self.session.expire_all()
        return list(self.session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == self._case().id, WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
            .order_by(WorkItem.created_at, WorkItem.id)
        ))

    def complete(self, task_name: str, as_agency: str | None = None, data: dict[str, Any] | None = None) -> WorkItem:
        """Complete the oldest open work item of a task, as a worker of its agency."""
        open_items = self.open_tasks()
        item = next((i for i in open_items if i.task_name == task_name), None)
        if item is None:
            waiting = ", ".join(f"{i.task_name} ({i.agency_code})" for i in open_items) or "none"
            raise InvalidInput(
                f"at {self.clock.now().astimezone(self.started_at.tzinfo):%Y-%m-%d %H:%M} there is no open "
                f"task {task_name!r}; open tasks: {waiting}", field="complete",
            )
        if as_agency is not None and as_agency != item.agency_code:
            raise InvalidInput(
                f"task {task_name!r} belongs to {item.agency_code}, not {as_agency}", field="as",
            )
        commands.complete(
            session=self.session, work_item_id=item.id, data=data or {},
            actor=self._actor(item.agency_code, item.candidate_role), clock=self.clock, network=self.network,
        )
        self._note_referrals(item.id)
        return item

    # -- time

    def _next_due(self) -> datetime | None:
        case = self._case()
        candidates = []
        if case.status == CaseStatus.ACTIVE.value and case.next_timer_at is not None:
            candidates.append(case.next_timer_at)
        climb = self.session.scalar(
            select(func.min(Escalation.climb_at)).where(
                Escalation.case_id == case.id, Escalation.status == EscalationStatus.OPEN.value,
            )
        )
        if climb is not None:
            candidates.append(climb)
        return min(candidates, default=None)

    def _tick(self) -> None:
        tick(session=self.session, clock=self.clock, network=self.network)
        self._note_referrals(None)

    def advance_to(self, moment: datetime) -> Rehearsal:
        """Move the clock to *moment*, stopping at every timer and escalation climb on the way."""
        moment = as_utc(moment)
        if moment < self.clock.now():
            raise InvalidInput(
                f"the rehearsal is already at {self.clock.now().isoformat()}; it cannot go back to "
                f"{moment.isoformat()}", field="at",
            )
        for _ in range(MAX_STEPS_PER_ADVANCE):
            due = self._next_due() if self.case_id is not None else None
            if due is None or due >= moment:
                break
            before = self.clock.now()
            if due + PAST_DUE > before:
                self.clock.set(due + PAST_DUE)
            self._tick()
            if self.clock.now() == before and self._next_due() == due:
                break  # the case failed to fire it (it is now in error); do not spin
        else:
            raise InvalidState(f"more than {MAX_STEPS_PER_ADVANCE} timers fired in one advance; does a timer loop?")
        self.clock.set(moment)
        if self.case_id is not None:
            self._tick()
        return self

    def advance(self, duration: timedelta | str) -> Rehearsal:
        if isinstance(duration, str):
            duration = parse_duration(duration, start=self.clock.now())
        if duration < timedelta(0):
            raise InvalidInput("a rehearsal does not go back in time", field="advance")
        return self.advance_to(self.clock.now() + duration)

    def at(self, offset: timedelta | str) -> Rehearsal:
        """Move to a point measured from the start (``PT2H`` = two hours after the start)."""
        if isinstance(offset, str):
            offset = parse_duration(offset, start=self.started_at)
        return self.advance_to(self.started_at + offset)

    def play(self, scenario: Scenario) -> Rehearsal:
        """Start the case and run every step; ``step_number`` tells how far it got."""
        self.step_number = 0
        self.start(scenario.start_data, as_agency=scenario.start_as)
        for self.step_number, step in enumerate(scenario.steps, 1):
            if step.at is not None:
                self.at(step.at)
            if step.advance is not None:
                self.advance(step.advance)
            if step.complete is not None:
                self.complete(step.complete, step.as_agency, step.data)
        return self

    # -- reading

    def _escalations(self, case_id: int) -> list[Escalation]:
        return list(self.session.scalars(
            select(Escalation).where(Escalation.case_id == case_id).order_by(Escalation.raised_at, Escalation.id)
        ))

    def timeline(self) -> Timeline:
        if self.case_id is None:
            return Timeline(self.protocol_name, self.started_at, self.clock.now(), None, None, [])
        case = self._case()
        items = list(self.session.scalars(
            select(WorkItem).where(WorkItem.case_id == case.id).order_by(WorkItem.created_at, WorkItem.id)
        ))
        usernames = dict(self.session.execute(select(User.id, User.username)).all())
        escalations = self._escalations(case.id)

        def summary(escalation: Escalation) -> dict[str, Any]:
            return {
                "raised_at": escalation.raised_at, "reason": escalation.reason, "code": escalation.code,
                "source": escalation.source_element, "level": escalation.level,
                "target": escalation.target_code, "target_agency": escalation.target_agency_code,
                "target_role": escalation.target_role, "status": escalation.status,
            }

        rows: list[TimelineRow] = []
        for item in items:
            rows.append(TimelineRow(
                at=item.created_at, kind="task", task=item.task_name, label=item.label, agency=item.agency_code,
                created=item.created_at, due=item.due_at,
                completed=item.completed_at, state=item.state,
                completed_by=usernames.get(item.completed_by_id) if item.completed_by_id is not None else None,
                escalations=[summary(e) for e in escalations if e.work_item_id == item.id],
                referrals=[name for _, name, source in self._referrals if source == item.id],
            ))
        for escalation in escalations:
            if escalation.work_item_id is None:
                rows.append(TimelineRow(
                    at=escalation.raised_at, kind="escalation",
                    label=f"ยกระดับ / escalation {escalation.code or escalation.reason}",
                    agency=escalation.agency_code, escalations=[summary(escalation)],
                ))
        for at, name, source in self._referrals:
            if source is None:
                rows.append(TimelineRow(at=at, kind="referral", label=f"ส่งต่อ / referral {name}", referrals=[name]))
        rows.sort(key=lambda row: row.at)
        return Timeline(self.protocol_name, self.started_at, self.clock.now(), case.reference, case.status, rows)


# -- scenarios ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    at: str | None = None  # offset from the start, ISO 8601 duration
    complete: str | None = None
    as_agency: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    advance: str | None = None


@dataclass(frozen=True)
class Scenario:
    start_at: datetime = DEFAULT_START
    start_data: dict[str, Any] = field(default_factory=dict)
    start_as: str | None = None
    steps: tuple[Step, ...] = ()


_STEP_KEYS = {"at", "complete", "as", "data", "advance"}
_START_KEYS = {"at", "as", "data"}
_TOP_KEYS = {"start", "steps"}


def _table(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be a table of names and values", field=where)
    return value


def _unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise InvalidInput(f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})", field=where)


def parse_scenario(document: dict[str, Any]) -> Scenario:
    """Check a scenario document (already read from TOML or JSON) and return it."""
    if not isinstance(document, dict):
        raise InvalidInput("a scenario is a table with [start] and [[steps]]", field="scenario")
    _unknown(document, _TOP_KEYS, "scenario")
    start = _table(document.get("start"), "start")
    _unknown(start, _START_KEYS, "start")
    start_at = DEFAULT_START
    if "at" in start:
        raw = start["at"]
        try:
            start_at = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        except ValueError:
            raise InvalidInput(f"start.at {raw!r} is not an ISO 8601 date-time", field="start.at") from None
        if start_at.tzinfo is None:
            raise InvalidInput("start.at needs a UTC offset, e.g. 2026-11-30T09:00:00+07:00", field="start.at")
    steps = []
    raw_steps = document.get("steps", [])
    if not isinstance(raw_steps, list):
        raise InvalidInput("steps must be a list ([[steps]] in TOML)", field="steps")
    for number, raw in enumerate(raw_steps, 1):
        where = f"steps[{number}]"
        raw = _table(raw, where)
        _unknown(raw, _STEP_KEYS, where)
        if "complete" in raw and "advance" in raw:
            raise InvalidInput(f"{where}: a step either completes a task or advances the clock, not both", field=where)
        if not ({"complete", "advance", "at"} & set(raw)):
            raise InvalidInput(f"{where}: say what happens: complete = \"task\", advance = \"PT1H\" or at = \"PT2H\"", field=where)
        if ("as" in raw or "data" in raw) and "complete" not in raw:
            raise InvalidInput(f"{where}: 'as' and 'data' belong to a step that completes a task", field=where)
        for key in ("at", "advance"):
            if key in raw:
                parse_duration(raw[key], start=start_at)
        for key in ("complete", "as"):
            if key in raw and not isinstance(raw[key], str):
                raise InvalidInput(f"{where}.{key} must be text", field=f"{where}.{key}")
        steps.append(Step(
            at=raw.get("at"), complete=raw.get("complete"), as_agency=raw.get("as"),
            data=_table(raw.get("data"), f"{where}.data"), advance=raw.get("advance"),
        ))
    return Scenario(
        start_at=start_at, start_data=_table(start.get("data"), "start.data"),
        start_as=start.get("as"), steps=tuple(steps),
    )


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario from a ``.toml`` or ``.json`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read scenario {path}: {exc}", field="scenario") from exc
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"scenario {path.name} is not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'}: {exc}", field="scenario") from exc
    return parse_scenario(document)


class ScenarioFailed(KhumkrongError):
    """A step could not be played; ``timeline`` shows the case up to that point."""

    code = "scenario-failed"

    def __init__(self, message: str, *, step: int, timeline: Timeline | None) -> None:
        super().__init__(message, step=step)
        self.step = step
        self.timeline = timeline


def run_scenario(
    protocol_bpmn: bytes | str,
    network: Network,
    scenario: Scenario,
    *,
    database_url: str | None = None,
    forms_dir: Path | None = None,
    forms: FormCatalogue | None = None,
) -> Timeline:
    """Play a scenario; raises :class:`ProtocolInvalid` or :class:`ScenarioFailed`."""
    with Rehearsal(
        protocol_bpmn, network, start_at=scenario.start_at, database_url=database_url, forms_dir=forms_dir,
        forms=forms,
    ) as rehearsal:
        try:
            rehearsal.play(scenario)
        except ProtocolInvalid:
            raise
        except KhumkrongError as exc:
            current = rehearsal.step_number
            where = f"step {current}" if current else "start"
            raise ScenarioFailed(
                f"scenario {where} failed: {exc.message}", step=current, timeline=rehearsal.timeline()
            ) from exc
        return rehearsal.timeline()


# -- rehearsing from the editor: the scenario as TOML text, the forms as stored ---------------

MAX_SCENARIO_CHARS = 200_000


@dataclass(frozen=True)
class LibraryScenario:
    name: str
    text: str


def library_scenarios(folder: Path, key: str) -> list[LibraryScenario]:
    """The scenarios kept beside the protocols for ``key``: files named after its number (``p1_…``)."""
    prefix = key.split("_", 1)[0] + "_"
    if not folder.is_dir():
        return []
    return [
        LibraryScenario(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob(f"{prefix}*.toml"))
    ]


def rehearse_text(bpmn: bytes | str, *, network: Network, scenario_text: str, forms: FormCatalogue) -> Timeline:
    """Play a scenario given as TOML text; raises InvalidInput, ProtocolInvalid or ScenarioFailed."""
    if len(scenario_text) > MAX_SCENARIO_CHARS:
        raise InvalidInput(f"a scenario may have at most {MAX_SCENARIO_CHARS:,} characters", field="scenario")
    try:
        document = tomllib.loads(scenario_text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the scenario is not valid TOML: {exc}", field="scenario") from exc
    return run_scenario(bpmn, network, parse_scenario(document), forms=forms)

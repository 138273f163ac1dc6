"""Demo data for `make run`: the Tak network, its protocols and forms, demo accounts, and a
living set of cases (``protocols/demo_cases.toml``).

Idempotent: what is already there is left alone, so running it against a used database adds
only what is missing; cases are added only to a database that has none.

The cases are played by the engine's own commands (start, claim, complete, comment, tick,
acknowledge) on a simulated clock that starts weeks before the demo's end (the moment the server
starts) and runs up to it, firing every timer and climbing every escalation at its time. So the
demo's deadlines, escalations and audit trail are real, and the same file played at the same
end gives the same cases. (Deadlines counted in business days depend on the week the demo ends
in, so which of those tasks are late can differ from one week to the next.)
"""
from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases import assignment, commands
from engine.cases.comments import add_comment
from engine.cases.models import LIVE_WORK_ITEM_STATES, Case, CaseStatus, Escalation, EscalationStatus, WorkItem
from engine.clock import THAI_TIME, Clock, SimulatedClock
from engine.deadlines.service import acknowledge as acknowledge_escalation
from engine.deadlines.tick import tick
from engine.errors import KhumkrongError
from engine.forms.catalogue import load_forms
from engine.forms.service import load_forms_folder
from engine.network.definition import Network
from engine.network.service import sync_network
from engine.people.actors import SYSTEM, Actor
from engine.people.models import User
from engine.people.passwords import hash_password
from engine.protocols import service as protocols
from engine.protocols.models import ProtocolVersion
from engine.protocols.starts import start_agencies
from engine.workflow.timers import parse_duration

DEMO_CASES_FILE = "demo_cases.toml"


@dataclass
class DemoReport:
    password: str
    users_created: list[str]
    protocols_published: list[str]
    forms: int
    cases_started: int = 0


def demo_password(network: Network) -> str:
    return os.environ.get(network.demo_password_env) or network.demo_default_password


def load_demo(
    *, session: Session, network: Network, clock: Clock, protocols_dir: Path, forms_dir: Path, cases: bool = False
) -> DemoReport:
    """The network, forms, protocols and accounts; with ``cases``, the living cases too, played
    up to ``clock.now()`` (only into a database that has no case yet)."""
    sync_network(session=session, network=network)
    forms = load_forms_folder(session, folder=forms_dir, clock=clock) if forms_dir.is_dir() else 0
    session.commit()

    catalogue = load_forms(forms_dir) if forms_dir.is_dir() else None
    files = sorted(protocols_dir.glob("*.bpmn"))
    # Referrals may name any protocol of the library, including those stored after them.
    messages = {name for path in files for name in protocols.message_start_names(path.read_bytes())}
    published = []
    for path in files:
        version, _ = protocols.store_draft(
            session=session, key=path.stem, bpmn=path.read_bytes(), network=network, clock=clock,
            actor=SYSTEM, filename=path.name, forms=catalogue, known_messages=messages,
        )
        if not version.published and not session.scalar(
            select(ProtocolVersion.id).where(
                ProtocolVersion.key == version.key, ProtocolVersion.published.is_(True),
                ProtocolVersion.version > version.version,
            )
        ):
            protocols.publish(session=session, key=version.key, version=version.version, clock=clock, actor=SYSTEM)
            published.append(f"{version.key} v{version.version}")

    password = demo_password(network)
    created = []
    existing = set(session.scalars(select(User.username)))
    for account in network.demo_accounts:
        if account.username in existing:
            continue
        session.add(User(
            username=account.username, display_name=account.display_name, role_code=account.role,
            agency_code=account.agency, unit_code=account.unit, password_hash=hash_password(password), active=True,
            created_at=clock.now(), email=None,
        ))
        created.append(account.username)
    session.commit()
    report = DemoReport(password, created, published, forms)
    stories = protocols_dir / DEMO_CASES_FILE
    if cases and stories.is_file():
        report.cases_started = seed_cases(session=session, network=network, end=clock.now(), stories=load_stories(stories))
    return report


# -- the living cases ---------------------------------------------------------------------------


class DemoInvalid(KhumkrongError):
    """The demo's cases file is wrong, or one of its steps could not be played."""

    code = "demo-invalid"


@dataclass(frozen=True)
class DemoStep:
    after: str
    action: str  # complete, claim, comment, acknowledge
    target: str  # the task id, or the agency for acknowledge
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class DemoStory:
    name: str
    protocol: str
    reporter: str
    started: str
    steps: tuple[DemoStep, ...]


_ACTIONS = ("complete", "claim", "comment", "acknowledge")
_TOKEN = re.compile(r"^@(now|today)(?:([+-])(P\S+))?$")
ACKNOWLEDGEMENT = "รับทราบแล้ว กำลังติดตามกับหน่วยงาน (ข้อมูลสาธิต)"


def load_stories(path: Path) -> list[DemoStory]:
    """The demo's cases, checked (``protocols/demo_cases.toml``)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DemoInvalid(f"{path.name}: {exc}", field="demo") from exc
    stories = []
    for number, raw in enumerate(document.get("cases", []), 1):
        where = f"{path.name} cases[{number}]"
        try:
            steps = []
            for step in raw.get("steps", []):
                actions = [action for action in _ACTIONS if action in step]
                if len(actions) != 1:
                    raise DemoInvalid(f"{where}: each step does exactly one of {', '.join(_ACTIONS)}", field="demo")
                steps.append(DemoStep(after=str(step.get("after", "PT0S")), action=actions[0], target=str(step[actions[0]]),
                                      data=dict(step.get("data", {})), text=str(step.get("text", ""))))
            stories.append(DemoStory(name=str(raw["name"]), protocol=str(raw["protocol"]), reporter=str(raw["reporter"]),
                                     started=str(raw["started"]), steps=tuple(steps)))
        except KeyError as exc:
            raise DemoInvalid(f"{where}: {exc.args[0]!r} is missing", field="demo") from exc
    return stories


def _resolve(value: Any, at: datetime) -> Any:
    """Form data with "@now"/"@today" (and their offsets) made into the step's moment or date."""
    if isinstance(value, dict):
        return {key: _resolve(item, at) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, at) for item in value]
    if isinstance(value, str):
        found = _TOKEN.match(value)
        if found:
            kind, sign, duration = found.groups()
            moment = at.astimezone(THAI_TIME)
            if duration:
                delta = parse_duration(duration, start=moment, field="demo")
                moment = moment + delta if sign == "+" else moment - delta
            return moment.isoformat(timespec="seconds") if kind == "now" else moment.date().isoformat()
    return value


def _next_due(session: Session, now: datetime) -> datetime | None:
    """The next moment a timer or an escalation climb falls due."""
    timer = session.scalar(select(func.min(Case.next_timer_at)).where(
        Case.status == CaseStatus.ACTIVE.value, Case.next_timer_at >= now))
    climb = session.scalar(select(func.min(Escalation.climb_at)).where(
        Escalation.status == EscalationStatus.OPEN.value, Escalation.climb_at >= now))
    session.rollback()  # end the read: tick takes its own transactions
    due = [moment for moment in (timer, climb) if moment is not None]
    return min(due) if due else None


def _pass_time(session: Session, clock: SimulatedClock, network: Network, until: datetime) -> None:
    """Move the clock to ``until``, ticking just past every timer and climb on the way."""
    while True:
        tick(session=session, clock=clock, network=network)
        now = clock.now()
        if now >= until:
            return
        due = _next_due(session, now)
        step_to = until if due is None else min(until, max(due, now) + timedelta(microseconds=1))
        clock.set(step_to)


class _Player:
    """Plays the demo's steps with the demo accounts."""

    def __init__(self, session: Session, network: Network, clock: SimulatedClock) -> None:
        self.session = session
        self.network = network
        self.clock = clock
        self.actors = {user.username: Actor.of(user) for user in session.scalars(select(User))}

    def person(self, agency: str, role: str = "case_worker") -> Actor:
        username = f"{'supervisor' if role == 'supervisor' else 'worker'}.{agency}"
        if username not in self.actors:
            raise DemoInvalid(f"there is no demo account {username!r}", field="demo")
        return self.actors[username]

    def start(self, story: DemoStory) -> int:
        version = self.session.scalar(
            select(ProtocolVersion).where(ProtocolVersion.key == story.protocol, ProtocolVersion.published.is_(True))
            .order_by(ProtocolVersion.version.desc()).limit(1)
        )
        if version is None:
            raise DemoInvalid(f"{story.name}: protocol {story.protocol!r} is not published", field="demo")
        agencies = sorted(start_agencies(version, self.network))
        starter = self.person(agencies[0]) if agencies else SYSTEM
        case = commands.start_case(session=self.session, protocol_key=story.protocol, data={}, actor=starter,
                                   clock=self.clock, network=self.network, reporting_unit=story.reporter)
        return case.id

    def _item(self, story: DemoStory, case_id: int, task: str) -> WorkItem:
        item = self.session.scalar(
            select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.task_name == task,
                                   WorkItem.state.in_(LIVE_WORK_ITEM_STATES))
            .order_by(WorkItem.id).execution_options(populate_existing=True)
        )
        if item is None:
            raise DemoInvalid(f"{story.name}: no open task {task!r} at {self.clock.now().isoformat()}", field="demo")
        return item

    def play(self, story: DemoStory, case_id: int, step: DemoStep) -> None:
        now = self.clock.now()
        acts: dict[str, Callable[[], object]] = {}
        if step.action == "acknowledge":
            acts["acknowledge"] = lambda: self._acknowledge(case_id, step.target)
        else:
            item = self._item(story, case_id, step.target)
            actor = self.person(item.agency_code, item.candidate_role or "case_worker")
            acts["complete"] = lambda: commands.complete(
                session=self.session, work_item_id=item.id, data=_resolve(step.data, now), actor=actor, clock=self.clock,
                network=self.network)
            acts["claim"] = lambda: assignment.claim(session=self.session, work_item_id=item.id, actor=actor, clock=self.clock)
            acts["comment"] = lambda: add_comment(session=self.session, item=item, body=step.text, actor=actor, clock=self.clock)
        try:
            acts[step.action]()
        except KhumkrongError as exc:
            raise DemoInvalid(f"{story.name}: {step.action} {step.target!r} was refused: {exc.message}", field="demo") from exc

    def _acknowledge(self, case_id: int, agency: str) -> None:
        supervisor = self.person(agency, "supervisor")
        open_ones = self.session.scalars(
            select(Escalation).where(Escalation.case_id == case_id, Escalation.status == EscalationStatus.OPEN.value)
            .order_by(Escalation.id)
        ).all()
        for escalation in open_ones:
            if escalation.agency_code == agency or escalation.target_agency_code == agency:
                acknowledge_escalation(session=self.session, escalation_id=escalation.id, note=ACKNOWLEDGEMENT,
                                       actor=supervisor, clock=self.clock)


def seed_cases(*, session: Session, network: Network, end: datetime, stories: list[DemoStory]) -> int:
    """Play the stories so that their history ends at ``end``; how many cases were started.

    Nothing is added to a database that already has cases (a used installation keeps its own).
    """
    if session.scalar(select(Case.id).limit(1)) is not None:
        session.rollback()
        return 0
    session.rollback()
    # Every story's start and steps on one timeline, played in order of time.
    events: list[tuple[datetime, int, int]] = []
    for index, story in enumerate(stories):
        at = end - parse_duration(story.started, start=end, field="started")
        events.append((at, index, -1))
        for number, step in enumerate(story.steps):
            at = at + parse_duration(step.after, start=at, field="after")
            if at > end:
                raise DemoInvalid(f"{story.name}: step {number + 1} falls after the demo's end", field="demo")
            events.append((at, index, number))
    if not events:
        return 0
    events.sort(key=lambda event: (event[0], event[1], event[2]))
    clock = SimulatedClock(events[0][0])
    player = _Player(session, network, clock)
    case_ids: dict[int, int] = {}
    for at, index, number in events:
        _pass_time(session, clock, network, at)
        story = stories[index]
        if number < 0:
            case_ids[index] = player.start(story)
        else:
            player.play(story, case_ids[index], story.steps[number])
    _pass_time(session, clock, network, end)
    return len(case_ids)

"""A real SMTP server on loopback, and people, cases and work items to notify about."""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from engine.cases.models import Case, WorkItem
from engine.people.models import User
from engine.protocols.models import ProtocolVersion
from engine.settings import Settings
from tests.conftest import START

SENDER = "khumkrong@tak.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class Recorder:
    """An aiosmtpd handler that keeps what it accepted and can be told to misbehave."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refuse_data_with: str | None = None
        self.refuse_recipients: dict[str, str] = {}
        # Once this many have been accepted, the next DATA waits for `release`, then is refused:
        # a deterministic "the sender is in the middle of a message" for the crash test.
        self.block_after: int | None = None
        self.blocked = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.block_after is not None and len(self.received) >= self.block_after:
            self.blocked.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            return "451 4.3.0 Not accepted"
        if self.refuse_data_with:
            return self.refuse_data_with
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 Accepted"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None

    @property
    def settings(self) -> Settings:
        return Settings(
            smtp_host="127.0.0.1", smtp_port=self.port, smtp_from=f"Khumkrong คุ้มครอง <{SENDER}>",
            smtp_starttls=False, smtp_username=None, smtp_password=None, smtp_timeout_seconds=5,
        )

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.handler.release.set()
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """Not listening until the test calls start(): some tests need the server down first."""
    server = SmtpServer()
    yield server
    server.stop()


def add_person(
    session: Session, username: str, *, email_address: str | None, role: str = "case_worker",
    agency: str | None = "spm_tak", active: bool = True,
) -> User:
    user = User(
        username=username, display_name=f"คุณ {username}", email=email_address, role_code=role,
        agency_code=agency, active=active, created_at=START,
    )
    session.add(user)
    session.flush()
    return user


def add_protocol_version(session: Session) -> ProtocolVersion:
    version = ProtocolVersion(
        key="notify_test", version=1, name="notify test", process_id="p", bpmn_text="<x/>",
        content_hash="0" * 64, spec_json="{}", tasks_json="{}", published=True, published_at=START,
        created_at=START,
    )
    session.add(version)
    session.flush()
    return version


def add_case(session: Session, version: ProtocolVersion, reference: str, *, state_json: str = "{}", status: str = "active") -> Case:
    case = Case(
        reference=reference, protocol_version_id=version.id, status=status, state_json=state_json,
        created_at=START, updated_at=START,
    )
    session.add(case)
    session.flush()
    return case


def add_work_item(
    session: Session, case: Case, *, label: str, due_at: datetime | None, assignee: User | None,
    state: str = "open", agency: str = "spm_tak",
) -> WorkItem:
    item = WorkItem(
        case_id=case.id, task_id=str(uuid.uuid4()), task_name=f"task_{case.id}", label=label,
        agency_code=agency, assignee_id=assignee.id if assignee else None, state=state,
        created_at=START, due_at=due_at,
    )
    session.add(item)
    session.flush()
    return item

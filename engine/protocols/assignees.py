"""Named assignees (``camunda:assignee``, or an ``assignee`` property) checked against the people.

A protocol may hand a task straight to one person. That person must be able to work it: a
worker (or supervisor) of the agency whose lane holds the task, in the role the task asks for —
the same test a reassignment passes (:func:`engine.people.roles.may_work_seat`). Someone who is
known but may not work it is an error: the child's record would go to another agency. An
account that does not exist (or is disabled) is a warning: protocols are often written before
the accounts, and until then the runtime leaves the task in the agency's queue.

Lint can only ask when it has the user table, so the rules run on upload (the service passes a
lookup over its session) and not when a file is linted on its own.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people.actors import Actor
from engine.people.models import User
from engine.people.roles import may_work_seat
from engine.protocols.findings import Finding, Severity


@dataclass(frozen=True)
class Account:
    """What lint needs to know of a user: who they are as an actor, and whether they may sign in."""

    actor: Actor
    active: bool


AccountLookup = Callable[[str], "Account | None"]


class _AssignedTask(Protocol):
    @property
    def task_name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def agency_code(self) -> str | None: ...
    @property
    def candidate_role(self) -> str | None: ...
    @property
    def assignee(self) -> str | None: ...


def accounts_in(session: Session) -> AccountLookup:
    """Look accounts up by username in the user table of *session*."""

    def lookup(username: str) -> Account | None:
        user = session.scalar(select(User).where(User.username == username))
        return None if user is None else Account(Actor.of(user), bool(user.active))

    return lookup


def assignee_findings(user_tasks: Mapping[str, _AssignedTask], accounts: AccountLookup) -> list[Finding]:
    findings = []
    for task_id, task in user_tasks.items():
        if not task.assignee or task.agency_code is None:
            continue  # no assignee; or no agency, which lane-unknown-agency reports
        account = accounts(task.assignee)
        if account is None or not account.active:
            state, state_th = ("is disabled", "ถูกปิดใช้งาน") if account else ("is no user", "ไม่มีบัญชีผู้ใช้นี้")
            findings.append(Finding(
                "assignee-unknown", Severity.WARNING,
                f"user task '{task.label}' is assigned to '{task.assignee}', who {state}: until the "
                f"account exists and is active, the task goes to the queue of {task.agency_code} "
                "instead. Check the spelling, or create the account.",
                f"งาน '{task.label}' กำหนดผู้รับผิดชอบเป็น '{task.assignee}' ซึ่ง{state_th} "
                f"งานจะเข้าคิวของหน่วยงาน {task.agency_code} แทนจนกว่าจะมีบัญชีที่ใช้งานได้ "
                "ให้ตรวจการสะกด หรือ สร้างบัญชีผู้ใช้",
                task_id,
            ))
            continue
        actor = account.actor
        if not actor.is_system and may_work_seat(
            role=actor.role, agency_code=actor.agency_code, seat_agency=task.agency_code, seat_role=task.candidate_role
        ):
            continue
        wanted = f"{task.agency_code}/{task.candidate_role}" if task.candidate_role else task.agency_code
        findings.append(Finding(
            "assignee-not-in-agency", Severity.ERROR,
            f"user task '{task.label}' (lane {wanted}) is assigned to '{actor.username}' "
            f"({actor.role}, {actor.agency_code or 'no agency'}), who may not work tasks of "
            f"{wanted}: the task would sit with someone who cannot act on it, and another agency "
            f"would be shown the child's record. Assign a worker of {task.agency_code}, or leave the "
            "assignee out so that the agency's queue gets the task.",
            f"งาน '{task.label}' (ช่อง {wanted}) กำหนดผู้รับผิดชอบเป็น '{actor.username}' "
            f"({actor.role}, {actor.agency_code or 'ไม่สังกัดหน่วยงาน'}) ซึ่งไม่มีสิทธิ์ทำงานของ {wanted} "
            "งานจะค้างอยู่กับผู้ที่ทำไม่ได้ และหน่วยงานอื่นจะเห็นข้อมูลของเด็ก "
            f"ให้กำหนดผู้ปฏิบัติงานของ {task.agency_code} หรือ ไม่ต้องกำหนดเพื่อให้งานเข้าคิวของหน่วยงาน",
            task_id,
        ))
    return findings


__all__ = ["Account", "AccountLookup", "accounts_in", "assignee_findings"]

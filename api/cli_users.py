"""``khumkrong users``: accounts for the people who sign in.

Passwords are read from a hidden prompt or, for scripts, from standard input
(``--password-stdin``); never from an argument, which would leave them in shell history and in
the process list.
"""
from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Optional

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SystemClock
from engine.errors import KhumkrongError
from engine.network.definition import Network
from engine.people import accounts
from engine.people.actors import Actor
from engine.people.auth import locked_until, unlock
from engine.people.models import User
from engine.people.roles import SYSTEM_ROLE
from engine.settings import get_settings
from engine.wiring import Wiring

users_app = typer.Typer(help="User accounts: add, set passwords, disable, unlock, list.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

DatabaseUrl = Annotated[Optional[str], typer.Option("--database-url", help="SQLAlchemy URL; default KHUMKRONG_DATABASE_URL or ./var/khumkrong.db")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")]


def _cli_actor() -> Actor:
    # The audit trail names the operating-system account that ran the command.
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = "unknown"
    return Actor(user_id=None, username=f"cli:{who}"[:64], role=SYSTEM_ROLE, agency_code=None)


@contextmanager
def _session_and_network(database_url: str | None) -> Iterator[tuple[Session, Network]]:
    settings = get_settings()
    settings = settings.model_copy(update={"database_url": database_url}) if database_url else settings
    try:
        wiring = Wiring.from_settings(settings)
    except KhumkrongError as exc:
        raise _fail(exc) from exc
    with wiring, wiring.session_factory() as session:
        yield session, wiring.network


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    with _session_and_network(database_url) as (session, _network):
        yield session


def _seat(user: User) -> str:
    """The agency, and the unit inside it if the person has one: ``spm_tak/school_takpit``."""
    return f"{user.agency_code}/{user.unit_code}" if user.unit_code else user.agency_code or "-"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _fail(exc: KhumkrongError) -> typer.Exit:
    errors.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(1)


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. worker.spm_tak")],
    role: Annotated[str, typer.Option(help="case_worker, supervisor, policy, committee or admin")],
    agency: Annotated[Optional[str], typer.Option(help="Agency code (case workers and supervisors only)")] = None,
    unit: Annotated[Optional[str], typer.Option(help="Unit code of the agency, e.g. a school: the person then sees only that unit's cases")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Display name")] = None,
    email: Annotated[Optional[str], typer.Option(help="Where notifications go")] = None,
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a person."""
    password = _read_password(password_stdin)
    with _session_and_network(database_url) as (session, network):
        try:
            user = accounts.add_user(session, username=username, role=role, agency=agency, password=password,
                                     display_name=name, email=email, actor=_cli_actor(), clock=SystemClock(),
                                     unit=unit, network=network)
        except KhumkrongError as exc:
            raise _fail(exc) from exc
    console.print(f"added {user.username} ({user.role_code}{', ' + _seat(user) if user.agency_code else ''})")


@users_app.command("passwd")
def passwd(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a person's password (ends their sessions and revokes their tokens)."""
    password = _read_password(password_stdin)
    with _session(database_url) as session:
        try:
            accounts.set_password(session, username=username, password=password, actor=_cli_actor(), clock=SystemClock())
        except KhumkrongError as exc:
            raise _fail(exc) from exc
    console.print(f"password of {username} set; their sessions and tokens were ended")


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="Sign-in name")], database_url: DatabaseUrl = None) -> None:
    """Disable a person: they can no longer sign in, and their sessions and tokens end."""
    with _session(database_url) as session:
        try:
            accounts.disable_user(session, username=username, actor=_cli_actor(), clock=SystemClock())
        except KhumkrongError as exc:
            raise _fail(exc) from exc
    console.print(f"{username} disabled")


@users_app.command("unlock")
def unlock_command(username: Annotated[str, typer.Argument(help="Sign-in name")], database_url: DatabaseUrl = None) -> None:
    """Lift a lockout after too many failed logins."""
    with _session(database_url) as session:
        unlock(session, username=username, actor=_cli_actor(), clock=SystemClock())
    console.print(f"{username} unlocked")


@users_app.command("list")
def list_users(database_url: DatabaseUrl = None) -> None:
    """Every account, with its role, agency and state."""
    clock = SystemClock()
    with _session(database_url) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            locked = locked_until(session, user.username, now=clock.now())
            state = "disabled" if not user.active else (f"locked until {locked:%H:%M} UTC" if locked else "active")
            console.print(f"{user.username}\t{user.role_code}\t{_seat(user)}\t{state}")

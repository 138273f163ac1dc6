"""``khumkrong audit …`` and ``khumkrong retention …``: the PDPA duties an operator runs.

``audit reads`` lists every read of one child's data in a period (who, when, from where), for
a breach notification to the PDPC office (s.37(4)); ``retention run`` anonymises the closed cases
past their retention period (s.37(3)), or with ``--dry-run`` lists what would go.

Exit codes: 0 done; 1 the command ran and something failed; 2 unusable input.
"""
from __future__ import annotations

import getpass
import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.clock import THAI_TIME
from engine.errors import KhumkrongError
from engine.people.actors import Actor
from engine.people.roles import SYSTEM_ROLE
from engine.settings import get_settings
from engine.wiring import Wiring

audit_app = typer.Typer(help="The audit trail: reads of a child's data.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention: anonymise closed cases past their period.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

DatabaseUrl = Annotated[Optional[str], typer.Option("--database-url", help="SQLAlchemy URL; default KHUMKRONG_DATABASE_URL or ./var/khumkrong.db")]


def _fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _wiring(database_url: str | None) -> Wiring:
    settings = get_settings()
    settings = settings.model_copy(update={"database_url": database_url}) if database_url else settings
    try:
        return Wiring.from_settings(settings)
    except KhumkrongError as exc:
        _fail(exc.message)


def _operator() -> Actor:
    """The operating-system account that ran the command, as the audit trail names it."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = "unknown"
    return Actor(user_id=None, username=f"cli:{who}"[:64], role=SYSTEM_ROLE, agency_code=None)


def _moment(text: str | None, option: str, *, end_of_day: bool) -> datetime | None:
    """An ISO date (a whole day in Tak time; ``--to`` includes it) or a date-time with an offset."""
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), THAI_TIME)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        _fail(f"{option} {text!r} is neither a date (2026-12-01) nor a date-time with an offset (2026-12-01T09:00:00+07:00)")
    if moment.tzinfo is None:
        _fail(f"{option} {text!r} has no UTC offset: write 2026-12-01T09:00:00+07:00")
    return moment


@audit_app.command("reads")
def audit_reads(
    child: Annotated[int, typer.Option("--child", help="The child record's id.", min=1)],
    since: Annotated[Optional[str], typer.Option("--from", help="From this date (Tak time) or date-time; default the beginning.")] = None,
    until: Annotated[Optional[str], typer.Option("--to", help="Up to and including this date, or before this date-time; default now.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per read) instead of a table.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Every read of a child's data in a period: who, when, from where (PDPA s.37(4))."""
    from engine.privacy.access_log import list_reads_of_child

    start, end = _moment(since, "--from", end_of_day=False), _moment(until, "--to", end_of_day=True)
    if start is not None and end is not None and end <= start:
        _fail("--to must come after --from")
    with _wiring(database_url) as wiring, wiring.session_factory() as session:
        try:
            reads = list_reads_of_child(session=session, child_id=child, since=start, until=end, actor=_operator(),
                                        now=wiring.clock.now())
        except KhumkrongError as exc:
            _fail(exc.message)
    if as_json:
        typer.echo(json.dumps([read.as_dict() for read in reads], ensure_ascii=False, indent=2))
        return
    table = Table("when (Tak time)", "who", "role", "agency", "from", "what", "case")
    for read in reads:
        table.add_row(
            f"{read.occurred_at.astimezone(THAI_TIME):%Y-%m-%d %H:%M:%S}", read.actor_username, read.actor_role,
            read.actor_agency or "-", read.client_address or "-", read.action, read.case_reference or "-",
        )
    console.print(table)
    console.print(f"{len(reads)} read(s) of child {child}'s data")

"""``khumkrong audit …`` and ``khumkrong retention …``: the PDPA duties an operator runs.

``audit reads`` lists every read of one child's data in a period (who, when, from where), for
a breach notification to the PDPC office (s.37(4)); ``retention run`` anonymises the closed cases
past their retention period (s.37(3)), or with ``--dry-run`` lists what would go.

Exit codes: 0 done; 1 the command ran and something failed; 2 unusable input.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.cli_authoring import DatabaseUrl, _fail, _wiring
from api.cli_users import _cli_actor as _operator
from engine.clock import THAI_TIME
from engine.errors import KhumkrongError

audit_app = typer.Typer(help="The audit trail: reads of a child's data.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention: anonymise closed cases past their period.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


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


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be anonymised; change nothing.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", help="At most this many cases (default: all that are due).", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Anonymise the closed cases past their retention period (network.toml [retention]); the
    worker does this in batches on its own, this runs it now or shows what is due."""
    from engine.privacy.retention import run_retention, unknown_protocols

    with _wiring(database_url) as wiring, wiring.session_factory() as session:
        unknown = unknown_protocols(session=session, network=wiring.network)
        try:
            report = run_retention(session=session, network=wiring.network, now=wiring.clock.now(), actor=_operator(),
                                   dry_run=dry_run, limit=limit)
        except KhumkrongError as exc:
            _fail(exc.message, 1)
    for key in unknown:
        errors.print(f"[yellow]warning:[/yellow] {escape('[retention]')} names {key!r}, which is no stored protocol; "
                     "its cases keep the default period: check the spelling", highlight=False, soft_wrap=True)
    done = set(report.anonymised_cases)
    if as_json:
        typer.echo(json.dumps({
            "dry_run": dry_run,
            "cases": [{"reference": d.reference, "protocol": d.protocol_key, "status": d.status,
                       "closed_at": d.closed_at.isoformat(), "retention": d.period, "due_at": d.due_at.isoformat(),
                       "anonymised": d.reference in done} for d in report.due],
            "children": report.children, "unknown_protocols": unknown,
        }, ensure_ascii=False, indent=2))
        return
    table = Table("case", "protocol", "status", "closed", "retention", "due since", "result")
    for due in report.due:
        result = "would go" if dry_run else ("anonymised" if due.reference in done else "skipped (changed or taken)")
        table.add_row(due.reference, due.protocol_key, due.status, f"{due.closed_at.astimezone(THAI_TIME):%Y-%m-%d}",
                      due.period, f"{due.due_at.astimezone(THAI_TIME):%Y-%m-%d}", result)
    console.print(table)
    children = ", ".join(str(c) for c in report.children) or "none"
    if dry_run:
        console.print(f"{len(report.due)} case(s) would be anonymised; child records with them: {children}")
    else:
        console.print(f"anonymised {len(done)} of {len(report.due)} due case(s); child records anonymised: {children}")
    if not dry_run and len(done) < len(report.due):
        raise typer.Exit(1)

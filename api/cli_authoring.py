"""``khumkrong protocols …`` and ``khumkrong cases …``: the protocol-authoring commands.

Exit codes: 0 when all is well; 1 when the command ran and found a problem (lint errors, a
refused protocol or scenario step, cases that could not be migrated); 2 when the input itself is
unusable (missing file, bad scenario, unknown version).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from engine.errors import KhumkrongError, ProtocolInvalid
from engine.network.definition import Network
from engine.protocols.findings import Finding
from engine.settings import Settings, get_settings
from engine.wiring import Wiring

protocols_app = typer.Typer(help="Protocols: lint, rehearse, diff.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases: move running cases between protocol versions.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

DatabaseUrl = Annotated[Optional[str], typer.Option("--database-url", help="SQLAlchemy URL; default KHUMKRONG_DATABASE_URL or ./var/khumkrong.db")]


def _fail(message: str, code: int = 2) -> NoReturn:
    # Not wrapped: error lines end up in logs and scripts, whole.
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    return settings.model_copy(update={"database_url": database_url}) if database_url else settings


def _wiring(database_url: str | None = None) -> Wiring:
    """The command's wiring: its network and calendar, and its database if it opens one."""
    try:
        return Wiring.from_settings(_settings(database_url))
    except KhumkrongError as exc:
        _fail(exc.message)


def _network() -> Network:
    return _wiring().network


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror or exc}")


def _print_findings(findings: list[Finding], *, file: str | None = None) -> None:
    table = Table(*(["file"] if file else []), "severity", "code", "element", "message")
    for finding in findings:
        table.add_row(
            *([file] if file else []), finding.severity.value, finding.code, finding.element_id or "",
            f"{finding.message_th}\n{finding.message_en}",
        )
    errors.print(table)


# -- protocols lint -----------------------------------------------------------------------------


@protocols_app.command("lint")
def protocols_lint(
    files: Annotated[list[Path], typer.Argument(help="BPMN files to check.", exists=False)],
    forms: Annotated[Optional[Path], typer.Option("--forms", help="Folder of JSON Schema forms; checks every user task's form and the fields gateways read.")] = None,
    catalogue: Annotated[Optional[Path], typer.Option("--catalogue", help="Folder of the other protocols (*.bpmn); a message none of them catches is then an error.")] = None,
) -> None:
    """Parse and lint protocol files; exit 1 if any has an error."""
    from engine.forms.catalogue import load_forms
    from engine.protocols.lint import messages_caught
    from engine.protocols.loading import ProtocolRejected, load_bpmn
    from engine.protocols.parsing import parse_protocol

    network = _network()
    form_catalogue = None
    if forms is not None:
        try:
            form_catalogue = load_forms(forms)
        except KhumkrongError as exc:
            _fail(exc.message)
    known_messages = None
    if catalogue is not None:
        if not catalogue.is_dir():
            _fail(f"protocol catalogue {catalogue} is not a folder")
        known_messages = set()
        for other in sorted(catalogue.glob("*.bpmn")):
            try:
                known_messages |= messages_caught(load_bpmn(_read(other, "protocol"), filename=other.name))
            except ProtocolRejected as exc:
                _fail(f"catalogue protocol {other.name} cannot be read: {exc.message}")

    failed = False
    table = Table("file", "severity", "code", "element", "message")
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            table.add_row(str(path), "error", "unreadable", "", str(exc))
            failed = True
            continue
        try:
            findings = parse_protocol(
                data, network=network, filename=path.name, forms=form_catalogue, known_messages=known_messages
            ).findings
        except ProtocolInvalid as exc:
            findings, failed = exc.findings, True
        for finding in findings:
            table.add_row(str(path), finding.severity.value, finding.code, finding.element_id or "", f"{finding.message_th}\n{finding.message_en}")
        if not findings:
            table.add_row(str(path), "ok", "", "", "ไม่พบปัญหา / no findings")
    console.print(table)
    raise typer.Exit(1 if failed else 0)


# -- protocols rehearse -------------------------------------------------------------------------


@protocols_app.command("rehearse")
def protocols_rehearse(
    file: Annotated[Path, typer.Argument(help="The protocol (BPMN) to rehearse.")],
    scenario: Annotated[Path, typer.Option("--scenario", help="Scenario file (.toml or .json): start data and steps.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON instead of a table.")] = False,
    forms: Annotated[Optional[Path], typer.Option("--forms", help="Forms folder; every completion is checked against it.")] = None,
) -> None:
    """Run the protocol on a simulated clock, in a throw-away database, and print its timeline."""
    from engine.rehearsal import ScenarioFailed, load_scenario, run_scenario

    bpmn = _read(file, "protocol")
    try:
        steps = load_scenario(scenario)
    except KhumkrongError as exc:
        _fail(exc.message)
    network = _network()
    try:
        timeline = run_scenario(bpmn, network, steps, forms_dir=forms)
    except ProtocolInvalid as exc:
        _print_findings(exc.findings, file=str(file))
        _fail(f"{file} cannot be rehearsed: it does not pass lint", code=1)
    except ScenarioFailed as exc:
        if exc.timeline is not None:
            console.print(exc.timeline.as_json() if as_json else exc.timeline.as_table())
        _fail(exc.message, code=1)
    if as_json:
        console.print_json(timeline.as_json())
    else:
        console.print(timeline.as_table())


# -- protocols diff -----------------------------------------------------------------------------


@protocols_app.command("diff")
def protocols_diff(
    old: Annotated[str, typer.Argument(help="Old protocol: a BPMN file, or with --key a version number.")],
    new: Annotated[str, typer.Argument(help="New protocol: a BPMN file, or with --key a version number.")],
    key: Annotated[Optional[str], typer.Option("--key", help="Compare stored versions of this protocol instead of files.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON (for the editor).")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show what changed between two versions of a protocol."""
    from engine.protocols.diff import diff_protocols

    with _wiring(database_url) as wiring:
        if key is None:
            old_bpmn, new_bpmn = _read(Path(old), "protocol"), _read(Path(new), "protocol")
        else:
            old_bpmn, new_bpmn = _stored_versions(key, old, new, wiring)
    network = wiring.network
    try:
        difference = diff_protocols(old_bpmn, new_bpmn, network=network)
    except ProtocolInvalid as exc:
        _fail(exc.message)
    if as_json:
        console.print_json(difference.as_json())
    else:
        console.print(difference.as_text(), markup=False, highlight=False)


def _version_number(text: str) -> int:
    try:
        number = int(text.lstrip("v"))
    except ValueError:
        _fail(f"{text!r} is not a version number")
    if number < 1:
        _fail(f"{text!r} is not a version number")
    return number


def _stored_versions(key: str, old: str, new: str, wiring: Wiring) -> tuple[str, str]:
    from engine.protocols.service import get_version

    numbers = _version_number(old), _version_number(new)
    try:
        with wiring.session_factory() as session:
            old_text, new_text = (get_version(session=session, key=key, version=n).bpmn_text for n in numbers)
    except KhumkrongError as exc:
        _fail(exc.message)
    except Exception as exc:  # noqa: BLE001 - an unprepared database is bad input here
        _fail(f"cannot read protocol versions from the database: {exc.__class__.__name__}")
    return old_text, new_text


# -- cases migrate ------------------------------------------------------------------------------


@cases_app.command("migrate")
def cases_migrate(
    key: Annotated[str, typer.Argument(help="Protocol key.")],
    to: Annotated[int, typer.Option("--to", help="Published version to move the cases to.")],
    case: Annotated[Optional[list[int]], typer.Option("--case", help="Only this case id (repeatable); default every active case.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Username the audit records the move under; default 'system'.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Move running cases to version N; refuse, with the reason, those whose live tasks it lacks."""
    from engine.cases.migration import migrate_cases
    from engine.people.actors import SYSTEM, Actor
    from engine.people.models import User

    with _wiring(database_url) as wiring, wiring.session_factory() as session:
        actor = SYSTEM
        if by is not None:
            user = session.scalar(select(User).where(User.username == by, User.active.is_(True)))
            if user is None:
                _fail(f"no active user {by!r}")
            actor = Actor.of(user)
        try:
            report = migrate_cases(
                session=session, protocol_key=key, to_version=to, clock=wiring.clock, actor=actor,
                case_ids=case,
            )
        except KhumkrongError as exc:
            _fail(exc.message)

    table = Table("case", "result", "reason")
    for case_id in report.moved:
        table.add_row(str(case_id), "moved", "")
    for case_id, reason in report.refused:
        table.add_row(str(case_id), "refused", reason)
    console.print(table)
    console.print(f"moved {len(report.moved)}, refused {len(report.refused)} (to {key} version {to})")
    raise typer.Exit(1 if report.refused else 0)


# -- protocols layout ---------------------------------------------------------------------------


@protocols_app.command("layout")
def protocols_layout(
    files: Annotated[list[Path], typer.Argument(help="BPMN files to lay out.")],
    write: Annotated[bool, typer.Option("--write", help="Rewrite the files in place instead of printing them.")] = False,
) -> None:
    """Add a computed diagram (BPMN DI: pool, lanes, shapes, edges) so modellers can draw the protocol."""
    from engine.protocols.layout import add_diagram
    from engine.protocols.loading import ProtocolRejected

    failed = False
    for path in files:
        try:
            # Decoding is load_bpmn's job (it refuses non-UTF-8 with a clear finding): pass bytes.
            laid_out = add_diagram(_read(path, "protocol"), filename=path.name)
        except ProtocolRejected as exc:
            errors.print(f"[red]error:[/red] {path}: {exc.message}", markup=True, highlight=False)
            failed = True
            continue
        if write:
            path.write_text(laid_out, encoding="utf-8")
            errors.print(f"laid out {path}", highlight=False)
        else:
            # Plain stdout: rich would wrap long lines and read markup in the XML.
            typer.echo(laid_out, nl=False)
    raise typer.Exit(1 if failed else 0)

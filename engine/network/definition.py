"""The network definition file (``protocols/network.toml``): loaded, validated, queried.

The file is data: agencies, roles, the case reference prefix, and who hears about late work.
Protocol lanes name agency codes from it (optionally narrowed to a role: ``police/investigator``).

Escalations go to *targets*: a role, either in a named agency, in the agency whose work is late
(``agency = "@owner"``), or province-wide (no agency: the provincial committee, say). Each agency
has a *chain* of targets — level 1 first — and a period after which an unacknowledged
escalation climbs to the next target. BPMN escalation codes map to a target.

``[limits]`` bounds what a published protocol may ask of the engine (lint refuses more): how
often a repeating timer may fire and how many times, how big a protocol and how wide its
parallel work may be; and at run time, how much work one command may make the engine do.
Every key is optional; the defaults below suit the Tak library.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from engine.calendar import BusinessCalendar
from engine.errors import KhumkrongError
from engine.workflow.timers import InvalidTimerText, parse_duration, validate_timer_text

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class NetworkInvalid(KhumkrongError):
    code = "network-invalid"


OWNER = "@owner"


@dataclass(frozen=True)
class AgencyDefinition:
    code: str
    name_th: str
    name_en: str
    predecessor: str | None = None
    notes: str | None = None
    # None: the network's default chain and climb period apply.
    escalation_chain: tuple[str, ...] | None = None
    climb_after: str | None = None
    active: bool = True


@dataclass(frozen=True)
class UnitDefinition:
    """A reporting unit inside an agency: a school under the education office."""

    code: str
    agency: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class Committee:
    chair_agency: str
    secretary_agency: str
    member_agencies: tuple[str, ...]
    name_th: str
    name_en: str


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    agency: str | None
    display_name: str
    # A unit of the agency (a school) the account works at; it then sees only that unit's cases.
    unit: str | None = None


@dataclass(frozen=True)
class EscalationTarget:
    code: str
    role: str
    agency: str | None  # an agency code, OWNER, or None for province-wide
    name_th: str
    name_en: str


@dataclass(frozen=True)
class EscalationCode:
    code: str
    target: str
    name_th: str
    name_en: str


@dataclass(frozen=True)
class ResolvedTarget:
    code: str
    agency_code: str | None
    role: str


@dataclass(frozen=True)
class RoleDefinition:
    code: str
    name_th: str
    name_en: str
    bound_to_agency: bool = True


@dataclass(frozen=True)
class LaneAssignment:
    agency_code: str
    role: str | None


@dataclass(frozen=True)
class ProtocolLimits:
    """What lint lets one protocol ask of the engine (``[limits]`` in ``network.toml``)."""

    # A repeating timer fires at most this often ("R/PT0S" would spin the engine)...
    min_cycle_interval: str = "PT1H"
    # ...and at most this many times; an unbounded "R/..." is refused.
    max_cycle_repetitions: int = 365
    # Flow nodes (tasks, events, gateways, subprocesses, with what is inside subprocesses):
    # each is a SpiffWorkflow task spec, and every case of the protocol carries them all.
    max_flow_nodes: int = 300
    # Ways out of one parallel or inclusive split (an activity with several outgoing flows too).
    max_parallel_branches: int = 20
    # Tokens one case may hold at once: nested splits multiply, multi-instances multiply.
    max_concurrent_tokens: int = 50
    # Instances of one multi-instance activity.
    max_multi_instance: int = 50
    # What one command (or the worker, for one case in one pass) may make the engine do, for
    # protocols published before lint knew better: automatic steps, timer firings, seconds.
    # A case that needs more goes into ``error`` (engine.workflow.budget).
    max_engine_steps: int = 2000
    max_timer_firings: int = 500
    max_run_seconds: int = 10


@dataclass(frozen=True)
class RetentionSchedule:
    """How long a closed case keeps the child's names, identifiers and free text (PDPA s.37(3)),
    per protocol key, from the case's closure (``[retention]`` in ``network.toml``). No period,
    no anonymising: a network that sets none keeps everything."""

    default: str | None = None
    by_protocol: dict[str, str] = field(default_factory=dict)

    def period_for(self, protocol_key: str) -> str | None:
        return self.by_protocol.get(protocol_key, self.default)


# A period shorter than this is a slip (P10D for P10Y), and anonymising cannot be undone.
MIN_RETENTION_DAYS = 365
PROTOCOL_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


_LIMIT_COUNTS = tuple(name for name in ProtocolLimits.__dataclass_fields__ if name.startswith("max_"))


@dataclass(frozen=True)
class Network:
    province_th: str
    province_en: str
    reference_prefix: str
    agencies: dict[str, AgencyDefinition] = field(default_factory=dict)
    roles: dict[str, RoleDefinition] = field(default_factory=dict)
    escalation_targets: dict[str, EscalationTarget] = field(default_factory=dict)
    escalation_codes: dict[str, EscalationCode] = field(default_factory=dict)
    default_chain: tuple[str, ...] = ()
    default_climb_after: str = "P1D"
    units: dict[str, UnitDefinition] = field(default_factory=dict)
    committee: Committee | None = None
    demo_accounts: tuple[DemoAccount, ...] = ()
    demo_password_env: str = "KHUMKRONG_DEMO_PASSWORD"
    demo_default_password: str = "demo"
    limits: ProtocolLimits = field(default_factory=ProtocolLimits)
    retention: RetentionSchedule = field(default_factory=RetentionSchedule)
    # The days its offices work (protocols/calendar.toml): deadlines in business days count in it.
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)

    @property
    def active_agencies(self) -> dict[str, AgencyDefinition]:
        return {code: agency for code, agency in self.agencies.items() if agency.active}

    def escalation_chain(self, agency_code: str | None) -> tuple[str, ...]:
        agency = self.agencies.get(agency_code or "")
        return (agency.escalation_chain if agency and agency.escalation_chain else None) or self.default_chain

    def climb_after(self, agency_code: str | None, *, at: datetime) -> timedelta:
        """How long an escalation of this agency's work may wait unacknowledged, from ``at``."""
        agency = self.agencies.get(agency_code or "")
        text = (agency.climb_after if agency else None) or self.default_climb_after
        return parse_duration(text, start=at, field="climb_after")

    def resolve_target(self, target_code: str, owner_agency: str | None) -> ResolvedTarget:
        target = self.escalation_targets[target_code]
        agency = owner_agency if target.agency == OWNER else target.agency
        return ResolvedTarget(target.code, agency, target.role)

    def assign_lane(self, *candidates: str | None) -> LaneAssignment | None:
        """The agency (and role) a lane stands for, from its name or its id, whichever matches."""
        for candidate in candidates:
            if not candidate:
                continue
            agency_code, _, role = candidate.strip().partition("/")
            if agency_code in self.active_agencies and (not role or role in self.roles):
                return LaneAssignment(agency_code, role or None)
        return None


def _require_text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise NetworkInvalid(f"{where}: '{key}' must be non-empty text", field=f"{where}.{key}")
    return value.strip()


def _require_code(table: dict[str, Any], where: str) -> str:
    code = _require_text(table, "code", where)
    if not CODE_PATTERN.match(code):
        raise NetworkInvalid(
            f"{where}: code {code!r} must be lower-case letters, digits and '_' (2–32), "
            "starting with a letter",
            field=f"{where}.code",
        )
    return code


def parse_network(document: dict[str, Any]) -> Network:
    head = document.get("network")
    if not isinstance(head, dict):
        raise NetworkInvalid("the [network] table is missing", field="network")
    prefix = _require_text(head, "reference_prefix", "network")
    if not re.fullmatch(r"[A-Z]{2,8}", prefix):
        raise NetworkInvalid(
            f"network: reference_prefix {prefix!r} must be 2–8 capital letters",
            field="network.reference_prefix",
        )

    roles: dict[str, RoleDefinition] = {}
    for index, table in enumerate(document.get("roles", [])):
        where = f"roles[{index}]"
        code = _require_code(table, where)
        if code in roles:
            raise NetworkInvalid(f"{where}: role {code!r} is defined twice", field=f"{where}.code")
        roles[code] = RoleDefinition(
            code,
            _require_text(table, "name_th", where),
            _require_text(table, "name_en", where),
            bool(table.get("bound_to_agency", True)),
        )

    agencies: dict[str, AgencyDefinition] = {}
    agency_tables: dict[str, dict[str, Any]] = {}
    for index, table in enumerate(document.get("agencies", [])):
        where = f"agencies[{index}]"
        code = _require_code(table, where)
        if code in agencies:
            raise NetworkInvalid(f"{where}: agency {code!r} is defined twice", field=f"{where}.code")
        agencies[code] = AgencyDefinition(
            code,
            _require_text(table, "name_th", where),
            _require_text(table, "name_en", where),
            table.get("predecessor"),
            table.get("notes"),
            active=bool(table.get("active", True)),
        )
        agency_tables[code] = table
    for agency in agencies.values():
        if agency.predecessor and agency.predecessor not in agencies:
            raise NetworkInvalid(
                f"agency {agency.code!r}: predecessor {agency.predecessor!r} is not an agency",
                field=f"agencies.{agency.code}.predecessor",
            )
    if not agencies:
        raise NetworkInvalid("the network defines no agencies", field="agencies")

    targets: dict[str, EscalationTarget] = {}
    for index, table in enumerate(document.get("escalation_targets", [])):
        where = f"escalation_targets[{index}]"
        code = _require_code(table, where)
        role = _require_text(table, "role", where)
        agency = table.get("agency")
        if role not in roles:
            raise NetworkInvalid(f"{where}: role {role!r} is not a role of the network", field=f"{where}.role")
        if agency is not None and agency != OWNER and agency not in agencies:
            raise NetworkInvalid(
                f"{where}: agency {agency!r} is neither an agency nor {OWNER!r}", field=f"{where}.agency"
            )
        if code in targets:
            raise NetworkInvalid(f"{where}: target {code!r} is defined twice", field=f"{where}.code")
        targets[code] = EscalationTarget(
            code, role, agency, _require_text(table, "name_th", where), _require_text(table, "name_en", where)
        )

    escalation = document.get("escalation", {})
    default_chain = _chain(escalation.get("chain", []), targets, "escalation.chain")
    default_climb = _duration(escalation.get("climb_after", "P1D"), "escalation.climb_after")
    if targets and not default_chain:
        raise NetworkInvalid("escalation: a default chain is required", field="escalation.chain")

    for code, agency in list(agencies.items()):
        table = agency_tables[code]
        where = f"agencies.{code}"
        chain = table.get("escalation_chain")
        climb = table.get("climb_after")
        if chain is not None or climb is not None:
            agencies[code] = AgencyDefinition(
                agency.code, agency.name_th, agency.name_en, agency.predecessor, agency.notes,
                _chain(chain, targets, f"{where}.escalation_chain") if chain is not None else None,
                _duration(climb, f"{where}.climb_after") if climb is not None else None,
                agency.active,
            )

    codes: dict[str, EscalationCode] = {}
    for index, table in enumerate(document.get("escalation_codes", [])):
        where = f"escalation_codes[{index}]"
        code = _require_code(table, where)
        target = _require_text(table, "target", where)
        if target not in targets:
            raise NetworkInvalid(f"{where}: target {target!r} is not an escalation target", field=f"{where}.target")
        if code in codes:
            raise NetworkInvalid(f"{where}: escalation code {code!r} is defined twice", field=f"{where}.code")
        codes[code] = EscalationCode(
            code, target, _require_text(table, "name_th", where), _require_text(table, "name_en", where)
        )

    units: dict[str, UnitDefinition] = {}
    for index, table in enumerate(document.get("units", [])):
        where = f"units[{index}]"
        code = _require_code(table, where)
        unit_agency = _require_text(table, "agency", where)
        if unit_agency not in agencies:
            raise NetworkInvalid(f"{where}: agency {unit_agency!r} is not an agency", field=f"{where}.agency")
        if code in units or code in agencies:
            raise NetworkInvalid(f"{where}: code {code!r} is already used", field=f"{where}.code")
        units[code] = UnitDefinition(code, unit_agency, _require_text(table, "name_th", where), _require_text(table, "name_en", where))

    committee = None
    if "committee" in document:
        table = document["committee"]
        for key in ("chair_agency", "secretary_agency"):
            if _require_text(table, key, "committee") not in agencies:
                raise NetworkInvalid(f"committee: {key} {table[key]!r} is not an agency", field=f"committee.{key}")
        members = tuple(table.get("member_agencies", []))
        for member in members:
            if member not in agencies:
                raise NetworkInvalid(f"committee: member {member!r} is not an agency", field="committee.member_agencies")
        committee = Committee(
            table["chair_agency"], table["secretary_agency"], members,
            _require_text(table, "name_th", "committee"), _require_text(table, "name_en", "committee"),
        )

    demo = document.get("demo", {})
    accounts: list[DemoAccount] = []
    for index, table in enumerate(demo.get("accounts", [])):
        where = f"demo.accounts[{index}]"
        role = _require_text(table, "role", where)
        if role not in roles:
            raise NetworkInvalid(f"{where}: role {role!r} is not a role", field=f"{where}.role")
        unit = table.get("unit")
        if unit is not None and (unit not in units or units[unit].agency != table.get("agency")):
            raise NetworkInvalid(f"{where}: unit {unit!r} is not a unit of agency {table.get('agency')!r}",
                                 field=f"{where}.unit")
        accounts.append(DemoAccount(_require_text(table, "username", where), role, table.get("agency"),
                                    _require_text(table, "display_name", where), unit))
    for name_prefix, role in demo.get("per_agency", {}).items():
        if role not in roles:
            raise NetworkInvalid(f"demo.per_agency: role {role!r} is not a role", field=f"demo.per_agency.{name_prefix}")
        for agency in agencies.values():
            if agency.active:
                username = f"{name_prefix}.{agency.code}"
                accounts.append(DemoAccount(username, role, agency.code, username))
    # An account per unit and role (worker.school_takpit): a school's staff, who see only its cases.
    for name_prefix, role in demo.get("per_unit", {}).items():
        if role not in roles:
            raise NetworkInvalid(f"demo.per_unit: role {role!r} is not a role", field=f"demo.per_unit.{name_prefix}")
        for unit_definition in units.values():
            if agencies[unit_definition.agency].active:
                username = f"{name_prefix}.{unit_definition.code}"
                accounts.append(DemoAccount(username, role, unit_definition.agency, username, unit_definition.code))

    return Network(
        province_th=_require_text(head, "province_th", "network"),
        province_en=_require_text(head, "province_en", "network"),
        reference_prefix=prefix,
        agencies=agencies,
        roles=roles,
        escalation_targets=targets,
        escalation_codes=codes,
        default_chain=default_chain,
        default_climb_after=default_climb,
        units=units,
        committee=committee,
        demo_accounts=tuple(accounts),
        demo_password_env=demo.get("password_env", "KHUMKRONG_DEMO_PASSWORD"),
        demo_default_password=demo.get("default_password", "demo"),
        limits=_limits(document.get("limits", {})),
        retention=_retention(document.get("retention", {})),
    )


def _limits(table: Any) -> ProtocolLimits:
    if not isinstance(table, dict):
        raise NetworkInvalid("[limits] must be a table", field="limits")
    unknown = sorted(set(table) - set(ProtocolLimits.__dataclass_fields__))
    if unknown:
        # A misspelt limit would silently fall back to its default.
        raise NetworkInvalid(f"limits: unknown key {unknown[0]!r}", field=f"limits.{unknown[0]}")
    values: dict[str, Any] = {}
    for name in _LIMIT_COUNTS:
        if name in table:
            value = table[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise NetworkInvalid(f"limits.{name} must be a whole number of at least 1", field=f"limits.{name}")
            values[name] = value
    if "min_cycle_interval" in table:
        values["min_cycle_interval"] = _duration(table["min_cycle_interval"], "limits.min_cycle_interval")
    return ProtocolLimits(**values)


def _retention(table: Any) -> RetentionSchedule:
    if not isinstance(table, dict):
        raise NetworkInvalid("[retention] must be a table", field="retention")
    periods: dict[str, str] = {}
    for key, value in table.items():
        where = f"retention.{key}"
        if key != "default" and not PROTOCOL_KEY.match(key):
            raise NetworkInvalid(f"{where}: {key!r} is neither 'default' nor a protocol key", field=where)
        period = _duration(value, where)
        # From a fixed day, so that months and years count the same whenever the file is read.
        span = parse_duration(period, start=datetime(2000, 1, 1, tzinfo=timezone.utc), field=where)
        if span < timedelta(days=MIN_RETENTION_DAYS):
            raise NetworkInvalid(
                f"{where}: {period} is shorter than a year; anonymising cannot be undone, so a period that short is "
                "taken for a slip (P10D for P10Y)", field=where,
            )
        periods[key] = period
    default = periods.pop("default", None)
    return RetentionSchedule(default, periods)


def _chain(value: Any, targets: dict[str, EscalationTarget], field_name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NetworkInvalid(f"{field_name} must be a list of escalation target codes", field=field_name)
    for code in value:
        if code not in targets:
            raise NetworkInvalid(f"{field_name}: {code!r} is not an escalation target", field=field_name)
    return tuple(value)


def _duration(value: Any, field_name: str) -> str:
    try:
        if not isinstance(value, str):
            raise InvalidTimerText(f"{value!r} is not text")
        validate_timer_text("duration", value)
    except InvalidTimerText as exc:
        raise NetworkInvalid(
            f"{field_name} must be an ISO 8601 duration such as 'P1D' or 'PT12H', not {value!r}", field=field_name
        ) from exc
    return value


def load_network(path: Path, *, calendar: BusinessCalendar | None = None) -> Network:
    """The network definition file at *path*, with the business calendar its offices keep (the
    public holidays alone when none is given)."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NetworkInvalid(f"network definition {path} not found", field="network_file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise NetworkInvalid(f"{path}: {exc}", field="network_file") from exc
    network = parse_network(document)
    return network if calendar is None else replace(network, calendar=calendar)

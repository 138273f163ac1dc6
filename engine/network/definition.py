"""The network definition file (``protocols/network.toml``): loaded, validated, queried.

The file is data: agencies, roles, the case reference prefix. Protocol lanes name agency codes
from it (optionally narrowed to a role: ``police/investigator``).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import KhumkrongError

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class NetworkInvalid(KhumkrongError):
    code = "network-invalid"


@dataclass(frozen=True)
class AgencyDefinition:
    code: str
    name_th: str
    name_en: str
    predecessor: str | None = None
    notes: str | None = None


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
class Network:
    province_th: str
    province_en: str
    reference_prefix: str
    agencies: dict[str, AgencyDefinition] = field(default_factory=dict)
    roles: dict[str, RoleDefinition] = field(default_factory=dict)

    def assign_lane(self, *candidates: str | None) -> LaneAssignment | None:
        """The agency (and role) a lane stands for, from its name or its id, whichever matches."""
        for candidate in candidates:
            if not candidate:
                continue
            agency_code, _, role = candidate.strip().partition("/")
            if agency_code in self.agencies and (not role or role in self.roles):
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
        )
    for agency in agencies.values():
        if agency.predecessor and agency.predecessor not in agencies:
            raise NetworkInvalid(
                f"agency {agency.code!r}: predecessor {agency.predecessor!r} is not an agency",
                field=f"agencies.{agency.code}.predecessor",
            )
    if not agencies:
        raise NetworkInvalid("the network defines no agencies", field="agencies")

    return Network(
        province_th=_require_text(head, "province_th", "network"),
        province_en=_require_text(head, "province_en", "network"),
        reference_prefix=prefix,
        agencies=agencies,
        roles=roles,
    )


def load_network(path: Path) -> Network:
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NetworkInvalid(f"network definition {path} not found", field="network_file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise NetworkInvalid(f"{path}: {exc}", field="network_file") from exc
    return parse_network(document)

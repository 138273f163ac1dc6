"""The network's names as people read them: agency, role and lane codes in the page's language."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.network.definition import Network


@dataclass(frozen=True)
class NetworkNames:
    network: Network
    language: str

    def _pick(self, thing: Any, code: str) -> str:
        if thing is None:
            return code
        return thing.name_th if self.language == "th" else thing.name_en

    def agency(self, code: str | None) -> str:
        if not code:
            return ""
        return self._pick(self.network.agencies.get(code), code)

    def role(self, code: str | None) -> str:
        if not code:
            return ""
        return self._pick(self.network.roles.get(code), code)

    def unit(self, code: str | None) -> str:
        """A reporting unit (a school) or an agency by its code; other text as it is."""
        if not code:
            return ""
        if code in self.network.units:
            return self._pick(self.network.units[code], code)
        return self.agency(code)

    def target(self, code: str | None) -> str:
        """Who an escalation goes to (the network's escalation targets)."""
        if not code:
            return ""
        return self._pick(self.network.escalation_targets.get(code), code)

    def lane(self, lane: str | None) -> str:
        """A lane names an agency, optionally narrowed to a role: ``police_tak/investigator``."""
        if not lane:
            return ""
        agency, _, role = lane.partition("/")
        if agency not in self.network.agencies:
            return lane
        return f"{self.agency(agency)} / {self.role(role)}" if role else self.agency(agency)

    def for_diagram(self) -> dict[str, Any]:
        """What the diagram scripts need to draw lane labels (sent as a JSON data block)."""
        return {
            "agencies": {code: self.agency(code) for code in self.network.agencies},
            "roles": {code: self.role(code) for code in self.network.roles},
        }

    def units(self) -> list[tuple[str, str]]:
        """Every reporting unit (a school), by its name in the language of the page."""
        return sorted(((code, self.unit(code)) for code in self.network.units), key=lambda pair: pair[1])

    def active_agencies(self) -> list[tuple[str, str]]:
        return sorted(
            ((code, self.agency(code)) for code, agency in self.network.agencies.items() if agency.active),
            key=lambda pair: pair[1],
        )

"""Rehearsing from the editor: a scenario written as TOML text, the forms as stored.

The rehearsal itself (``engine.protocols.rehearsal``) reads forms from a folder, as the command
line has them; the editor has them in the database. They are written to a throw-away folder for
the run, so the case is checked against the forms users will really be shown.
"""
from __future__ import annotations

import json
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidInput
from engine.network.definition import Network
from engine.protocols.forms import FormCatalogue
from engine.protocols.rehearsal import Timeline, parse_scenario, run_scenario

MAX_SCENARIO_CHARS = 200_000


@dataclass(frozen=True)
class LibraryScenario:
    name: str
    text: str


def library_scenarios(folder: Path, key: str) -> list[LibraryScenario]:
    """The scenarios kept beside the protocols for ``key``: files named after its number (``p1_…``)."""
    prefix = key.split("_", 1)[0] + "_"
    if not folder.is_dir():
        return []
    return [
        LibraryScenario(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob(f"{prefix}*.toml"))
    ]


def rehearse_text(bpmn: bytes | str, *, network: Network, scenario_text: str, forms: FormCatalogue) -> Timeline:
    """Play a scenario given as TOML text; raises InvalidInput, ProtocolInvalid or ScenarioFailed."""
    if len(scenario_text) > MAX_SCENARIO_CHARS:
        raise InvalidInput(f"a scenario may have at most {MAX_SCENARIO_CHARS:,} characters", field="scenario")
    try:
        document = tomllib.loads(scenario_text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the scenario is not valid TOML: {exc}", field="scenario") from exc
    scenario = parse_scenario(document)
    with tempfile.TemporaryDirectory(prefix="khumkrong-forms-") as folder:
        for name in forms:
            (Path(folder) / f"{name}.schema.json").write_text(
                json.dumps(forms.schemas[name], ensure_ascii=False), encoding="utf-8"
            )
        return run_scenario(bpmn, network, scenario, forms_dir=Path(folder))

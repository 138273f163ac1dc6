"""Fixtures for protocol scenarios: one fresh database per scenario, with every protocol stored
and published, the forms loaded, the network's demo people, and a simulated clock.

Which protocols and forms a scenario gets is itself a fixture (``bdd_protocol_files``,
``bdd_forms_folder`` …), so the library's self-test can run on the reference protocol while
``test_features.py`` runs the Tak library.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import re
import warnings
from collections.abc import Iterator
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.exceptions import StepDefinitionNotFoundError
from sqlalchemy.orm import Session

from engine.clock import SimulatedClock
from engine.errors import KhumkrongError, ProtocolInvalid
from engine.forms.catalogue import FormCatalogue, form_name, load_forms
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.models import User
from engine.protocols import service as protocol_service
from engine.protocols.findings import Severity
from engine.settings import PROJECT_ROOT
from tests.bdd import steps
from tests.bdd.steps import VOCABULARY, World

# The step definitions are fixtures that pytest-bdd put in the steps module; fixtures are only
# found in conftest modules and test modules, so bring them here.
globals().update({name: value for name, value in vars(steps).items() if name.startswith("pytestbdd_")})

PROTOCOLS_FOLDER = PROJECT_ROOT / "protocols"
FORMS_FOLDER = PROJECT_ROOT / "forms"
EMAIL_DOMAIN = "khumkrong.test"  # reserved for testing (RFC 2606): nothing is ever delivered


# -- what a scenario's world holds (overridden by the self-test) ---------------------------------


@pytest.fixture
def bdd_protocol_files() -> dict[str, Path]:
    """Protocol key -> BPMN file: every protocol of the library, keyed by its file name."""
    return {path.stem: path for path in sorted(PROTOCOLS_FOLDER.glob("*.bpmn"))}


@pytest.fixture
def bdd_protocol_aliases() -> dict[str, str]:
    """Extra names scenarios may use for protocols ("P1" needs none: it matches ``p1_…``)."""
    return {}


@pytest.fixture
def bdd_forms_folder() -> Path | None:
    """Forms stored in the database, so the engine checks completion data against them."""
    return FORMS_FOLDER


@pytest.fixture
def bdd_lint_forms() -> bool:
    """Whether protocols are stored with the forms catalogue (form rules of lint apply)."""
    return True


# -- caches across scenarios ----------------------------------------------------------------------

# Parsing a protocol (XSD check, SpiffWorkflow spec, lint) costs far more than a scenario's
# steps, and its result depends only on the file and the forms; each scenario still stores the
# protocol through store_draft into its own fresh database.
_PARSED: dict[tuple[str, str, str | None], Any] = {}
_FORM_CATALOGUES: dict[Path, FormCatalogue | KhumkrongError] = {}


def _form_catalogue(folder: Path) -> FormCatalogue | KhumkrongError:
    if folder not in _FORM_CATALOGUES:
        try:
            _FORM_CATALOGUES[folder] = load_forms(folder)
        except KhumkrongError as exc:
            _FORM_CATALOGUES[folder] = exc
    return _FORM_CATALOGUES[folder]


def _forms_digest(forms: FormCatalogue | None) -> str | None:
    if forms is None:
        return None
    text = json.dumps({name: forms.get(name) for name in forms}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def _cached_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    real_parse = protocol_service.parse_protocol

    def parse_once(data, *, network, filename="protocol.bpmn", forms=None, known_messages=None, accounts=None):
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        key = (hashlib.sha256(raw).hexdigest(), filename, _forms_digest(forms))
        # Assignees are checked against this test's own user table, so they are never cached.
        if known_messages is not None or (accounts is not None and b"assignee" in raw):
            return real_parse(
                data, network=network, filename=filename, forms=forms, known_messages=known_messages, accounts=accounts
            )
        if key not in _PARSED:
            try:
                _PARSED[key] = real_parse(data, network=network, filename=filename, forms=forms)
            except ProtocolInvalid as exc:
                _PARSED[key] = exc
        result = _PARSED[key]
        if isinstance(result, ProtocolInvalid):
            raise ProtocolInvalid(result.message, result.findings)
        return result

    monkeypatch.setattr(protocol_service, "parse_protocol", parse_once)


# -- the world ------------------------------------------------------------------------------------


def _add_people(session: Session, network: Network, clock: SimulatedClock) -> dict[str, Actor]:
    """The network's demo accounts: worker.<agency>, supervisor.<agency>, admin, policy, committee."""
    users = []
    for account in network.demo_accounts:
        user = User(
            username=account.username, display_name=account.display_name,
            email=f"{account.username}@{EMAIL_DOMAIN}", role_code=account.role, agency_code=account.agency,
            unit_code=account.unit, active=True, created_at=clock.now(),
        )
        session.add(user)
        users.append(user)
    session.commit()
    return {user.username: Actor.of(user) for user in users}


def _store_forms(session: Session, folder: Path, clock: SimulatedClock) -> dict[str, str]:
    """Put every form of the folder in the database; one broken form must not stop the rest."""
    from engine.forms.service import put_form

    problems: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            put_form(session, key=path.name, schema=json.loads(path.read_text(encoding="utf-8")), clock=clock)
            session.flush()
        except (KhumkrongError, ValueError, OSError) as exc:
            session.rollback()
            problems[path.name] = getattr(exc, "message", str(exc))
    session.commit()
    return problems


_FORM_KEY = re.compile(r'formKey="([^"]+)"|name="formJsonSchemaFilename"\s+value="([^"]+)"')


def _form_keys(path: Path) -> set[str]:
    """The forms a protocol's tasks name (both conventions), as catalogue names."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return {form_name(a or b) for a, b in _FORM_KEY.findall(text)}


def _refusal(exc: ProtocolInvalid) -> str:
    errors = [f for f in exc.findings if f.severity is Severity.ERROR]
    return "; ".join(str(f) for f in errors) or exc.message


def _store_protocols(
    world: World, files: dict[str, Path], forms: FormCatalogue | None, admin: Actor
) -> None:
    takes_forms = "forms" in inspect.signature(protocol_service.store_draft).parameters
    for key, path in files.items():
        extra = {"forms": forms} if takes_forms and forms is not None else {}
        try:
            version, _ = protocol_service.store_draft(
                session=world.session, key=key, bpmn=path.read_bytes(), network=world.network,
                clock=world.clock, actor=admin, filename=path.name, **extra,
            )
            protocol_service.publish(
                session=world.session, key=key, version=version.version, clock=world.clock, actor=admin,
            )
        except ProtocolInvalid as exc:
            # Only scenarios that use this protocol fail (with this reason); the others run.
            world.session.rollback()
            world.refused[key] = f"{path.name}: {_refusal(exc)}"
        except KhumkrongError as exc:
            world.session.rollback()
            world.refused[key] = f"{path.name}: {exc.message}"


@pytest.fixture
def world(
    session: Session,
    network: Network,
    clock: SimulatedClock,
    bdd_protocol_files: dict[str, Path],
    bdd_protocol_aliases: dict[str, str],
    bdd_forms_folder: Path | None,
    bdd_lint_forms: bool,
    _cached_parsing: None,
) -> Iterator[World]:
    world = World(session=session, network=network, clock=clock, aliases=dict(bdd_protocol_aliases))
    world.users = _add_people(session, network, clock)
    catalogue = None
    if bdd_forms_folder is not None and bdd_forms_folder.is_dir():
        broken = _store_forms(session, bdd_forms_folder, clock)
        loaded = _form_catalogue(bdd_forms_folder)
        if isinstance(loaded, KhumkrongError):
            warnings.warn(f"forms catalogue unusable, protocols stored without form checks: {loaded.message}", stacklevel=1)
        elif bdd_lint_forms:
            catalogue = loaded
        for name, why in broken.items():
            # A protocol using a form the engine could not store would run unchecked: refuse
            # just those protocols, with the reason, and let the others run.
            warnings.warn(f"form {name} not stored: {why}", stacklevel=1)
            for key, path in list(bdd_protocol_files.items()):
                if form_name(name) in _form_keys(path):
                    world.refused[key] = f"its form {name} cannot be stored: {why}"
                    bdd_protocol_files = {k: v for k, v in bdd_protocol_files.items() if k != key}
    _store_protocols(world, bdd_protocol_files, catalogue, world.users["admin"])
    yield world


# -- readable failures -----------------------------------------------------------------------------


def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    """Replace pytest-bdd's bare "not found" with the nearest known wording and the vocabulary."""
    known = [line.split("   ")[0].strip() for line in VOCABULARY.splitlines() if line.strip()]
    written = f"{step.keyword.strip()} {step.name}"
    nearest = get_close_matches(written, known, n=2, cutoff=0.4)
    hints = []
    if any(mark in step.name for mark in "“”„«»"):
        hints.append('use straight double quotes (") around parameters, not typographic ones')
    raise StepDefinitionNotFoundError(
        f"{feature.rel_filename}:{step.line_number}: no step of the library reads\n    {written}\n"
        + "".join(f"  hint: {hint}\n" for hint in hints)
        + ("  closest known step(s):\n" + "".join(f"    {line}\n" for line in nearest) if nearest else "")
        + "  the vocabulary (protocols/AUTHORING.md):\n"
        + "".join(f"    {line}\n" for line in VOCABULARY.splitlines())
    ) from None

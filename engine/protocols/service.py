"""Storing, publishing and finding protocol versions."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.forms.catalogue import FormCatalogue
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.protocols.assignees import accounts_in
from engine.protocols.findings import Finding
from engine.protocols.loading import BPMN_NS, load_bpmn
from engine.protocols.models import ProtocolVersion
from engine.protocols.parsing import parse_protocol

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def message_start_names(bpmn: bytes | str) -> list[str]:
    """Names of the messages caught by the protocol's start events (the referrals it accepts)."""
    root = load_bpmn(bpmn).getroot()
    messages = {m.get("id"): m.get("name") for m in root.iter(f"{{{BPMN_NS}}}message")}
    names = {
        messages.get(definition.get("messageRef"))
        for start in root.iter(f"{{{BPMN_NS}}}startEvent")
        for definition in start.iter(f"{{{BPMN_NS}}}messageEventDefinition")
    }
    return sorted(name for name in names if name)


def message_documentation(bpmn: bytes | str, message_name: str) -> str | None:
    """The documentation of the element that throws the message (a referral): where a protocol
    states the section it refers under and the PDPA basis of the disclosure."""
    root = load_bpmn(bpmn).getroot()
    ids = {m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message") if m.get("name") == message_name}
    for local in ("intermediateThrowEvent", "endEvent", "sendTask"):
        for element in root.iter(f"{{{BPMN_NS}}}{local}"):
            refs = {element.get("messageRef")} | {
                d.get("messageRef") for d in element.iter(f"{{{BPMN_NS}}}messageEventDefinition")
            }
            if refs & ids:
                text = element.findtext(f"{{{BPMN_NS}}}documentation")
                return text.strip() if text and text.strip() else None
    return None


def content_hash(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def store_draft(
    *,
    session: Session,
    key: str,
    bpmn: bytes | str,
    network: Network,
    clock: Clock,
    actor: Actor,
    filename: str | None = None,
    forms: FormCatalogue | None = None,
    known_messages: set[str] | None = None,
) -> tuple[ProtocolVersion, list[Finding]]:
    """Parse, lint and store a new version of a protocol (one transaction).

    Raises ProtocolInvalid, storing nothing, when any error finding comes up. Storing the same
    content again returns the version that already holds it.
    """
    if not KEY_PATTERN.match(key):
        raise InvalidInput(
            f"protocol key {key!r} must be lower-case letters, digits and '_' (2–64), starting with a letter",
            field="key",
        )
    # Parse first: it refuses anything that is not UTF-8 with a finding, not a decoding crash.
    parsed = parse_protocol(
        bpmn, network=network, filename=filename or f"{key}.bpmn", forms=forms, known_messages=known_messages,
        accounts=accounts_in(session),
    )
    text = bpmn.decode("utf-8-sig") if isinstance(bpmn, bytes) else bpmn.removeprefix("\ufeff")
    digest = content_hash(text)
    existing = session.scalar(
        select(ProtocolVersion).where(ProtocolVersion.key == key, ProtocolVersion.content_hash == digest)
    )
    if existing is not None:
        return existing, parsed.findings
    latest = session.scalar(select(func.max(ProtocolVersion.version)).where(ProtocolVersion.key == key))
    version = ProtocolVersion(
        key=key,
        version=(latest or 0) + 1,
        name=parsed.name,
        process_id=parsed.process_id,
        bpmn_text=text,
        content_hash=digest,
        spec_json=parsed.spec_json,
        tasks_json=parsed.tasks_json(),
        message_starts=json.dumps(message_start_names(bpmn)),
        published=False,
        created_at=clock.now(),
        created_by_id=actor.user_id,
    )
    session.add(version)
    session.flush()
    audit.record(
        session, action="protocol.draft_stored", actor=actor, at=clock.now(),
        protocol_version_id=version.id, key=key, version=version.version,
        warnings=[f.code for f in parsed.findings],
    )
    session.commit()
    return version, parsed.findings


def get_version(*, session: Session, key: str, version: int) -> ProtocolVersion:
    row = session.scalar(
        select(ProtocolVersion).where(ProtocolVersion.key == key, ProtocolVersion.version == version)
    )
    if row is None:
        raise NotFound(f"protocol {key!r} has no version {version}", field="version")
    return row


def publish(*, session: Session, key: str, version: int, clock: Clock, actor: Actor) -> ProtocolVersion:
    row = get_version(session=session, key=key, version=version)
    if row.published:
        raise InvalidState(f"protocol {key!r} version {version} is already published")
    row.published = True
    row.published_at = clock.now()
    audit.record(
        session, action="protocol.published", actor=actor, at=clock.now(),
        protocol_version_id=row.id, key=key, version=version,
    )
    session.commit()
    return row


def known_start_messages(*, session: Session, include_drafts: bool = False) -> set[str]:
    """Messages some protocol starts on: where a referral can go.

    With ``include_drafts``, unpublished versions count too: a library of protocols that refer to
    each other is uploaded one file at a time, and lint should not refuse the first of them.
    """
    texts: Iterable[str | None]
    if include_drafts:
        texts = session.scalars(select(ProtocolVersion.message_starts))
    else:
        texts = (version.message_starts for version in published_versions(session=session))
    return {name for text in texts for name in json.loads(text or "[]")}


def published_versions(*, session: Session) -> list[ProtocolVersion]:
    """The newest published version of every protocol."""
    newest = (
        select(ProtocolVersion.key, func.max(ProtocolVersion.version).label("version"))
        .where(ProtocolVersion.published.is_(True))
        .group_by(ProtocolVersion.key)
        .subquery()
    )
    return list(session.scalars(
        select(ProtocolVersion)
        .join(newest, (ProtocolVersion.key == newest.c.key) & (ProtocolVersion.version == newest.c.version))
        .order_by(ProtocolVersion.key)
    ))


def latest_published(*, session: Session, key: str) -> ProtocolVersion:
    row = session.scalar(
        select(ProtocolVersion)
        .where(ProtocolVersion.key == key, ProtocolVersion.published.is_(True))
        .order_by(ProtocolVersion.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound(f"protocol {key!r} has no published version", field="protocol")
    return row


@dataclass(frozen=True)
class ProtocolSummary:
    """A protocol of the library: its newest name, published version and every version."""

    key: str
    name: str
    published_version: int | None
    latest_version: int
    versions: list[ProtocolVersion]


def protocol_library(*, session: Session) -> list[ProtocolSummary]:
    """Every protocol with its versions, by key."""
    grouped: dict[str, list[ProtocolVersion]] = {}
    for row in session.scalars(select(ProtocolVersion).order_by(ProtocolVersion.key, ProtocolVersion.version)):
        grouped.setdefault(row.key, []).append(row)
    return [
        ProtocolSummary(
            key=key, name=versions[-1].name,
            published_version=max((v.version for v in versions if v.published), default=None),
            latest_version=versions[-1].version, versions=versions,
        )
        for key, versions in grouped.items()
    ]

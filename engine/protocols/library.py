"""The protocol library as policy staff browse it: every protocol with its versions."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.protocols.models import ProtocolVersion


@dataclass(frozen=True)
class ProtocolSummary:
    key: str
    name: str
    versions: tuple[ProtocolVersion, ...]

    @property
    def latest(self) -> ProtocolVersion:
        return self.versions[-1]

    @property
    def published_version(self) -> int | None:
        published = [v.version for v in self.versions if v.published]
        return max(published) if published else None

    @property
    def drafts(self) -> tuple[ProtocolVersion, ...]:
        """Versions stored after the newest published one and not published themselves."""
        newest = self.published_version or 0
        return tuple(v for v in self.versions if not v.published and v.version > newest)


def protocol_summaries(*, session: Session) -> list[ProtocolSummary]:
    rows = session.scalars(select(ProtocolVersion).order_by(ProtocolVersion.key, ProtocolVersion.version)).all()
    grouped: dict[str, list[ProtocolVersion]] = {}
    for row in rows:
        grouped.setdefault(row.key, []).append(row)
    return [ProtocolSummary(key, versions[-1].name, tuple(versions)) for key, versions in grouped.items()]


def protocol_summary(*, session: Session, key: str) -> ProtocolSummary:
    versions = tuple(session.scalars(
        select(ProtocolVersion).where(ProtocolVersion.key == key).order_by(ProtocolVersion.version)
    ))
    if not versions:
        raise NotFound(f"there is no protocol {key!r}", field="key")
    return ProtocolSummary(key, versions[-1].name, versions)

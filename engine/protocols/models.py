from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class ProtocolVersion(Base):
    """One version of a protocol: its BPMN as uploaded and its parsed spec, stored once.

    A published version is immutable; running cases keep the version they started on.
    """

    __tablename__ = "protocol_versions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "content_hash"),
        Index("ix_protocol_versions_key_published", "key", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    process_id: Mapped[str] = mapped_column(String(255))
    bpmn_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)
    # Per user task: label, lane, agency, role, form and due date, resolved once at parse time.
    tasks_json: Mapped[str] = mapped_column(Text)
    # Names of the messages whose arrival starts this protocol (JSON list): referrals.
    message_starts: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

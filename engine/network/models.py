from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Agency(Base):
    """A party to the network. Codes are stable; names may change with the law (see domain.md §1.1)."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    predecessor_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"))
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Role(Base):
    """A role a person holds inside an agency (case worker, supervisor) or province-wide."""

    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    bound_to_agency: Mapped[bool] = mapped_column(Boolean, default=True)

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Child(Base):
    """Identity of a child; a child may have a Thai ID, a G-code, both, or neither (undocumented)."""

    __tablename__ = "children"
    # Case search by a part of the name (engine.cases.queries.CHILD_FULL_NAME; migration 0014,
    # PostgreSQL's pg_trgm only).
    __table_args__ = (
        Index("ix_children_full_name_trgm", text("(first_name || ' ' || coalesce(last_name, '')) gin_trgm_ops"),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    national_id: Mapped[str | None] = mapped_column(String(13), unique=True)
    g_code: Mapped[str | None] = mapped_column(String(13), unique=True)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    birth_date: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(64))
    school: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Retention removed the names, identifiers and free text (PDPA s.37(3)); the row stays for
    # statistics and so that the child's cases still count one child.
    anonymised_at: Mapped[datetime | None]


class Guardian(Base):
    """A person responsible for the child (s.4), who may also be the alleged abuser."""

    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    relation: Mapped[str] = mapped_column(String(32))
    alleged_abuser: Mapped[bool] = mapped_column(Boolean, default=False)


class ChildOffer(Base):
    """A record shown to someone as a possible match while they fill in an intake.

    Naming a record on completion is allowed only if it was offered to that person for that
    case (or is already on a case they may see): a record id alone opens nothing.
    """

    __tablename__ = "child_offers"
    __table_args__ = (Index("ix_child_offers_user_id_child_id", "user_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The intake the lookup was for; an offer without one confirms nothing.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    offered_at: Mapped[datetime]

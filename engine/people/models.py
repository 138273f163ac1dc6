from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    # Where notifications go; people without one see their work only in the app.
    email: Mapped[str | None] = mapped_column(String(320))
    role_code: Mapped[str] = mapped_column(String(32), ForeignKey("roles.code"))
    agency_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("agencies.code"))
    # A reporting unit of that agency (a school of the education office), from the network
    # definition; empty for the agency's own staff, who see the cases of all its units.
    unit_code: Mapped[str | None] = mapped_column(String(64))
    # argon2 hash; authentication itself arrives with the HTTP API.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

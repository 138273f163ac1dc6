"""One settings object, read from the environment (prefix ``KHUMKRONG_``)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KHUMKRONG_", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'khumkrong.db'}"
    network_file: Path = PROJECT_ROOT / "protocols" / "network.toml"
    calendar_file: Path = PROJECT_ROOT / "protocols" / "calendar.toml"
    glossary_file: Path = PROJECT_ROOT / "protocols" / "glossary.toml"

    # Outgoing mail for notifications. Credentials come only from the environment.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "khumkrong@localhost"
    smtp_timeout_seconds: float = 10.0
    # Spec JSON of this many protocol versions is kept in memory per process.
    spec_cache_size: int = 64
    # A personal API token made without an expiry stops working after this many days.
    token_lifetime_days: int = Field(default=90, ge=1, le=366)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; from anyone else those headers are ignored. None by default: the per-address
    # login limit counts the peer itself. Comma-separated in KHUMKRONG_TRUSTED_PROXIES.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()

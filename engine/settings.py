"""One settings object, read from the environment (prefix ``KHUMKRONG_``)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

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
    # Workflows of this many recently moved cases are kept in memory per process (0: none), so a
    # command need not rebuild its case's workflow from the stored state.
    live_workflow_cache_size: int = Field(default=256, ge=0)
    # A personal API token made without an expiry stops working after this many days.
    token_lifetime_days: int = Field(default=90, ge=1, le=366)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; from anyone else those headers are ignored. None by default: the per-address
    # login limit counts the peer itself. Comma-separated in KHUMKRONG_TRUSTED_PROXIES.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Logs are JSON lines on standard error at this level (DEBUG, INFO, WARNING, ERROR).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Who may read /metrics (addresses or networks, comma-separated in KHUMKRONG_METRICS_ADDRESSES);
    # anyone else is answered 404. Behind a trusted proxy this is the client the proxy names.
    metrics_addresses: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    # The per-agency work item counts, outbox backlog and worker lag are read from SQL when
    # /metrics is scraped, at most once per this many seconds per process.
    metrics_sql_seconds: float = Field(default=10.0, ge=0)
    # Background workers run against this database (``khumkrong worker``): /readyz then fails
    # while none of them has completed a pass lately. Off for a server without workers.
    expect_workers: bool = False
    # /readyz fails while more outbox messages than this are due and unsent: notices of new work
    # and escalations are not reaching people.
    ready_outbox_backlog: int = Field(default=500, ge=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("trusted_proxies", "metrics_addresses", mode="before")
    @classmethod
    def _split_addresses(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Alembic migrations for Khumkrong's schema; :func:`upgrade_database` applies them."""
from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is ConfigParser's interpolation character; URLs may contain it (escaped passwords).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the code knows; a database at any other revision needs upgrading."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise RuntimeError(f"no Alembic revision in {MIGRATIONS_DIR}")
    return head


def upgrade_database(target: str | Engine) -> None:
    """Create or migrate the schema to the newest Alembic revision.

    Given an engine, the migrations run on one of its connections, so a process that already has
    its engine (``engine.wiring``) opens no second one. The migration manages its own transaction
    (``env.py``: on PostgreSQL under an advisory lock, so processes starting together on a fresh
    database migrate it once).
    """
    from alembic import command

    if isinstance(target, str):
        command.upgrade(alembic_config(target), "head")
        return
    config = alembic_config(target.url.render_as_string(hide_password=False))
    with target.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import engine.models  # noqa: F401 - registers every table on the metadata
from engine.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


# Any constant will do: every process that migrates this database takes the same lock.
MIGRATION_LOCK = 7201104


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a SQLite table by copying it and dropping the old one, which fails
        # (or, with ON DELETE rules, loses rows) while other rows refer to it and foreign keys
        # are enforced. Enforcement is off while migrating (the pragma only works outside a
        # transaction), every reference is checked before the end, and it is on again after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several processes may start on a fresh database at once (two API servers, a
                # worker): one migrates, the others wait, then find the schema at its head.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows referring to nothing: {broken[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:  # the caller's engine (upgrade_database(engine))
        _migrate(given)
        return
    connectable = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with connectable.connect() as connection:
        _migrate(connection)
    connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Backups and restores of a whole Khumkrong database, SQLite or PostgreSQL.

A backup is one tar file holding ``manifest.json`` and the database itself:

* **SQLite**: a copy made with SQLite's online backup API (``sqlite3.Connection.backup``), which
  is consistent while the server and workers keep writing.
* **PostgreSQL**: ``pg_dump --format=custom``, run on a snapshot exported from a repeatable-read
  transaction in which the manifest's figures are read too, so both describe the same moment.

The manifest records the dialect, the Alembic revision of the schema, the row count of every
table and the SHA-256 of the database member. A restore checks all of it before it touches the
target: a backup from a newer schema than this code knows is refused (its tables would not be
understood), as is one from the other dialect, a damaged one, or a non-empty target unless
``replace`` is given. PostgreSQL is restored in one transaction (``pg_restore`` into ``psql
--single-transaction``, the old schema dropped first, the row counts checked before the commit),
so a failed restore leaves the database as it was. A restored database at an older revision is
then migrated to the newest.

Backups hold every child's record: keep them as carefully as the database (encrypted storage,
the same few people).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from engine.clock import Clock
from engine.errors import InvalidInput, InvalidState
from engine.migrations import MIGRATIONS_DIR, head_revision, upgrade_database

FORMAT = "khumkrong-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
MANIFEST_MAX_BYTES = 1024 * 1024
CHUNK = 1024 * 1024


class BackupRefused(InvalidState):
    """A restore that would lose or garble data, refused before the target was touched."""

    code = "backup-refused"


@dataclass
class Manifest:
    dialect: str
    revision: str
    created_at: str
    tables: dict[str, int]
    sha256: str = ""
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    member: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    upgraded_to: str | None  # the head revision, when the backup's was older


def _dialect(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in MEMBERS:
        raise InvalidInput(f"backups of {name} databases are not supported", field="database_url")
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# -- SQLite -------------------------------------------------------------------------------------


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored", field="database_url")
    return Path(database)


def _sqlite_figures(path: Path) -> tuple[str | None, dict[str, int]]:
    """The revision and the row count of every table of a SQLite file (checked for damage)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupRefused(f"{path.name} is damaged (SQLite's integrity check failed)")
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        tables = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone() if "alembic_version" in tables else None
    return (revision[0] if revision else None), tables


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    reading.close()
    writing.close()


# -- PostgreSQL ---------------------------------------------------------------------------------

# libpq settings a SQLAlchemy URL may carry in its query, passed to pg_dump, pg_restore and psql.
_LIBPQ_QUERY = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
                "connect_timeout": "PGCONNECT_TIMEOUT", "host": "PGHOST", "port": "PGPORT",
                "application_name": "PGAPPNAME", "options": "PGOPTIONS"}


def _libpq_environment(url: URL) -> dict[str, str]:
    """The connection for PostgreSQL's own tools, in their environment variables (a password
    on a command line would be visible to every user of the machine)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    given = {"PGHOST": url.host, "PGPORT": str(url.port) if url.port else None, "PGUSER": url.username,
             "PGPASSWORD": url.password, "PGDATABASE": url.database}
    for key, variable in _LIBPQ_QUERY.items():
        value = url.query.get(key)
        if value is not None:
            given[variable] = value if isinstance(value, str) else value[-1]
    environment.update({key: str(value) for key, value in given.items() if value})
    return environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidState(f"{name} is not installed: install PostgreSQL's client programs (Debian: postgresql-client)")
    return found


def _run(command: list[str], environment: dict[str, str], **options) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, **options)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise InvalidState(f"{Path(command[0]).name} failed: {' / '.join(tail) or f'exit {done.returncode}'}")


def _postgres_tables(connection) -> dict[str, int]:
    names = connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )).scalars().all()
    return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def _postgres_dump(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = _postgres_tables(connection)
            revision = (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
                if "alembic_version" in tables else None
            )
            # The snapshot lives as long as this transaction: pg_dump reads the same moment.
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  f"--file={target}"], _libpq_environment(engine.url))
    return revision, tables


def _postgres_restore_script(dump: Path, manifest: Manifest, schema: str, environment: dict[str, str]) -> Iterator[bytes]:
    """The SQL that replaces the schema with the dump's and checks it, for one psql transaction."""
    quoted = '"' + schema.replace('"', '""') + '"'
    yield f"DROP SCHEMA IF EXISTS {quoted} CASCADE;\nCREATE SCHEMA {quoted};\n".encode()
    process = subprocess.Popen([_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    assert process.stdout is not None and process.stderr is not None
    while chunk := process.stdout.read(CHUNK):
        yield chunk
    if process.wait() != 0:
        raise InvalidState(f"pg_restore could not read {dump.name}: {process.stderr.read().decode(errors='replace')[-300:]}")
    # Restored in full, or not at all: a count short of the manifest's aborts the transaction.
    checks = "".join(
        f"  IF (SELECT count(*) FROM {quoted}.\"{name}\") <> {count} THEN "
        f"RAISE EXCEPTION 'table % has the wrong number of rows', '{name}'; END IF;\n"
        for name, count in sorted(manifest.tables.items())
    )
    yield f"\nDO $check$ BEGIN\n{checks}END $check$;\n".encode()


def _postgres_restore(engine: Engine, dump: Path, manifest: Manifest) -> None:
    environment = _libpq_environment(engine.url)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one() or "public"
    engine.dispose()  # nothing of ours holds a lock on the tables about to be dropped
    psql = subprocess.Popen(
        [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", "--output=/dev/null"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment,
    )
    assert psql.stdin is not None and psql.stderr is not None
    try:
        for chunk in _postgres_restore_script(dump, manifest, schema, environment):
            psql.stdin.write(chunk)
    except BaseException:
        psql.kill()  # the transaction never commits
        psql.wait()
        raise
    finally:
        if psql.stdin and not psql.stdin.closed:
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
    if psql.wait() != 0:
        raise InvalidState(f"psql refused the restore, nothing was changed: {psql.stderr.read().decode(errors='replace')[-500:]}")


# Filled in by `khumkrong db upgrade` from the network definition, not data of anyone's.
REFERENCE_TABLES = frozenset({"alembic_version", "agencies", "roles"})


def _is_empty(engine: Engine) -> bool:
    """No data in any table but the schema revision and the network's agencies and roles."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).scalars().all()
        else:
            names = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars().all()
        return all(
            connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() == 0
            for name in names if name not in REFERENCE_TABLES
        )


# -- the file -----------------------------------------------------------------------------------


@contextmanager
def _workspace(near: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=".khumkrong-backup-", dir=near))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def backup(*, engine: Engine, path: Path, clock: Clock, overwrite: bool = False) -> Manifest:
    """Write a backup of the database to ``path`` (a new file, unless ``overwrite``)."""
    dialect = _dialect(engine)
    path = path.expanduser().resolve()
    if path.exists() and not overwrite:
        raise InvalidInput(f"{path} exists; choose another name or overwrite it", field="file")
    if not path.parent.is_dir():
        raise InvalidInput(f"{path.parent} is not a folder", field="file")
    with _workspace(path.parent) as work:
        member = work / MEMBERS[dialect]
        if dialect == "sqlite":
            _sqlite_copy(_sqlite_path(engine), member)
            revision, tables = _sqlite_figures(member)
        else:
            revision, tables = _postgres_dump(engine, member)
        if revision is None:
            raise InvalidState("the database has no schema revision: nothing to back up (run `khumkrong db upgrade`)")
        manifest = Manifest(dialect=dialect, revision=revision, created_at=clock.now().isoformat(), tables=tables,
                            sha256=_sha256(member), member=member.name)
        # Written beside the target and renamed into place: a backup that was cut short never
        # has the name of a finished one.
        partial = work / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            encoded = json.dumps(asdict(manifest), indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(encoded), 0o600, int(clock.now().timestamp())
            archive.addfile(info, io.BytesIO(encoded))
            archive.add(member, arcname=member.name)
        partial.chmod(0o600)
        os.replace(partial, path)
    return manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r:") as archive:
            info = archive.getmember(MANIFEST)
            if info.size > MANIFEST_MAX_BYTES:
                raise BackupRefused(f"{path.name} is not a Khumkrong backup (its manifest is too large)")
            stream = archive.extractfile(info)
            data = json.loads(stream.read() if stream else b"")
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupRefused(f"{path} is not a Khumkrong backup ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupRefused(f"{path} is not a Khumkrong backup")
    if data.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(f"{path} is backup format {data.get('format_version')}; this Khumkrong reads format {FORMAT_VERSION}")
    try:
        return Manifest(**data)
    except TypeError as exc:
        raise BackupRefused(f"{path} has a manifest this Khumkrong does not understand: {exc}") from exc


def known_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    return [script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()]


def check_restorable(manifest: Manifest, engine: Engine) -> None:
    """Refuse, before anything is touched, what cannot be restored here."""
    dialect = _dialect(engine)
    if manifest.dialect != dialect:
        raise BackupRefused(f"this is a backup of a {manifest.dialect} database; it cannot be restored into {dialect}")
    if manifest.revision not in known_revisions():
        raise BackupRefused(
            f"this backup is of schema revision {manifest.revision}, newer than this Khumkrong knows (its newest is "
            f"{head_revision()}): restore it with the Khumkrong version that made it, or a newer one",
            revision=manifest.revision,
        )


def restore(*, engine: Engine, path: Path, replace: bool = False) -> Restored:
    """Replace the database's contents with the backup's, then migrate them to the newest revision."""
    path = path.expanduser().resolve()
    manifest = read_manifest(path)
    check_restorable(manifest, engine)
    if not replace and not _is_empty(engine):
        raise BackupRefused("the database holds data; restoring would replace all of it (say so to go on)")
    with _workspace(Path(tempfile.gettempdir())) as work:
        with tarfile.open(path, "r:") as archive:
            try:
                info = archive.getmember(manifest.member)
            except KeyError:
                raise BackupRefused(f"{path.name} lacks its database ({manifest.member})") from None
            if not info.isfile() or manifest.member not in MEMBERS.values():
                raise BackupRefused(f"{path.name} holds no database file")
            stream = archive.extractfile(info)
            member = work / manifest.member
            assert stream is not None
            with member.open("wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
        if _sha256(member) != manifest.sha256:
            raise BackupRefused(f"{path.name} is damaged: its database does not match the manifest's checksum")
        if manifest.dialect == "sqlite":
            revision, tables = _sqlite_figures(member)
            if revision != manifest.revision or tables != manifest.tables:
                raise BackupRefused(f"{path.name} is damaged: its database does not match its manifest")
            target = _sqlite_path(engine)
            target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(member, target)
        else:
            _postgres_restore(engine, member, manifest)
    upgraded = None
    if manifest.revision != head_revision():
        upgrade_database(engine)
        upgraded = head_revision()
    return Restored(manifest, upgraded)


def database_label(url: str) -> str:
    """The database a URL names, without its password (for messages)."""
    return make_url(url).render_as_string(hide_password=True)

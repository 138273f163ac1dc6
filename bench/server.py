"""The benchmark's API process: the app as `khumkrong serve --no-worker` builds it, plus one route
that exists only here, the floor.

``POST /api/v1/bench/floor`` passes the same middleware (observer, guard, metrics) and the same
authentication and role gate as ``POST /api/v1/tasks/{id}/complete``, then performs one
``UPDATE … ; COMMIT`` on the same database. Its time is what any authenticated write costs in this
stack; a command's time over it is what the engine adds.

    KHUMKRONG_DATABASE_URL=… python -m bench.server --port 8123
"""
from __future__ import annotations

import argparse

from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from api.app import API_PREFIX, create_app
from api.deps import SessionDep, TaskReader
from engine.db import make_engine
from engine.settings import get_settings
from engine.wiring import Wiring

FLOOR_PATH = f"{API_PREFIX}/bench/floor"
FLOOR_TABLE = "bench_floor"


def ensure_floor_table(url: str) -> None:
    """The floor's one row (a table of the benchmark's own, made outside the migrations); made by
    the harness before the servers start, so that two of them never race to create it."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL)"))
        if connection.execute(text(f"SELECT count(*) FROM {FLOOR_TABLE}")).scalar_one() == 0:
            connection.execute(text(f"INSERT INTO {FLOOR_TABLE} (id, hits) VALUES (1, 0)"))
    engine.dispose()


def drop_floor_table(url: str) -> None:
    """The floor's table goes when the scenario ends (a test database is shared with other tests)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {FLOOR_TABLE}"))
    engine.dispose()


def bench_app(wiring: Wiring) -> FastAPI:
    app = create_app(wiring=wiring)
    router = APIRouter()

    @router.post(FLOOR_PATH, include_in_schema=False)
    def floor(session: SessionDep, _actor: TaskReader) -> dict[str, bool]:
        session.execute(text(f"UPDATE {FLOOR_TABLE} SET hits = hits + 1 WHERE id = 1"))
        session.commit()
        return {"ok": True}

    app.include_router(router)
    return app


def main() -> None:
    import uvicorn

    from api.logs import logging_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    wiring = Wiring.from_settings(get_settings())
    try:
        # The options `khumkrong serve` gives uvicorn (no access log: the app logs each request).
        uvicorn.run(bench_app(wiring), host=options.host, port=options.port, proxy_headers=False, access_log=False,
                    log_config=logging_config(wiring.settings.log_level))
    finally:
        wiring.dispose()


if __name__ == "__main__":
    main()

"""The FastAPI application factory."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import SessionDep
from api.problems import install_problem_handlers, problem
from engine.db import make_engine, make_session_factory
from engine.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Khumkrong",
        summary="คุ้มครอง — workflow engine for the Tak child-protection network",
        version="0.1.0",
    )
    db_engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.db_engine = db_engine
    app.state.session_factory = make_session_factory(db_engine)
    install_problem_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness and database check")
    def healthz(session: SessionDep) -> Any:
        try:
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        except Exception as exc:  # noqa: BLE001 - any database failure makes the service unhealthy
            return problem(503, "database unavailable", f"{type(exc).__name__}: {exc}".splitlines()[0], code="database-unavailable")
        if revision is None:
            return problem(503, "database not migrated", "the schema has no Alembic revision", code="database-unmigrated")
        return JSONResponse({"status": "ok", "database": "ok", "schema_revision": revision})

    return app

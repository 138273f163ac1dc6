"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API answers — the engine's, FastAPI's own request validation, unknown routes,
and anything unexpected — has the same shape, and names the field, element or rule at fault
where there is one: ``errors: [{field, message}]`` for invalid input, ``findings`` for a refused
protocol.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import KhumkrongError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("khumkrong.api")

STATUS_BY_CODE = {
    "unauthenticated": 401,
    "forbidden": 403,
    "not-found": 404,
    "conflict": 409,
    "invalid-state": 409,
    "invalid-input": 422,
    "protocol-invalid": 422,
    "forms-invalid": 422,
    "workflow-failure": 422,
    "depth-limit": 422,
    "run-budget-exceeded": 422,
    "too-many-attempts": 429,
    "payload-too-large": 413,
}

# Members of a problem that engine details must not overwrite.
_RESERVED = frozenset({"type", "title", "status", "detail", "instance", "errors", "findings"})


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; extra members (``field``, ``findings``, ids) depend on the error."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in, or the credential is unknown, expired or revoked",
    403: "Signed in, but this role or person may not do this",
    404: "No such thing, or not visible to the caller (the two are not told apart)",
    409: "Conflict: someone changed it first, or it is not in a state that allows this",
    413: "The request body is too large",
    422: "Invalid input; `errors` names each field at fault",
    429: "Too many failed logins; see Retry-After",
    503: "The database is unavailable or busy",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problems a route can answer (filled in by ``problem_openapi``)."""
    return {status: {"description": _DESCRIPTIONS.get(status, "Error")} for status in statuses}


def problem(status: int, title: str, detail: str, *, code: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:khumkrong:problem:{code}", "title": title, "status": status, "detail": detail}
    body.update(jsonable_encoder(extra))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _auth_headers(status: int, exc: KhumkrongError) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": 'Bearer realm="khumkrong"'}
    if status == 429 and "retry_after" in exc.details:
        return {"Retry-After": str(exc.details["retry_after"])}
    return None


def engine_problem(exc: KhumkrongError) -> JSONResponse:
    status = STATUS_BY_CODE.get(exc.code, 400)
    extra: dict[str, Any] = {}
    for key, value in exc.details.items():
        if key in _RESERVED:
            continue
        extra[key] = value
    if "status" in exc.details:
        extra["current_status"] = exc.details["status"]
    if "findings" in exc.details:
        extra["findings"] = [f.as_dict() for f in exc.details["findings"]]
    if status == 422:
        errors = exc.details.get("errors")
        if not errors:
            errors = [{"field": str(exc.details.get("field") or "request"), "message": exc.message}]
        extra["errors"] = errors
    return problem(status, exc.code.replace("-", " "), exc.message, code=exc.code, headers=_auth_headers(status, exc), **extra)


def _location(loc: tuple[Any, ...]) -> tuple[str, str]:
    """FastAPI's ``loc`` (('body', 'data', 'x'), ('query', 'limit')) as (where, field)."""
    where = str(loc[0]) if loc else "request"
    path = [str(part) for part in loc[1:]]
    return where, ".".join(path) or where


# What the drivers say of a fault that passes: a lock held too long, a lost race, a dropped or
# refused connection, a server shutting down.
_PASSING_FAULTS = (
    "locked", "lock timeout", "deadlock", "could not serialize", "connection", "server closed",
    "timeout", "terminating", "unable to open database",
)


def passing_database_fault(exc: OperationalError) -> bool:
    """Whether trying the request again may succeed (503) rather than fail the same way (500)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return bool(exc.connection_invalidated) or any(marker in text for marker in _PASSING_FAULTS)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(KhumkrongError)
    async def _engine_error(_request: Request, exc: KhumkrongError) -> JSONResponse:
        return engine_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            where, field = _location(tuple(error.get("loc", ())))
            # A validator that looked inside a JSON value says where (api.schemas.JsonValueError).
            inner = (error.get("ctx") or {}).get("error")
            field = ".".join([field, *(str(part) for part in getattr(inner, "path", ()))])
            errors.append({"field": field, "in": where, "message": str(error.get("msg", "invalid"))})
        first = errors[0] if errors else {"field": "request", "message": "invalid request"}
        return problem(
            422, "invalid input", f"{first['field']}: {first['message']}", code="invalid-input", errors=errors,
            field=first["field"],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot even decode (bad UTF-8, say): invalid input
            # like any other, named and shaped the same way.
            detail = exc.detail if isinstance(exc.detail, str) else "the request body cannot be read"
            return problem(422, "invalid input", detail, code="invalid-input", field="body",
                           errors=[{"field": "body", "in": "body", "message": detail}])
        title = {404: "not found", 405: "method not allowed", 413: "request too large"}.get(exc.status_code, "error")
        code = "payload-too-large" if exc.status_code == 413 else title.replace(" ", "-")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, title, detail, code=code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        if not passing_database_fault(exc):
            # A missing table or column will fail again however often the client retries.
            return await _unexpected(request, exc)
        # A lock timeout or a dropped connection: the request may simply be tried again.
        log.warning("database operational error: %s", str(exc).splitlines()[0])
        return problem(503, "database busy", "the database could not answer in time; try again", code="database-busy",
                       headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # Never echo internals (they may hold case data); the log has the traceback.
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal error", "an unexpected error occurred; it has been logged", code="internal-error")

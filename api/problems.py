"""Errors as RFC 9457 problem details (``application/problem+json``)."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from engine.errors import KhumkrongError

PROBLEM_JSON = "application/problem+json"

STATUS_BY_CODE = {
    "not-found": 404,
    "forbidden": 403,
    "conflict": 409,
    "invalid-state": 409,
    "invalid-input": 422,
    "protocol-invalid": 422,
    "workflow-failure": 422,
    "depth-limit": 422,
}


def problem(status: int, title: str, detail: str, *, code: str, **extra: Any) -> JSONResponse:
    body = {"type": f"urn:khumkrong:problem:{code}", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(KhumkrongError)
    async def _engine_error(_request: Request, exc: KhumkrongError) -> JSONResponse:
        status = STATUS_BY_CODE.get(exc.code, 400)
        extra = {k: v for k, v in exc.details.items() if k != "findings"}
        if "findings" in exc.details:
            extra["findings"] = [f.as_dict() for f in exc.details["findings"]]
        return problem(status, exc.code.replace("-", " "), exc.message, code=exc.code, **extra)

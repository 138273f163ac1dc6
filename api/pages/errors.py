"""Errors on pages are pages: not found, not allowed, sign in, and the rest.

The REST API keeps answering problem+json; these handlers only take requests for pages. Not
found is also what a person sees for something they may not see (a case of an uninvolved
agency), exactly as the API answers 404 for both.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.pages.rendering import render
from api.pages.security import CsrfRefused, SignInRequired, page_user_or_none
from api.problems import STATUS_BY_CODE
from engine.errors import KhumkrongError

log = logging.getLogger("khumkrong.pages")
API_PATHS = ("/api/", "/openapi.json", "/healthz", "/readyz")


def _page_user(request: Request):
    factory = request.app.state.wiring.session_factory
    with factory() as session:
        return page_user_or_none(request, session)


def error_page(request: Request, status: int, *, detail: str | None = None) -> Response:
    """The page for an error status: 404 not found, 403 not allowed, anything else."""
    user = _page_user(request)
    if status == 404:
        return render(request, "errors/not_found.html", user, status_code=404)
    if status == 403:
        return render(request, "errors/not_allowed.html", user, status_code=403, detail=detail)
    return render(request, "errors/error.html", user, status_code=status, status=status, detail=detail)


def page_for_exception(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        return RedirectResponse(exc.message, status_code=303)
    if isinstance(exc, CsrfRefused):
        return render(request, "errors/csrf.html", _page_user(request), status_code=403)
    if isinstance(exc, KhumkrongError):
        status = STATUS_BY_CODE.get(exc.code, 400)
        if status == 401:
            return RedirectResponse("/signin", status_code=303)
        return error_page(request, status, detail=exc.message if status not in (403, 404) else None)
    if isinstance(exc, RequestValidationError):
        # A malformed id or key in a page address names nothing; a malformed post is refused.
        return error_page(request, 404 if request.method in ("GET", "HEAD") else 422)
    if isinstance(exc, StarletteHTTPException):
        return error_page(request, exc.status_code)
    log.exception("unexpected error on a page", exc_info=exc)
    return error_page(request, 500)


class PageRoute(APIRoute):
    """A route whose errors are answered as pages rather than problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every failure of a page is shown as a page
                return page_for_exception(request, exc)

        return page_handler


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PATHS) and "text/html" in request.headers.get("accept", "")


def install_error_pages(app: FastAPI) -> None:
    """Unknown addresses asked for by a browser get the not-found page; the API's stay problems."""
    problem_handler = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_page(request) and exc.status_code in (404, 405):
            return error_page(request, 404)
        return await problem_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)

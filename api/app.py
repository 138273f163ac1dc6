"""The FastAPI application factory."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import pages
from api.health import install_health
from api.metrics import install_metrics
from api.observability import AddressList, RequestObserver
from api.problems import PROBLEM_JSON, FieldError, Problem, errors, install_problem_handlers, problem
from api.routes import agencies, auth, cases, children, escalations, forms, protocols, reports, tasks
from api.routes import simulation as simulation_routes
from engine.clock import Clock, SimulatedClock, SystemClock
from engine.settings import Settings, get_settings
from engine.wiring import Wiring

API_PREFIX = "/api/v1"
# Bodies beyond this are refused before they are read; a protocol (2 MB) is the largest input.
MAX_BODY_BYTES = 4 * 1024 * 1024

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    # Answers carry children's data: no browser or proxy may keep a copy.
    (b"cache-control", b"no-store"),
]


class BodyTooLarge(StarletteHTTPException):
    """Raised from the body stream once it passes the limit; answered as 413 (problem+json)."""

    def __init__(self) -> None:
        super().__init__(413, detail=f"request bodies may be at most {MAX_BODY_BYTES:,} bytes")


class GuardMiddleware:
    """The outermost layer: security headers on every answer, and bodies past the limit refused.

    It wraps even Starlette's error middleware, so a 500 carries the headers too. A body is
    counted as it streams in: a declared Content-Length past the limit is refused unread, and a
    chunked body is refused the moment it passes the limit, whoever asks and whatever the route.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        # The interactive docs load their own scripts and styles; the strict policy would break them.
        docs = path in ("/docs", "/redoc", "/docs/oauth2-redirect")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present and not (docs and n == b"content-security-policy")]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        def too_large() -> JSONResponse:
            return problem(413, "request too large", f"request bodies may be at most {MAX_BODY_BYTES:,} bytes",
                           code="payload-too-large")

        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
                await too_large()(scope, receive, send_with_headers)
                return

        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except BodyTooLarge:
            # Normally the route's error handler answers it; this covers a body read elsewhere.
            if started:
                raise
            await too_large()(scope, receive, send_with_headers)


def _behind_proxies(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Believe X-Forwarded-For and X-Forwarded-Proto from the configured proxies, and no one else."""
    if not settings.trusted_proxies:
        return app
    return ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxies)  # type: ignore[arg-type]


def _problem_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error response described as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(Problem, "serialization"), (FieldError, "serialization")], ref_template="#/components/schemas/{model}"
    )
    components.update(definitions.get("$defs", {}))
    problem_ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            extra: list[int] = []
            if operation.get("security"):
                extra += [401, 403]
            if operation.get("parameters") or operation.get("requestBody"):
                extra.append(422)
            for status, response in errors(*extra).items():
                responses.setdefault(str(status), response)
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = problem_ref
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    simulation: bool = False,
    wiring: Wiring | None = None,
) -> FastAPI:
    """The app on a process's wiring (the command line's), or on one of its own made from
    ``settings``. With ``simulation`` the clock is simulated (``clock`` or one starting now) and
    ``POST /api/v1/simulation/clock`` moves it; without, that route does not exist."""
    if wiring is None:
        if simulation:
            clock = clock or SimulatedClock(SystemClock().now())
        wiring = Wiring.from_settings(settings or get_settings(), clock=clock)
        owned = True
    elif settings is not None or clock is not None:
        raise ValueError("the settings and the clock come with the wiring")
    else:
        owned = False
    if simulation and not isinstance(wiring.clock, SimulatedClock):
        raise ValueError("simulation needs a SimulatedClock")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            wiring.dispose()

    app = FastAPI(
        title="Khumkrong",
        summary="คุ้มครอง — workflow engine for the Tak child-protection network",
        description=(
            "Cases, tasks, protocols and escalations of the Tak child-protection network. Sign in with "
            "`POST /api/v1/auth/login` (session cookie) or send a personal token as `Authorization: Bearer`. "
            "Errors are `application/problem+json` (RFC 9457)."
        ),
        version="0.1.0",
        lifespan=lifespan,
        # /docs is a page of its own (api/pages/docs.py): Swagger UI from the npm install, no CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.wiring = wiring
    # Sessions, tokens and lockouts run on real time even when the case clock is simulated.
    app.state.auth_clock = SystemClock() if simulation else wiring.clock
    app.state.simulation = simulation
    install_problem_handlers(app)
    # Outside Starlette's own middleware stack (whose outermost layer answers 500s), so that
    # every answer passes through the guard.
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: RequestObserver(  # type: ignore[method-assign]
        GuardMiddleware(_behind_proxies(build_stack(), wiring.settings)), trusted_proxies=wiring.settings.trusted_proxies,
    )

    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, agencies, protocols, forms, cases, children, tasks, escalations, reports):
        api.include_router(module.router)
    if simulation:
        api.include_router(simulation_routes.router)
    app.include_router(api)
    pages.install(app)
    install_metrics(app, session_factory=wiring.session_factory, clock=wiring.clock,
                    allowed=AddressList(wiring.settings.metrics_addresses), sql_interval=wiring.settings.metrics_sql_seconds)

    install_health(app, wiring.settings)

    app.openapi = lambda: _problem_openapi(app)  # type: ignore[method-assign]
    return app


__all__ = ["API_PREFIX", "PROBLEM_JSON", "create_app"]

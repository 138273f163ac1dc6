"""What every request leaves behind: a request id, one JSON log line and its metrics.

The request id is the ``X-Request-ID`` a trusted proxy sent (``Settings.trusted_proxies``), if
it looks like one, or a fresh one; it is echoed in the answer and stamped on every log line
written while the request runs. The line says who (user id), what (method and route template,
never the raw path or query, which may hold a child's name), the status and how long it took.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Iterable

from sqlalchemy import inspect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import request_id_var
from api.metrics import observe_request

log = logging.getLogger("khumkrong.request")

REQUEST_ID_HEADER = b"x-request-id"
# What a proxy's id may look like: a UUID, or any short token without spaces or separators
# that could break a log line or a header.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class AddressList:
    """Addresses and networks from the settings ("*" for any); a peer is in it or not."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.any = False
        self.networks: list[Network] = []
        for entry in entries:
            if entry.strip() == "*":
                self.any = True
                continue
            self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))

    def __contains__(self, host: object) -> bool:
        if self.any:
            return True
        if not isinstance(host, str):
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def route_of(scope: Scope) -> str | None:
    """The route template that answered ("/api/v1/tasks/{task_id}"), or None if none matched.

    A route of an included router knows its path below the router's prefix only
    ("/tasks/{task_id}"); the prefix is the literal part of the request path before the part
    the route's pattern matches.
    """
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if not isinstance(template, str):
        return None
    path = scope.get("path", "")
    if pattern is None or pattern.match(path):
        return template
    for cut in (index for index, char in enumerate(path) if char == "/" and index > 0):
        if pattern.match(path[cut:]):
            return path[:cut] + template
    return template


def _user_id(scope: Scope) -> int | None:
    """Who the request was authenticated as; read from the row's identity, since the user
    object may be expired and detached by the time the answer has gone."""
    credential = (scope.get("state") or {}).get("credential")
    user = getattr(credential, "user", None)
    if user is None:
        return None
    identity = inspect(user).identity
    return identity[0] if identity and isinstance(identity[0], int) else None


class RequestObserver:
    """ASGI middleware, outermost: sees the peer as it connected and every answer, 500s included."""

    def __init__(self, app: ASGIApp, *, trusted_proxies: Iterable[str]) -> None:
        self.app = app
        self.trusted = AddressList(trusted_proxies)

    def _request_id(self, scope: Scope) -> str:
        peer = scope.get("client")
        if peer and peer[0] in self.trusted:
            for name, value in scope.get("headers", []):
                if name == REQUEST_ID_HEADER:
                    offered = value.decode("latin-1")
                    if VALID_REQUEST_ID.fullmatch(offered):
                        return offered
                    break
        return uuid.uuid4().hex

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != REQUEST_ID_HEADER]
                message["headers"] = [*headers, (REQUEST_ID_HEADER, request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope)
            method = scope.get("method", "")
            observe_request(method=method, route=route, status=status, seconds=seconds)
            client = scope.get("client")
            # Probes and scrapes come every few seconds from the proxy and Prometheus: a line
            # each at INFO would bury the requests people made.
            level = logging.DEBUG if route in PROBES and status < 400 else logging.INFO
            log.log(
                level, "request", extra={
                    "method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1),
                    "user_id": _user_id(scope), "client": client[0] if client else None,
                },
            )
            request_id_var.reset(token)

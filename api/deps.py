"""Request-scoped dependencies: the database session, the clock, the network, who is asking,
and the case, task or escalation a path names if the caller may see it."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.schemas import MAX_ID
from engine.cases.access import visible_case, visible_escalation, visible_item
from engine.cases.models import Case, Escalation, WorkItem
from engine.clock import Clock
from engine.errors import Forbidden
from engine.network.definition import Network
from engine.people.actors import Actor
from engine.people.auth import Credential, Unauthenticated, resolve_session, resolve_token
from engine.people.roles import CASE_READING_ROLES, ESCALATION_ROLES

SESSION_COOKIE = "khumkrong_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Making one touches no database (it connects when first used), so
    it is made on the event loop; closing one that still holds a connection (an open
    transaction to roll back) is I/O and goes to the thread pool, closing one whose work was
    committed is not. A plain generator would cost two trips to the thread pool a request."""
    session: Session = request.app.state.wiring.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            # As FastAPI closes a plain generator's: shielded from cancellation, and with a
            # limiter of its own, so that a close never waits for a thread held by a request
            # that waits for this connection.
            with CancelScope(shield=True):
                await anyio.to_thread.run_sync(session.close, limiter=CapacityLimiter(1))
        else:
            session.close()


# The dependencies below only read what the process already holds: ``async def`` runs them on the
# event loop. A plain ``def`` would send each to the thread pool and back (two thread switches,
# a wake-up of the loop), which on a busy machine cost more than the request's own work.


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.wiring.clock
    return clock


async def get_auth_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.auth_clock
    return clock


async def get_network(request: Request) -> Network:
    network: Network = request.app.state.wiring.network
    return network


SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# Sessions, tokens and lockouts run on real time even when the case clock is simulated: moving a
# training server's clock a day ahead must not sign everyone out (nor keep sessions alive).
AuthClockDep = Annotated[Clock, Depends(get_auth_clock)]
NetworkDep = Annotated[Network, Depends(get_network)]

# Declared as security schemes so the OpenAPI document tells clients how to authenticate; the
# checks themselves are below (auto_error off: a missing credential is our own 401 problem).
bearer_scheme = HTTPBearer(auto_error=False, description="A personal API token (POST /api/v1/auth/tokens).")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="The session cookie set by POST /api/v1/auth/login.")


def client_address(request: Request) -> str | None:
    return request.client.host[:64] if request.client and request.client.host else None


def ensure_same_origin(request: Request) -> None:
    """Refuse a cookie-authenticated change sent by another site's page (CSRF).

    SameSite=Lax already keeps the cookie off cross-site POSTs in current browsers; this also
    covers same-site subdomains and older browsers. Non-browser clients send neither header
    and use bearer tokens anyway.
    """
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise Forbidden("cross-site requests may not change anything", field="origin")
    origin = request.headers.get("origin")
    if origin is None:
        return
    # The same origin is the same scheme, host and port: an https page may not change what an
    # http server holds, nor another port's page (the scheme is the proxy's, if one is trusted).
    ours = _origin(request.url.scheme, request.headers.get("host", ""))
    theirs = _origin(*origin.split("://", 1)) if "://" in origin else None
    if ours is None or theirs is None or theirs != ours:
        raise Forbidden("requests from another origin may not change anything", field="origin")


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if malformed."""
    scheme = scheme.lower()
    if scheme not in _DEFAULT_PORTS or not netloc or "/" in netloc or "@" in netloc:
        return None
    try:
        parsed = urlsplit(f"{scheme}://{netloc}")
        port = parsed.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, (parsed.hostname or "").lower(), port


def get_credential(
    request: Request,
    session: SessionDep,
    clock: AuthClockDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Credential:
    credential = None
    if request.headers.get("authorization") is not None:
        # A malformed or non-bearer Authorization header is refused, never ignored in favour of
        # a cookie: the caller meant to use it.
        if bearer is None or not bearer.credentials:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        credential = resolve_token(session, bearer.credentials.strip(), clock=clock)
    elif cookie:
        credential = resolve_session(session, cookie, clock=clock)
        if credential is not None and request.method not in SAFE_METHODS:
            ensure_same_origin(request)
    if credential is None:
        raise Unauthenticated("sign in first: send a session cookie or an 'Authorization: Bearer' token")
    request.state.credential = credential
    return credential


async def get_actor(request: Request, credential: Annotated[Credential, Depends(get_credential)]) -> Actor:
    # On the event loop (see get_clock): the user's row was loaded with the credential, so
    # reading its columns asks the database nothing.
    return Actor.of(credential.user, client_address=client_address(request))


CurrentCredential = Annotated[Credential, Depends(get_credential)]
CurrentUser = Annotated[Actor, Depends(get_actor)]


def require_role(roles: Iterable[str], what: str) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency admitting only actors in ``roles``: the role-level gate, before any lookup.

    Refusing by role first means the answer never depends on whether an object exists. It
    asks nothing of the database, so it runs on the event loop (see get_clock).
    """
    allowed = frozenset(roles)

    async def dependency(actor: CurrentUser) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(f"{actor.role} may not {what}", role=actor.role)
        return actor

    return dependency


# -- role gates, then the object the path names -------------------------------------------------
# A gate refuses by role before any lookup, so its answer never depends on whether an object
# exists; each is one callable, so FastAPI runs it once however many dependencies ask for it.

read_case_data = require_role(CASE_READING_ROLES, "read case data")
work_with_case_data = require_role(CASE_READING_ROLES, "work with case data")
handle_escalations = require_role(ESCALATION_ROLES, "handle escalations")
CaseReader = Annotated[Actor, Depends(read_case_data)]
TaskReader = Annotated[Actor, Depends(work_with_case_data)]
EscalationHandler = Annotated[Actor, Depends(handle_escalations)]


def attempted(request: Request) -> str:
    """What a refused caller tried, for the audit: the operation, as the API names it."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def get_visible_case(
    request: Request, session: SessionDep, clock: ClockDep, actor: CaseReader,
    case_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The case's id.")],
) -> Case:
    return visible_case(session=session, actor=actor, case_id=case_id, now=clock.now(), attempted=attempted(request))


def get_visible_task(
    request: Request, session: SessionDep, clock: ClockDep, actor: TaskReader,
    task_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The task's (work item's) id.")],
) -> WorkItem:
    return visible_item(session=session, actor=actor, work_item_id=task_id, now=clock.now(), attempted=attempted(request))


def get_visible_escalation(
    request: Request, session: SessionDep, clock: ClockDep, actor: EscalationHandler,
    escalation_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The escalation's id.")],
) -> Escalation:
    return visible_escalation(
        session=session, actor=actor, escalation_id=escalation_id, now=clock.now(), attempted=attempted(request)
    )


# The case, task or escalation the path names; to a caller who may not see it, it does not exist
# (404, and the refusal is audited as access.denied).
VisibleCase = Annotated[Case, Depends(get_visible_case)]
VisibleTask = Annotated[WorkItem, Depends(get_visible_task)]
VisibleEscalation = Annotated[Escalation, Depends(get_visible_escalation)]

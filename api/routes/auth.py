"""Signing in and out, who am I, and personal API tokens."""
from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import (
    SESSION_COOKIE,
    AuthClockDep,
    CurrentCredential,
    CurrentUser,
    SessionDep,
    client_address,
    ensure_same_origin,
)
from api.problems import errors
from api.schemas import Moment, Text, path_id
from engine.errors import Forbidden, InvalidInput
from engine.people import auth
from engine.people.models import User

router = APIRouter(tags=["auth"])


class LoginIn(BaseModel):
    username: Text = Field(min_length=1, max_length=64)
    password: Text = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    agency_code: str | None
    email: str | None
    authenticated_by: str = Field(description="'session' (cookie) or 'token' (bearer)")

    @classmethod
    def of(cls, user: User, method: str) -> Me:
        return cls(id=user.id, username=user.username, display_name=user.display_name, role=user.role_code,
                   agency_code=user.agency_code, email=user.email, authenticated_by=method)


class TokenIn(BaseModel):
    name: Text = Field(min_length=1, max_length=100, description="What the token is for, e.g. 'export script'.")
    expires_at: Moment | None = Field(
        default=None, description="When it stops working (at most a year ahead; by default 90 days, see Settings)."
    )


class TokenOut(BaseModel):
    id: int
    name: str
    hint: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, row: auth.ApiToken) -> TokenOut:
        return cls(id=row.id, name=row.name, hint=row.hint, created_at=row.created_at, expires_at=row.expires_at,
                   last_used_at=row.last_used_at, revoked_at=row.revoked_at, active=row.active)


class NewToken(TokenOut):
    token: str = Field(description="The secret. It is shown this once and stored only as a hash.")


@router.post("/auth/login", summary="Sign in with a password; sets the session cookie", responses=errors(401, 403, 429))
def login(body: LoginIn, request: Request, response: Response, session: SessionDep, clock: AuthClockDep) -> Me:
    ensure_same_origin(request)  # a forged login would put the victim in the attacker's account
    address = client_address(request)
    user = auth.authenticate(session, username=body.username, password=body.password, client_address=address, clock=clock)
    row, secret = auth.start_session(
        session, user=user, client_address=address, user_agent=request.headers.get("user-agent"), clock=clock
    )
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=int(auth.SESSION_LIFETIME.total_seconds()), path="/",
        httponly=True, samesite="lax", secure=request.url.scheme == "https",
    )
    return Me.of(user, "session")


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT,
             summary="End this session and clear its cookie, or revoke the token the request was sent with")
def logout(request: Request, session: SessionDep, clock: AuthClockDep, actor: CurrentUser, credential: CurrentCredential) -> Response:
    auth.log_out(session, credential=credential, actor=actor, clock=clock)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.get("/me", summary="Who is signed in")
def me(credential: CurrentCredential) -> Me:
    return Me.of(credential.user, credential.method)


@router.post("/auth/tokens", status_code=status.HTTP_201_CREATED, responses=errors(403),
             summary="Create a personal API token (shown once), from a signed-in session only")
def create_token(
    body: TokenIn, request: Request, session: SessionDep, clock: AuthClockDep, actor: CurrentUser,
    credential: CurrentCredential,
) -> NewToken:
    # A token that could mint tokens would let one stolen token outlive its own revocation.
    if credential.method != "session":
        raise Forbidden("tokens are made from a signed-in session, not with another token", field="authorization")
    if body.expires_at is not None and body.expires_at <= clock.now():
        raise InvalidInput("the expiry must be in the future", field="expires_at")
    lifetime = timedelta(days=request.app.state.wiring.settings.token_lifetime_days)
    row, secret = auth.create_token(session, user_id=actor.user_id, name=body.name, expires_at=body.expires_at, actor=actor,
                                    clock=clock, lifetime=lifetime)
    return NewToken(**TokenOut.of(row).model_dump(), token=secret)


@router.get("/auth/tokens", summary="My personal API tokens (without their secrets)")
def list_tokens(session: SessionDep, actor: CurrentUser) -> list[TokenOut]:
    return [TokenOut.of(row) for row in auth.tokens_of(session, actor.user_id)]


@router.delete("/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404), summary="Revoke a personal API token")
def revoke_token(session: SessionDep, clock: AuthClockDep, actor: CurrentUser, token_id: int = path_id("The token's id.")) -> Response:
    auth.revoke_token(session, token_id=token_id, actor=actor, clock=clock)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Who is signed in on a page, and the CSRF token every state-changing form carries.

Pages use the API's session (the same cookie, the same engine functions, the same expiry). The
CSRF token is derived from the session secret (before signing in, from a short-lived
pre-session secret): a page can read it, another site cannot, and nothing needs a server-side
key. Forms send it as ``csrf_token``; scripts send it as the ``X-CSRF-Token`` header. Changes
are also refused when the browser says they come from another origin, as the API does.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from api.deps import SAFE_METHODS, SESSION_COOKIE, SessionDep, client_address, ensure_same_origin
from engine.errors import Forbidden, KhumkrongError
from engine.people import auth
from engine.people.actors import Actor
from engine.people.auth import Credential
from engine.people.models import User

PRESESSION_COOKIE = "khumkrong_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PRESESSION_SECONDS = 2 * 60 * 60


class SignInRequired(KhumkrongError):
    """Not signed in (or the session ended): the page answers with the sign-in page."""

    code = "unauthenticated"


class CsrfRefused(Forbidden):
    """A change without the page's token: refused, whatever else it carries."""


def csrf_token_for(secret: str) -> str:
    digest = hashlib.sha256(b"khumkrong-csrf\x00" + secret.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _csrf_secret(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)


def csrf_token(request: Request) -> str:
    """The token for forms on this page; a visitor without any secret gets a pre-session one."""
    secret = getattr(request.state, "new_presession", None) or _csrf_secret(request)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        request.state.new_presession = secret
    return csrf_token_for(secret)


def keep_presession(request: Request, response: Response) -> None:
    """Send the pre-session secret a token was just made from (it lives for two hours)."""
    secret = getattr(request.state, "new_presession", None)
    if secret:
        response.set_cookie(PRESESSION_COOKIE, secret, max_age=PRESESSION_SECONDS, path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")


async def check_csrf(request: Request) -> None:
    """Refuse a change that does not carry this browser's token (or comes from another origin)."""
    if request.method in SAFE_METHODS:
        return
    ensure_same_origin(request)
    secret = _csrf_secret(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if secret is None or not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token_for(secret)):
        raise CsrfRefused("the form's security token is missing or out of date", field=CSRF_FIELD)


CsrfChecked = Depends(check_csrf)


@dataclass(frozen=True)
class PageUser:
    """The signed-in person, as the pages need them."""

    credential: Credential
    actor: Actor

    @property
    def user(self) -> User:
        return self.credential.user

    @property
    def role(self) -> str:
        return self.actor.role


def page_user_or_none(request: Request, session: SessionDep) -> PageUser | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    credential = auth.resolve_session(session, secret, clock=request.app.state.auth_clock)
    if credential is None:
        return None
    request.state.credential = credential
    return PageUser(credential, Actor.of(credential.user, client_address=client_address(request)))


OptionalPageUser = Annotated[PageUser | None, Depends(page_user_or_none)]


def sign_in_path(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    expired = "&expired=1" if request.cookies.get(SESSION_COOKIE) else ""
    return f"/signin?next={quote(target, safe='/')}{expired}"


def require_page_user(request: Request, user: OptionalPageUser) -> PageUser:
    if user is None:
        raise SignInRequired(sign_in_path(request))
    return user


CurrentPageUser = Annotated[PageUser, Depends(require_page_user)]


def page_role(roles: frozenset[str], what: str):
    """A dependency admitting only signed-in people in ``roles`` (others get the not-allowed page)."""

    def dependency(user: CurrentPageUser) -> PageUser:
        if user.role not in roles:
            raise Forbidden(f"{user.role} may not {what}", role=user.role)
        return user

    return dependency


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never another host (``//evil``, ``https://…``, ``/\\evil``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n"):
        return default
    return target

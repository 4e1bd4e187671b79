"""Who is asking: the session cookie, CSRF and Origin checks, setting and clearing the
cookies (the session's, the device cookie a login leaves, and a visitor's form cookie).

Pages' forms carry the CSRF token in a field: the session's token for a member, for a
visitor (logging in, registering, choosing a language) a random value also held in the
`forum_form` cookie, which another site can neither read nor set. A form holds the token
masked with a fresh pad each time (pad + token XOR pad), so a compressed page never
repeats the same secret bytes next to text an attacker chose (BREACH).
"""

from __future__ import annotations

import base64
import hmac
import secrets

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import HTTPConnection
from starlette.responses import Response

from forum import sessions
from forum.errors import forbidden
from forum.sessions import Current, LoggedIn, Login

COOKIE = "forum_session"
# Kept across logouts: it is how a login from a known browser is told apart from
# strangers' (`forum.sessions`). It holds no name or number a person could read.
DEVICE_COOKIE = "forum_device"
CSRF_HEADER = "x-csrf-token"
FORM_COOKIE = "forum_form"
FORM_FIELD = "csrf"
_FORM_TOKEN_BYTES = 32
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def current(conn: HTTPConnection, session: AsyncConnection) -> Current | None:
    token = conn.cookies.get(COOKIE)
    if not token or len(token) > 128:
        return None
    return await sessions.current(session, conn.app.state.policy, token)


def client_address(conn: HTTPConnection) -> str:
    """The client's address as the ASGI server saw it (behind a proxy: from its headers,
    which uvicorn trusts from the proxy's address only)."""
    return conn.client.host if conn.client else "unknown"


def user_agent(conn: HTTPConnection) -> str | None:
    """The browser's User-Agent, kept with a session it opens so its member can tell
    their sessions apart (`forum.sessions.list_open`)."""
    return conn.headers.get("user-agent") or None


def check_origin(conn: HTTPConnection) -> None:
    """Refuse a state change sent by a page of another site (the browser says which)."""
    origin = conn.headers.get("origin")
    if origin is None:  # not sent by a browser page (curl, server-to-server)
        return
    scheme = {"ws": "http", "wss": "https"}.get(conn.url.scheme, conn.url.scheme)
    own = f"{scheme}://{conn.url.netloc}"
    if origin != own and origin not in conn.app.state.settings.allowed_origins:
        raise forbidden("bad_origin", "Requests from this origin are not accepted.")


def check_csrf(conn: HTTPConnection, found: Current) -> None:
    sent = conn.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), found.csrf_token.encode()):
        raise forbidden("csrf_failed", "Missing or wrong X-CSRF-Token header.")


def form_token(conn: HTTPConnection, found: Current | None) -> tuple[str, bool]:
    """The secret a form must send back, and whether it is new (then `set_form_cookie`)."""
    if found is not None:
        return found.csrf_token, False
    held = conn.cookies.get(FORM_COOKIE, "")
    if 20 <= len(held) <= 64:
        return held, False
    return secrets.token_urlsafe(_FORM_TOKEN_BYTES), True


def mask(token: str) -> str:
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    hidden = bytes(a ^ b for a, b in zip(raw, pad, strict=True))
    return base64.urlsafe_b64encode(pad + hidden).decode()


def _unmask(sent: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(sent.encode("ascii"))
    except ValueError:
        return b""
    half = len(raw) // 2
    if len(raw) % 2:
        return b""
    return bytes(a ^ b for a, b in zip(raw[half:], raw[:half], strict=True))


def check_form_token(conn: HTTPConnection, sent: str, found: Current | None) -> None:
    expected = found.csrf_token if found is not None else conn.cookies.get(FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(_unmask(sent), expected.encode()):
        raise forbidden(
            "csrf_failed", "This form has expired or was not sent from this forum: try again."
        )


def set_form_cookie(conn: HTTPConnection, response: Response, token: str) -> None:
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=conn.url.scheme == "https",
        path="/",
    )


def set_cookies(conn: HTTPConnection, response: Response, done: LoggedIn) -> None:
    set_cookie(conn, response, done.login)
    response.set_cookie(
        DEVICE_COOKIE,
        done.device,
        max_age=int(sessions.DEVICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=conn.url.scheme == "https",
        path="/",
    )


def set_cookie(conn: HTTPConnection, response: Response, login: Login) -> None:
    settings = conn.app.state.settings
    response.set_cookie(
        COOKIE,
        login.token,
        max_age=int(settings.session_absolute.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=conn.url.scheme == "https",
        path="/",
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")

"""Who is asking: the session cookie, CSRF and Origin checks, setting and clearing the cookie."""

from __future__ import annotations

import hmac

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import HTTPConnection
from starlette.responses import Response

from forum import sessions
from forum.errors import forbidden
from forum.sessions import Current, Login

COOKIE = "forum_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def current(conn: HTTPConnection, session: AsyncConnection) -> Current | None:
    token = conn.cookies.get(COOKIE)
    if not token or len(token) > 128:
        return None
    return await sessions.current(session, conn.app.state.policy, token)


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

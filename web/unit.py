"""One request, one transaction: the actor is resolved and checked inside it.

A request under a rate limit (`unit(request, limit=Rule.POST)`) is the one place that
rule is applied, for the API and the pages alike. Its hit is counted with the session
check and, for most rules, committed before the work starts in a transaction of its own,
so a failing action (a wrong current password) still counts and the counter's row is
never locked for longer than that first step; the rules that limit work done
(`limits.COUNTED_WITH_THE_WORK`: posts, edits) count in the work's own transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from forum import idempotency, limits, notifications, sessions
from forum.catalog import Catalog
from forum.limits import Rule
from forum.permissions import ANONYMOUS, Actor
from forum.sessions import Attempt, Current, LoggedIn
from web import auth
from web.responses import JSON


@dataclass
class Unit:
    session: AsyncConnection
    actor: Actor
    current: Current | None
    request: Request

    async def catalog(self) -> Catalog:
        return await self.request.app.state.catalog.current()


def _page_view(request: Request) -> bool:
    """A page (not the API) read by a member, whose header shows their unread count; once
    per request."""
    return (
        request.method == "GET"
        and not request.url.path.startswith("/api/")
        and not hasattr(request.state, "unread")
    )


@asynccontextmanager
async def unit(
    request: Request, limit: Rule | None = None, form_token: str | None = None
) -> AsyncIterator[Unit]:
    """`form_token`: a page's form sends its CSRF token as a field (`web.forms`), checked
    for visitors too; the API sends the session's in a header."""
    async with request.app.state.db.connection() as connection:
        async with connection.begin():
            found = await auth.current(request, connection)
            if request.method not in auth.SAFE_METHODS:
                auth.check_origin(request)
                if form_token is not None:
                    auth.check_form_token(request, form_token, found)
                elif found is not None:
                    auth.check_csrf(request, found)
            actor = found.actor if found else ANONYMOUS
            if found is not None and _page_view(request):
                # The header's count (`_notification_count.html`), in the page's own
                # transaction: one probe of an index when nothing is unread.
                known = await request.app.state.catalog.current()
                request.state.unread = await notifications.unread_count(connection, actor, known)
            bucket = None
            if limit is not None:
                bucket = limits.of_request(
                    limit, user_id=actor.user_id, address=auth.client_address(request)
                )
            if bucket is None:
                yield Unit(connection, actor, found, request)
                return
            tally = await request.app.state.limiter.count(connection, [bucket])
            if limit in limits.COUNTED_WITH_THE_WORK:
                tally.check()
                yield Unit(connection, actor, found, request)
                return
        tally.check()
        async with connection.begin():
            yield Unit(connection, actor, found, request)


async def log_in(
    request: Request, email: str, password: str, form_token: str | None = None
) -> LoggedIn:
    """Log in from this client (the API's and the pages' one path); put both cookies on
    the answer with `auth.set_cookies`.

    The checks of any state change first (Origin; CSRF if a session cookie is sent, or a
    page's form token), then the login's own transactions (`forum.sessions.log_in`),
    none held by this one.
    """
    async with unit(request, form_token=form_token):
        pass
    state = request.app.state
    device = request.cookies.get(auth.DEVICE_COOKIE)
    attempt = Attempt(
        email, password, auth.client_address(request), device, auth.user_agent(request)
    )
    return await sessions.log_in(state.db, state.limiter, state.policy, attempt)


async def reader_actor(request: Request) -> Actor:
    """The actor for a read on `Database.reader`: no transaction at all for anonymous
    readers, a short one to check the session cookie otherwise."""
    if not request.cookies.get(auth.COOKIE):
        return ANONYMOUS
    async with unit(request) as u:
        return u.actor


async def write(
    request: Request,
    body: bytes,
    action: Callable[[Unit], Awaitable[dict[str, Any]]],
    status: int = 201,
    limit: Rule | None = None,
) -> JSON:
    """Run a write; with an `Idempotency-Key`, a retry gets the first answer instead."""
    key = request.headers.get("idempotency-key")
    async with unit(request, limit) as u:
        if key is None:
            return JSON(await action(u), status_code=status)
        scope = f"user:{u.actor.user_id}" if u.actor.authenticated else "anonymous"
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
        ).digest()
        stored = await idempotency.claim(u.session, scope, key, fingerprint)
        if stored is not None:
            return JSON(stored.response, status_code=stored.status)
        result = await action(u)
        await idempotency.record(u.session, scope, key, status, result)
        return JSON(result, status_code=status)

"""One request, one transaction: the actor is resolved and checked inside it."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from forum import idempotency
from forum.catalog import Catalog
from forum.permissions import ANONYMOUS, Actor
from forum.sessions import Current
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


@asynccontextmanager
async def unit(request: Request) -> AsyncIterator[Unit]:
    async with request.app.state.db.transaction() as session:
        found = await auth.current(request, session)
        if request.method not in auth.SAFE_METHODS:
            auth.check_origin(request)
            if found is not None:
                auth.check_csrf(request, found)
        yield Unit(session, found.actor if found else ANONYMOUS, found, request)


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
) -> JSON:
    """Run a write; with an `Idempotency-Key`, a retry gets the first answer instead."""
    key = request.headers.get("idempotency-key")
    async with unit(request) as u:
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

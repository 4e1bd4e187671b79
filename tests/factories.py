"""Small factories for test data; they go through the core, like the app does."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import cache
from typing import Any

import httpx
from argon2 import PasswordHasher
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import posts, sessions, threads
from forum.catalog import load as load_catalog
from forum.config import Rate, Rates, Settings
from forum.db import Database
from forum.mail.outbox import Mailer
from forum.models import Country, Region, Role, Topic, User
from forum.permissions import Actor
from web import auth
from web.app import create_app

PASSWORD = "correct horse battery"
BASE_URL = "http://forum.test"
_ids = itertools.count(1)
# For domain actions that queue mail, called outside the app (the outbox is not sent).
MAILER = Mailer(lambda value: value.encode(), "forum@forum.test")


@cache
def _password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


async def reference_data(session: AsyncConnection) -> None:
    await session.execute(
        insert(Region),
        [
            {"slug": "africa", "name": "Africa", "visibility": "public"},
            {"slug": "south-east-asia", "name": "South-East Asia", "visibility": "public"},
            {"slug": "staff-room", "name": "Members' room", "visibility": "members"},
        ],
    )
    await session.execute(
        insert(Topic),
        [
            {"slug": "whistleblower-protection", "name": "Whistleblower protection"},
            {"slug": "public-procurement", "name": "Public procurement"},
        ],
    )
    await session.execute(
        insert(Country),
        [
            {"code": "SN", "name": "Senegal", "region_id": 1},
            {"code": "KE", "name": "Kenya", "region_id": 1},
            {"code": "ID", "name": "Indonesia", "region_id": 2},
        ],
    )


def client(
    app: object, base_url: str = BASE_URL, *, address: str = "127.0.0.1", **kwargs: Any
) -> httpx.AsyncClient:
    """A client of the app as if from `address` (rate limits count per address)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=base_url, **kwargs)


@asynccontextmanager
async def app_with_rates(settings: Settings, **given: tuple[int, float]) -> AsyncIterator[Any]:
    """The app, running, with `rates(**given)` as its limits."""
    app = create_app(dataclasses.replace(settings, rates=rates(**given)))
    async with app.router.lifespan_context(app):
        yield app


def rates(**given: tuple[int, float]) -> Rates:
    """Default limits but for `rule=(count, window in seconds)`."""
    changed = {
        rule: Rate(count, timedelta(seconds=window)) for rule, (count, window) in given.items()
    }
    return dataclasses.replace(Rates(), **changed)


class Factory:
    def __init__(self, app: Any, db: Database) -> None:
        self.app = app
        self.db = db

    async def user(self, role: Role = Role.MEMBER, **values: Any) -> dict[str, Any]:
        n = next(_ids)
        row = {
            "email": f"member{n}@example.org",
            "display_name": f"Member {n}",
            "password_hash": _password_hash(),
            "role": role.value,
            **values,
        }
        async with self.db.transaction() as s:
            row["id"] = await s.scalar(insert(User).values(**row).returning(User.id))
        row["actor"] = Actor(row["id"], role)
        return row

    async def logged_in(self, user: dict[str, Any] | None = None) -> httpx.AsyncClient:
        """A client holding a real session cookie and sending its CSRF token."""
        user = user or await self.user()
        async with self.db.transaction() as s:
            login = await sessions.open(s, self.app.state.policy, user["id"])
        c = client(self.app, headers={"X-CSRF-Token": login.csrf_token})
        c.cookies.set(auth.COOKIE, login.token)
        c.user = user  # type: ignore[attr-defined]
        return c

    async def thread(
        self,
        author: dict[str, Any] | None = None,
        *,
        region: str = "africa",
        topic: str = "public-procurement",
        title: str = "Monitoring tenders",
        body: str = "Who has tried *open contracting* data?",
        countries: tuple[str, ...] = (),
        language: str | None = None,
    ) -> dict[str, Any]:
        author = author or await self.user()
        async with self.db.transaction() as s:
            return await threads.create_thread(
                s,
                author["actor"],
                await load_catalog(s),
                region=region,
                topic=topic,
                title=title,
                body=body,
                countries=list(countries),
                language=language,
            )

    async def reply(
        self,
        thread_id: int,
        author: dict[str, Any] | None = None,
        body: str = "A reply",
        language: str | None = None,
    ) -> dict[str, Any]:
        author = author or await self.user()
        async with self.db.transaction() as s:
            return await posts.reply(
                s,
                author["actor"],
                thread_id,
                body=body,
                language=language,
            )

"""Each search backend that can run here, as the shared suites use it (the `engine`
fixture, registered in `conftest.py`): PostgreSQL always, Meilisearch when
`FORUM_MEILI_URL` names a live server. And organisations and experiences made through
the core, as the app makes them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from forum import affiliations, experiences, organisations
from forum.catalog import load as load_catalog
from forum.db import Database
from forum.experiences import Story
from forum.models import Role
from forum.organisation_fields import Profile
from forum.permissions import Actor
from search.backend import Backend, Filters, Hit, Query, Results
from search.postgres import PostgresBackend
from search.service import Search
from tests.search.readers import VISITOR


def key(hit: Hit) -> tuple[str, object]:
    """A hit as (kind, what it names): a post's id, an organisation's slug or an
    experience's id."""
    if hit.post_id is not None:
        return hit.kind.value, hit.post_id
    if hit.experience_id is not None:
        return hit.kind.value, hit.experience_id
    return hit.kind.value, hit.organisation


@dataclass
class Engine:
    backend: Backend
    db: Database
    sync: Callable[[], Awaitable[object]]  # brings the backend up to date with the forum
    suggests: bool  # offers "did you mean" (Meilisearch corrects typos while matching)

    async def find(self, words: str, reader: Actor = VISITOR, **filters) -> Results:
        await self.sync()
        page = filters.pop("page", 1)
        async with self.db.transaction() as conn:
            catalog = await load_catalog(conn)
        regions = tuple(catalog.readable_regions(reader))
        query = Query(words, regions, Filters(**filters), page, topics=catalog.topics)
        return await self.backend.search(query)

    async def ids(self, words: str, reader: Actor = VISITOR, **filters) -> set[int]:
        return {h.post_id for h in (await self.find(words, reader, **filters)).hits}

    async def keys(self, words: str, reader: Actor = VISITOR, **filters) -> set[tuple]:
        return {key(h) for h in (await self.find(words, reader, **filters)).hits}


def _vocabulary_upkeep(search: Search) -> Callable[[], Awaitable[None]]:
    """What search's upkeep does for suggestions: new posts' words in, dead words out."""

    async def upkeep() -> None:
        await search.catch_up_vocabulary()
        await search.prune_vocabulary()

    return upkeep


@pytest.fixture(params=["postgres", "meilisearch"])
async def engine(request, db, make) -> AsyncIterator[Engine]:
    if request.param == "postgres":
        backend = PostgresBackend(db)
        yield Engine(backend, db, _vocabulary_upkeep(make.app.state.search), suggests=True)
        await backend.close()
        return
    url = os.environ.get("FORUM_MEILI_URL")
    if not url:
        pytest.skip("FORUM_MEILI_URL is not set: no live Meilisearch to test against")
    from search.indexer import Indexer
    from search.meili import MeiliBackend

    backend = MeiliBackend(url, os.environ.get("FORUM_MEILI_KEY"), prefix=f"t{uuid.uuid4().hex}_")
    await backend.start()
    try:
        yield Engine(backend, db, Indexer(db, backend).catch_up, suggests=False)
    finally:
        await backend.drop()
        await backend.close()


class Knowledge:
    """Organisations, affiliations and experiences, written through the core."""

    def __init__(self, db: Database, make: Any) -> None:
        self.db = db
        self.make = make
        self.admin: dict[str, Any] | None = None

    async def _admin(self) -> Actor:
        if self.admin is None:
            self.admin = await self.make.user(Role.ADMIN)
        return self.admin["actor"]

    async def organisation(self, slug: str, **profile: Any) -> str:
        profile = {"name": slug.title(), "country": "SN", "kind": "ngo"} | profile
        admin = await self._admin()
        async with self.db.transaction() as s:
            await organisations.create(s, admin, await load_catalog(s), slug, Profile(**profile))
        return slug

    async def update(self, slug: str, **changes: Any) -> None:
        admin = await self._admin()
        async with self.db.transaction() as s:
            await organisations.update_profile(s, admin, await load_catalog(s), slug, changes)

    async def join(self, slug: str, user: dict[str, Any], *, shown: bool) -> None:
        """The member joins on their own, choosing whether it is shown."""
        async with self.db.transaction() as s:
            await affiliations.affiliate(
                s, user["actor"], await load_catalog(s), slug, user_id=user["id"], shown=shown
            )

    async def show(self, slug: str, user: dict[str, Any], shown: bool) -> None:
        async with self.db.transaction() as s:
            await affiliations.show(s, user["actor"], await load_catalog(s), slug, shown)

    async def experience(self, slug: str, **story: Any) -> int:
        admin = await self._admin()
        async with self.db.transaction() as s:
            made = await experiences.create(s, admin, await load_catalog(s), slug, Story(**story))
        return made.id

    async def edit(self, experience_id: int, **changes: Any) -> None:
        admin = await self._admin()
        async with self.db.transaction() as s:
            await experiences.update_story(s, admin, await load_catalog(s), experience_id, changes)


@pytest.fixture
def knowledge(db, make) -> Knowledge:
    return Knowledge(db, make)

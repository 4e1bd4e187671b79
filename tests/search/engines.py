"""Each search backend that can run here, as the shared suites use it (the `engine`
fixture, registered in `conftest.py`): PostgreSQL always, Meilisearch when
`FORUM_MEILI_URL` names a live server. And organisations, experiences, news items, events
and resources made through the core, as the app makes them."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest

from forum import affiliations, calendar_events, experiences, news, organisations, resources
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
    """A hit as (kind, what it names): a post's id, an organisation's slug, or the id of
    an experience, a news item, an event or a resource."""
    if hit.post_id is not None:
        return hit.kind.value, hit.post_id
    if hit.experience_id is not None:
        return hit.kind.value, hit.experience_id
    if hit.item_id is not None:
        return hit.kind.value, hit.item_id
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


ENGINES = ["postgres", "meilisearch"]


@contextlib.asynccontextmanager
async def running(name: str, db: Database, make: Any) -> AsyncIterator[Engine]:
    """The engine `name`: "postgres", "meilisearch" (a live server, skipped without
    `FORUM_MEILI_URL`) or "fake-meilisearch" (the Meilisearch backend and indexer against
    `tests.search.fake_meili`: no typo tolerance nor language processing, so only for
    suites that need neither)."""
    if name == "postgres":
        backend = PostgresBackend(db)
        yield Engine(backend, db, _vocabulary_upkeep(make.app.state.search), suggests=True)
        await backend.close()
        return
    from search.indexer import Indexer
    from search.meili import MeiliBackend

    if name == "fake-meilisearch":
        from tests.search.fake_meili import KEY, QUICK
        from tests.search.fake_meili import running as fake_server

        async with fake_server(KEY) as fake:
            backend = MeiliBackend(fake.url, KEY, prefix="t_", **QUICK)  # type: ignore[arg-type]
            await backend.start()
            try:
                yield Engine(backend, db, Indexer(db, backend).catch_up, suggests=False)
            finally:
                await backend.close()
        return
    url = os.environ.get("FORUM_MEILI_URL")
    if not url:
        pytest.skip("FORUM_MEILI_URL is not set: no live Meilisearch to test against")
    backend = MeiliBackend(url, os.environ.get("FORUM_MEILI_KEY"), prefix=f"t{uuid.uuid4().hex}_")
    await backend.start()
    try:
        yield Engine(backend, db, Indexer(db, backend).catch_up, suggests=False)
    finally:
        await backend.drop()
        await backend.close()


@pytest.fixture(params=ENGINES)
async def engine(request, db, make) -> AsyncIterator[Engine]:
    async with running(request.param, db, make) as found:
        yield found


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


class Hub:
    """News items, events and resources, written through the core: published by an
    editor, or proposed by a member (`proposer`) for an editor to decide."""

    def __init__(self, db: Database, make: Any) -> None:
        self.db = db
        self.make = make
        self.editor: dict[str, Any] | None = None

    async def editing(self) -> Actor:
        if self.editor is None:
            self.editor = await self.make.user(Role.EDITOR)
        return self.editor["actor"]

    async def news(self, proposer: dict[str, Any] | None = None, **article: Any) -> int:
        article = {
            "title": "News",
            "source_name": "The Daily",
            "source_url": "https://example.org/news",
            "published_on": date(2026, 5, 14),
            "region": "africa",
        } | article
        actor = proposer["actor"] if proposer else await self.editing()
        async with self.db.transaction() as s:
            made = await news.create(s, actor, await load_catalog(s), news.Article(**article))
        return made.id

    async def edit_news(self, news_id: int, **changes: Any) -> None:
        editor = await self.editing()
        async with self.db.transaction() as s:
            await news.update_article(s, editor, await load_catalog(s), news_id, changes)

    async def decide_news(self, news_id: int, *, approve: bool) -> None:
        editor = await self.editing()
        async with self.db.transaction() as s:
            decide = news.approve if approve else news.decline
            await decide(s, editor, await load_catalog(s), news_id)

    async def event(
        self, proposer: dict[str, Any] | None = None, *, published: bool = True, **details: Any
    ) -> int:
        """An event (proposed by `proposer`, or by a member of its own), published unless
        told otherwise."""
        details = {
            "title": "Event",
            "region": "africa",
            "starts": datetime(2018, 5, 22, 9),
            "ends": datetime(2018, 5, 24, 17),
            "time_zone": "Africa/Dakar",
            "place": "Saly",
        } | details
        proposer = proposer or await self.make.user()
        async with self.db.transaction() as s:
            known = await load_catalog(s)
            made = await calendar_events.propose(
                s, proposer["actor"], known, calendar_events.Details(**details)
            )
        if published:
            await self.publish_event(made.id)
        return made.id

    async def publish_event(self, event_id: int) -> None:
        editor = await self.editing()
        async with self.db.transaction() as s:
            await calendar_events.publish(s, editor, await load_catalog(s), event_id)

    async def decline_event(self, event_id: int, reason: str = "Not ours.") -> None:
        editor = await self.editing()
        async with self.db.transaction() as s:
            await calendar_events.decline(s, editor, await load_catalog(s), event_id, reason)

    async def edit_event(self, event_id: int, **changes: Any) -> None:
        editor = await self.editing()
        async with self.db.transaction() as s:
            await calendar_events.update_details(
                s, editor, await load_catalog(s), event_id, changes
            )

    async def resource(self, **entry: Any) -> int:
        entry = {"title": "Resource", "url": "https://example.org/doc", "kind": "guide"} | entry
        editor = await self.editing()
        async with self.db.transaction() as s:
            known = await load_catalog(s)
            made = await resources.create(s, editor, known, resources.Entry(**entry))
        return made.id

    async def edit_resource(self, resource_id: int, **changes: Any) -> None:
        editor = await self.editing()
        async with self.db.transaction() as s:
            await resources.update_entry(s, editor, await load_catalog(s), resource_id, changes)


@pytest.fixture
def hub(db, make) -> Hub:
    return Hub(db, make)

"""Search as the app and the `forum` command run it: the configured backend, a reader's
request checked against the catalog and given the regions the reader may read now, and
the background work (the vocabulary for suggestions; the Meilisearch indexer when
Meilisearch is configured).

Built by the app's lifespan (or a CLI command); nothing here exists at import time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy import func, select, text

from forum import background, documents, knowledge_documents, locks, organisations
from forum.catalog import Catalog, CatalogCache
from forum.config import Settings
from forum.db import Database
from forum.errors import DomainError, Kind, invalid
from forum.locks import Lock
from forum.models import Post
from forum.permissions import Actor
from search import vocabulary
from search.backend import Backend, Filters, Query, Results, nothing_found
from search.indexer import Indexer
from search.meili import MeiliBackend, SearchUnavailable
from search.postgres import PostgresBackend

log = logging.getLogger("forum.search")

UPKEEP_EVERY = 30.0  # seconds
REBUILD_BATCH = 5_000


class Search:
    def __init__(self, db: Database, settings: Settings, catalog: CatalogCache) -> None:
        self.db = db
        self.catalog = catalog
        self.postgres = PostgresBackend(db)
        self.meili = (
            MeiliBackend(settings.meili_url, settings.meili_key) if settings.meili_url else None
        )
        self.backend: Backend = self.meili or self.postgres
        self.indexer = Indexer(db, self.meili) if self.meili else None
        self._tasks: list[asyncio.Task[None]] = []
        # Told how long each search took in the backend, in seconds (`web.metrics`).
        self.on_searched: Callable[[float], None] = lambda _seconds: None

    async def start(self) -> None:
        """Start the background work. Meilisearch being down does not stop the app: the
        indexer applies its settings when it can reach it, and searches answer 503."""
        self._tasks = [asyncio.create_task(self._keep_up_regularly())]
        if self.indexer:
            self._tasks.append(asyncio.create_task(self.indexer.run()))

    async def stop(self) -> None:
        await background.cancel(self._tasks)
        await self.postgres.close()
        if self.meili:
            await self.meili.close()

    async def words_of(self, query: str) -> str | None:
        """A query as the PostgreSQL backend matches it (whichever backend answers
        searches, new posts always have their PostgreSQL documents): what a saved search
        keeps to be tested against new posts."""
        return await self.postgres.words_of(query)

    async def find(self, actor: Actor, words: str, filters: Filters, page: int) -> Results:
        """What `actor` may find now: every hit, count and suggestion comes from the
        regions the policy lets them read in the current catalog."""
        catalog = await self.catalog.current()
        self._check(catalog, actor, filters)
        await self._check_organisation(catalog, actor, filters.organisation)
        readable = tuple(catalog.readable_regions(actor))
        if not readable:
            return nothing_found()
        query = Query(words, readable, filters, page, topics=catalog.topics)
        started = time.perf_counter()
        try:
            return await self.backend.search(query)
        except SearchUnavailable:
            raise DomainError(
                Kind.UNAVAILABLE,
                "search_unavailable",
                "Search is unavailable for a moment; try again shortly.",
                retry_after=5,
            ) from None
        finally:
            self.on_searched(time.perf_counter() - started)

    def _check(self, catalog: Catalog, actor: Actor, filters: Filters) -> None:
        """Unknown filter values are a clear error, not an empty page; a region the
        reader may not read is as unknown as one that does not exist."""
        if not (filters.regions or filters.topics or filters.countries):
            return
        readable = {r.slug for r in catalog.readable_regions(actor)}
        unknown = {
            "region": set(filters.regions) - readable,
            "topic": set(filters.topics) - {t.slug for t in catalog.topics},
            "country": set(filters.countries) - {c.code for c in catalog.countries},
        }
        for field, values in unknown.items():
            if values:
                code = f"unknown_{field}"
                raise invalid(field, f"Unknown {field}: {', '.join(sorted(values))}.", code)

    async def _check_organisation(self, catalog: Catalog, actor: Actor, slug: str | None) -> None:
        """An organisation the reader may not read is as unknown as one that does not
        exist: filtering by it would tell who shows an affiliation with it."""
        if slug is None:
            return
        async with self.db.transaction() as session:
            try:
                await organisations.find(session, actor, catalog, slug)
            except DomainError:
                raise invalid("org", f"Unknown organisation: {slug}.", "unknown_org") from None

    async def rebuild(self) -> int:
        """Rebuild every document from the posts and what is searched beside them
        (`forum.knowledge_documents`), and the vocabulary; search stays up.

        PostgreSQL documents are rewritten in place, batch by batch (each batch is
        right as soon as it commits); Meilisearch gets fresh indexes swapped in.
        """
        async with self.db.transaction() as session:
            last = await session.scalar(select(func.max(Post.id))) or 0
        for start in range(0, last, REBUILD_BATCH):
            async with self.db.transaction() as session:
                await documents.refresh(session, range(start + 1, start + REBUILD_BATCH + 1))
        async with self.db.transaction() as session:
            # A few thousand profiles with their experiences, news items, events and
            # resources: one transaction.
            every = await knowledge_documents.everything(session)
            await knowledge_documents.refresh(session, **every)
        async with self.db.transaction() as session:
            await session.execute(text("TRUNCATE search_terms, search_terms_fading"))
            await session.execute(
                text("DELETE FROM search_cursors WHERE name = :name"), {"name": vocabulary.CURSOR}
            )
        await self.keep_up()
        async with self.db.transaction() as session:
            await session.execute(text("ANALYZE search_documents"))
        if self.indexer:
            await self.indexer.rebuild()
        async with self.db.transaction() as session:
            return await session.scalar(text("SELECT count(*) FROM search_documents")) or 0

    async def catch_up_vocabulary(self) -> None:
        while await self.refresh_vocabulary():
            pass

    async def refresh_vocabulary(self) -> int:
        async with self.db.transaction() as session:
            # One worker at a time refreshes the vocabulary.
            if not await locks.try_for_transaction(session, Lock.VOCABULARY):
                return 0
            return await vocabulary.refresh(session)

    async def prune_vocabulary(self) -> int:
        """Drop from the vocabulary the words documents lost that no document holds any
        more (`vocabulary.take_fading`, `vocabulary.drop_dead`); the number dropped."""
        dropped = 0
        while True:
            async with self.db.transaction() as session:
                # One worker at a time takes words off the queue.
                if not await locks.try_for_transaction(session, Lock.VOCABULARY):
                    return dropped
                words = await vocabulary.take_fading(session)
            if words:
                async with self.db.transaction() as session:
                    dropped += await vocabulary.drop_dead(session, words)
            if len(words) < vocabulary.PRUNE_BATCH:
                return dropped

    async def keep_up(self) -> None:
        """The upkeep: the vocabulary takes in new posts and lets go of words no document
        holds any more; the PostgreSQL backend's window of newest documents moves on
        (`PostgresBackend.keep_window`)."""
        await self.catch_up_vocabulary()
        await self.prune_vocabulary()
        if self.backend is self.postgres:
            await self.postgres.keep_window()

    async def _keep_up_regularly(self) -> None:
        while True:
            try:
                await self.keep_up()
            except Exception as exc:  # the database is away; try at the next turn
                log.warning("search upkeep failed: %s", exc)
            await asyncio.sleep(UPKEEP_EVERY)

"""The Meilisearch indexer: drains the event log into the backend with a stored cursor.

Posts follow `post.*` and `thread.*` events (and renames, and `affiliation.changed`: a
post carries the organisations its author shows); organisations follow
`organisation.created|updated` (with their experiences, which are in their region) and
experiences `experience.created|updated`.

At least once: a batch's documents are sent, the backend acknowledges, and only then does
the cursor move (in `search_cursors`), so a crash or an outage replays a batch instead of
losing it; replays are harmless because upserts and removals are idempotent. A cursor
that fell behind the pruned log, or none at all, means a full rebuild.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import documents, events, knowledge_documents
from forum.consumers import LogPosition
from forum.db import Database
from forum.documents import Document
from forum.events import Cursor, Event
from forum.knowledge_documents import KnowledgeDocument
from forum.locks import Lock
from forum.models import Organisation, Post
from search.backend import Backend
from search.retry import Backoff

log = logging.getLogger("forum.search")


class Rebuildable(Backend, Protocol):
    async def rebuild(
        self,
        batches: AsyncIterable[Sequence[Document]],
        knowledge: Sequence[KnowledgeDocument] = (),
    ) -> None:
        """Replace the whole indexes with these documents, answering searches meanwhile."""

    async def index_knowledge(self, documents: Sequence[KnowledgeDocument]) -> None: ...

    async def remove_knowledge(
        self, organisation_ids: Sequence[int], experience_ids: Sequence[int]
    ) -> None: ...


def post_id(event: Event) -> int | None:
    """The post an event changed, if it names one; other events change no document."""
    if not (event.type.startswith("post.") or event.type == "thread.created"):
        return None
    return _id(event.payload.get("post_id"))


def thread_id(event: Event) -> int | None:
    """A thread whose every post may have changed (hidden, moved to another region)."""
    if not event.type.startswith("thread.") or event.type == "thread.created":
        return None
    return _id(event.payload.get("thread_id"))


def renamed_author(event: Event) -> int | None:
    """An account whose display name changed, or who joined, left, showed or hid an
    affiliation: every document of theirs carries their name and shown organisations."""
    if event.type == "affiliation.changed":
        return _id(event.payload.get("user_id"))
    if event.type != "user.updated" or "display_name" not in event.payload.get("fields", ()):
        return None
    return _id(event.payload.get("user_id"))


def organisation_slug(event: Event) -> str | None:
    """An organisation whose profile changed (its experiences are in its region)."""
    if event.type not in ("organisation.created", "organisation.updated"):
        return None
    slug = event.payload.get("organisation")
    return slug if isinstance(slug, str) else None


def experience_id(event: Event) -> int | None:
    if event.type not in ("experience.created", "experience.updated"):
        return None
    return _id(event.payload.get("experience_id"))


def _id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _chunks(ids: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    return (ids[i : i + size] for i in range(0, len(ids), size))


class Indexer:
    def __init__(
        self,
        db: Database,
        backend: Rebuildable,
        *,
        name: str = "meilisearch",
        batch: int = 500,
        poll: float = 1.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.db = db
        self.backend = backend
        self.name = name
        self.batch = batch
        self.poll = poll
        self.backoff = backoff or Backoff(base=0.5, cap=30.0)
        # One indexer per name at a time across worker processes (`forum.consumers`).
        self._log = LogPosition(db, name, Lock.INDEXER)

    async def position(self) -> Cursor | None:
        """Where the indexer has got to in the event log (None before its first run)."""
        return await self._log.get()

    async def catch_up(self) -> int:
        """Send every change up to the head of the log; the number of documents sent."""
        async with self._exclusive() as mine:
            return await self._drain() if mine else 0

    async def rebuild(self) -> int:
        """Reindex every post, organisation and experience into fresh indexes and swap them
        in; the number of posts indexed."""
        async with self._exclusive(wait=True):
            return await self._rebuild()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Catch up, then poll, until `stop` is set; ride out outages of the backend or
        the database with a growing wait, and warn once per outage."""
        stop = stop or asyncio.Event()
        failures = 0
        prepared = False
        while not stop.is_set():
            try:
                if not prepared:
                    # Settings (and indexes) again after every outage: a server that came
                    # back empty would otherwise get documents in an index without them.
                    await self.backend.start()
                    prepared = True
                await self.catch_up()
            except Exception as exc:
                if failures == 0:
                    log.warning("search indexing stopped, retrying until it recovers: %r", exc)
                delay = self.backoff.delay(failures)
                failures += 1
                prepared = False
            else:
                if failures:
                    log.info("search indexing recovered after %d failed attempts", failures)
                failures = 0
                delay = self.poll
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):  # not wait_for: see realtime.listener
                    await stop.wait()

    async def _drain(self) -> int:
        cursor = await self.position()
        if cursor is None or await self._expired(cursor):
            log.info("search index: %s, rebuilding", "no cursor" if cursor is None else "expired")
            return await self._rebuild()
        sent = 0
        while True:
            async with self.db.transaction() as conn:
                batch = await events.read(conn, cursor, self.batch)
                ids = await self._changed(conn, batch)
                organisations, stories = await self._knowledge_changed(conn, batch)
            if not batch:
                return sent
            await self._send(ids)
            await self._send_knowledge(organisations, stories)
            sent += len(ids) + len(organisations) + len(stories)
            cursor = batch[-1].cursor
            await self._save(cursor)
            if len(batch) < self.batch:
                return sent

    async def _expired(self, cursor: Cursor) -> bool:
        async with self.db.transaction() as conn:
            return await events.expired(conn, cursor)

    async def _changed(self, conn: AsyncConnection, batch: Sequence[Event]) -> list[int]:
        ids = dict.fromkeys(i for e in batch if (i := post_id(e)) is not None)
        threads = {t for e in batch if (t := thread_id(e)) is not None}
        if threads:
            # Uses index: uq_posts_thread_position
            rows = await conn.scalars(
                select(Post.id).where(Post.thread_id.in_(threads)).order_by(Post.id)
            )
            ids.update(dict.fromkeys(rows))
        authors = {a for e in batch if (a := renamed_author(e)) is not None}
        if authors:
            # Uses index: ix_posts_author_id
            rows = await conn.scalars(
                select(Post.id).where(Post.author_id.in_(authors)).order_by(Post.id)
            )
            ids.update(dict.fromkeys(rows))
        return list(ids)

    async def _knowledge_changed(
        self, conn: AsyncConnection, batch: Sequence[Event]
    ) -> tuple[list[int], list[int]]:
        """The organisations (by id) and experiences these events changed."""
        slugs = {s for e in batch if (s := organisation_slug(e)) is not None}
        organisations: list[int] = []
        if slugs:
            organisations = list(
                await conn.scalars(select(Organisation.id).where(Organisation.slug.in_(slugs)))
            )
        stories = list(dict.fromkeys(i for e in batch if (i := experience_id(e)) is not None))
        return organisations, stories

    async def _send_knowledge(self, organisations: list[int], stories: list[int]) -> None:
        if not (organisations or stories):
            return
        async with self.db.transaction() as conn:
            found = await knowledge_documents.load(
                conn, organisations=organisations, experiences=stories
            )
        if found:
            await self.backend.index_knowledge(found)
        # Gone since (a row deleted by an operator): nothing left to find.
        present = {(d.organisation_id, d.experience_id) for d in found}
        await self.backend.remove_knowledge(
            [o for o in organisations if (o, None) not in present],
            [s for s in stories if s not in {e for _, e in present}],
        )

    async def _send(self, ids: Sequence[int]) -> None:
        for chunk in _chunks(ids, self.batch):
            async with self.db.transaction() as conn:
                found = await documents.load(conn, chunk)
            if found:
                await self.backend.index(found)
            present = {d.id for d in found}
            missing = [i for i in chunk if i not in present]
            if missing:  # deleted or hidden since, or in a hidden thread
                await self.backend.remove(missing)

    async def _rebuild(self) -> int:
        # Every event after this head is replayed once the new index is in: a post that
        # changes while the rebuild reads the table is sent again with its later state.
        async with self.db.transaction() as conn:
            head = await events.head(conn)
        count = 0

        async def batches() -> AsyncIterator[Sequence[Document]]:
            nonlocal count
            after = 0
            while True:
                async with self.db.transaction() as conn:
                    # Uses index: pk_posts (keyset over post ids)
                    ids = list(
                        await conn.scalars(
                            select(Post.id)
                            .where(Post.id > after)
                            .order_by(Post.id)
                            .limit(self.batch)
                        )
                    )
                    if not ids:
                        return
                    found = await documents.load(conn, ids)
                after = ids[-1]
                count += len(found)
                yield found

        async with self.db.transaction() as conn:
            every = list(await conn.scalars(select(Organisation.id)))
            # A few thousand profiles and stories: one read.
            knowledge = await knowledge_documents.load(conn, organisations=every)
        await self.backend.rebuild(batches(), knowledge)
        await self._save(head)
        log.info("search index rebuilt: %d posts, %d others", count, len(knowledge))
        return count

    async def _save(self, cursor: Cursor) -> None:
        await self._log.save(cursor)

    def _exclusive(self, *, wait: bool = False) -> contextlib.AbstractAsyncContextManager[bool]:
        """Catching up skips a turn when another process holds the lock; a rebuild waits."""
        return self._log.exclusive(wait=wait)

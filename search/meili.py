"""The Meilisearch backend: indexes `posts`, `experiences`, `organisations`, `news`,
`events` and `resources` (under an optional prefix), settings written at start, one
federated multi-search per query across them (hits ranked together, facets merged, one
total). Every index but `resources` holds regional documents, filtered by the regions the
reader may read; everyone reads resources.

Writes return only once Meilisearch has finished the task, so the indexer moves its
cursor only past what is really searchable. Transient failures (connection refused or
reset, timeouts, 5xx, 429, tasks failing for internal reasons) are retried with
`search.retry`; when they outlast the retries, `SearchUnavailable` says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import httpx2
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)
from meilisearch_python_sdk.models.search import FederationMerged, MergeFacets, SearchParams
from meilisearch_python_sdk.models.settings import MeilisearchSettings
from meilisearch_python_sdk.models.task import TaskInfo

from forum.documents import Document
from forum.knowledge_documents import (
    EVENT,
    EXPERIENCE,
    NEWS,
    ORGANISATION,
    RESOURCE,
    KnowledgeDocument,
)
from search import meili_filters
from search.backend import (
    FACETS,
    MARK_END,
    MARK_START,
    MAX_PAGE,
    PER_PAGE,
    Hit,
    Kind,
    Query,
    Results,
    nothing_found,
    snippet_html,
)
from search.meili_documents import (
    BODY_FIELDS,
    FACET_ATTRIBUTES,
    RETRIEVED,
    SETTINGS,
    knowledge_to_meili,
    settings_cover,
    to_meili,
)
from search.retry import Backoff, retrying

T = TypeVar("T")

INDEXES = ("posts", "experiences", "organisations", "news", "events", "resources")
# The index of each kind of `forum.knowledge_documents`.
KNOWLEDGE_INDEXES = {
    ORGANISATION: "organisations",
    EXPERIENCE: "experiences",
    NEWS: "news",
    EVENT: "events",
    RESOURCE: "resources",
}
UNREGIONAL = frozenset({"resources"})  # indexes of documents everyone reads
MAX_FACET_VALUES = 100
CROP_WORDS = 32


class SearchUnavailable(Exception):
    """Meilisearch did not answer, or answered with a server error, after the retries."""


class TaskFailed(Exception):
    """Meilisearch accepted a write but did not carry it out."""

    def __init__(self, uid: int, status: str, error: dict[str, Any]) -> None:
        self.status = status
        self.code = str(error.get("code", ""))
        self.type = str(error.get("type", ""))
        super().__init__(f"task {uid} {status}: {self.code} {error.get('message', '')}".strip())

    @property
    def transient(self) -> bool:
        # `internal` and `system` (disk, open files) failures may pass; a canceled task
        # was stopped by an operator, not refused. `invalid_request` would fail again.
        return self.status == "canceled" or self.type in ("internal", "system")


def transient(exc: BaseException) -> bool:
    """Whether trying the same call again later may succeed."""
    if isinstance(exc, MeilisearchCommunicationError | MeilisearchTimeoutError):
        return True
    if isinstance(exc, MeilisearchApiError):
        return exc.status_code >= 500 or exc.status_code == 429
    if isinstance(exc, httpx2.HTTPStatusError):  # a proxy's non-JSON error page
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    if isinstance(exc, TaskFailed):
        return exc.transient
    if isinstance(exc, httpx2.TransportError):
        return True
    # The client wraps read timeouts and resets in a bare MeilisearchError.
    return isinstance(exc, MeilisearchError) and isinstance(exc.__cause__, httpx2.TransportError)


class MeiliBackend:
    name = "meilisearch"

    def __init__(
        self,
        url: str,
        key: str | None,
        *,
        prefix: str = "",
        attempts: int = 5,
        search_attempts: int = 2,  # a reader is waiting: one retry, then say so
        backoff: Backoff | None = None,
        timeout: int = 10,
        task_timeout: float = 120.0,
        task_poll: float = 0.05,
    ) -> None:
        self.url = url
        self.uids = {name: f"{prefix}{name}" for name in INDEXES}
        self.posts = self.uids["posts"]
        self.kinds = {uid: name for name, uid in self.uids.items()}
        self._key = key
        self._timeout = timeout
        self._attempts = attempts
        self._search_attempts = search_attempts
        self._backoff = backoff or Backoff()
        self._task_timeout_ms = int(task_timeout * 1000)
        self._task_poll_ms = max(1, int(task_poll * 1000))
        self._client: AsyncClient | None = None

    @property
    def client(self) -> AsyncClient:
        # Built on first use, not in __init__: an HTTP client belongs to the running loop.
        if self._client is None:
            self._client = AsyncClient(self.url, self._key, timeout=self._timeout)
        return self._client

    async def start(self) -> None:
        for uid in self.uids.values():
            await self._prepare(uid)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def drop(self) -> None:
        """Delete this backend's indexes (tests, and operators retiring a prefix)."""
        for uid in self.uids.values():
            await self._drop(uid)
            await self._drop(f"{uid}_rebuild")

    async def index(self, documents: Sequence[Document]) -> None:
        await self._add(self.posts, [to_meili(d) for d in documents])

    async def remove(self, post_ids: Sequence[int]) -> None:
        await self._remove(self.posts, post_ids)

    async def index_knowledge(self, documents: Sequence[KnowledgeDocument]) -> None:
        """Add or replace these documents (organisations, experiences, news items, events,
        resources), each in its kind's index."""
        for name, found in _by_index(documents).items():
            await self._add(self.uids[name], found)

    async def remove_knowledge(self, gone: Mapping[str, Sequence[int]]) -> None:
        """Remove documents by kind (`forum.knowledge_documents.KINDS`) and the id of what
        they were built from; unknown ids are ignored."""
        for kind, ids in gone.items():
            await self._remove(self.uids[KNOWLEDGE_INDEXES[kind]], ids)

    async def rebuild(
        self,
        batches: AsyncIterable[Sequence[Document]],
        knowledge: Sequence[KnowledgeDocument] = (),
    ) -> None:
        """Fill fresh indexes from `batches` (posts) and `knowledge` (everything else),
        then swap them in for the live ones at once: searches go on
        answering from the old indexes until the new ones are complete."""
        fresh = {uid: f"{uid}_rebuild" for uid in self.uids.values()}
        for new in fresh.values():
            await self._drop(new)  # what a rebuild that died half-way left behind
            await self._prepare(new)
        async for documents in batches:
            await self._add(fresh[self.posts], [to_meili(d) for d in documents])
        for name, found in _by_index(knowledge).items():
            await self._add(fresh[self.uids[name]], found)
        for uid in self.uids.values():
            await self._prepare(uid)  # swapping needs both indexes to exist
        # Never enqueued twice: a swap is its own undoing, and one whose answer was lost
        # may have happened. A failure here fails the rebuild, and starting it over (the
        # indexer does) is right either way.
        await self._task(lambda: self.client.swap_indexes(list(fresh.items())), repeatable=False)
        for new in fresh.values():
            await self._drop(new)  # now the old documents

    async def search(self, query: Query) -> Results:
        if not query.readable:  # a reader who may read no region finds nothing
            return nothing_found()
        page = min(max(query.page, 1), MAX_PAGE)
        filters = {
            regional: meili_filters.expression(query, regional=regional)
            for regional in (True, False)
        }
        queries = [
            SearchParams(
                index_uid=uid,
                query=query.text,
                filter=filters[name not in UNREGIONAL] or None,
                attributes_to_retrieve=list(RETRIEVED),
                attributes_to_crop=list(BODY_FIELDS),
                attributes_to_highlight=list(BODY_FIELDS),
                crop_length=CROP_WORDS,
                crop_marker="…",
                highlight_pre_tag=MARK_START,
                highlight_post_tag=MARK_END,
            )
            for name, uid in self.uids.items()
        ]
        # Facets of a federated search are asked for per index and merged into one
        # distribution; per-query `facets` are refused in federated mode.
        federation = FederationMerged(
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            facets_by_index={uid: list(FACET_ATTRIBUTES.values()) for uid in self.uids.values()},
            merge_facets=MergeFacets(max_values_per_facet=MAX_FACET_VALUES),
        )

        async def once() -> Any:
            return await self.client.multi_search(queries, federation=federation)

        try:
            result = await self._call(once, self._search_attempts)
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise  # a request we built wrong: a bug to fix, not an outage
            raise SearchUnavailable(f"Meilisearch has no index yet: {exc}") from exc
        total = result.estimated_total_hits or 0
        distribution = result.facet_distribution or {}
        return Results(
            hits=[self._hit(raw) for raw in result.hits],
            total=total,
            # Meilisearch stops counting at the pagination cap (`maxTotalHits`).
            exact=total < SETTINGS["pagination"]["maxTotalHits"],
            facets={
                f: {str(v): n for v, n in distribution.get(FACET_ATTRIBUTES[f], {}).items()}
                for f in FACETS
            },
            # Meilisearch corrects typos itself while matching, so there is no separate
            # respelling to offer.
            suggestion=None,
        )

    async def _add(self, uid: str, body: Sequence[dict[str, Any]]) -> None:
        if body:
            index = self.client.index(uid)
            # Named on every write: Meilisearch would not guess among `*id` attributes.
            await self._task(lambda: index.add_documents(list(body), primary_key="id"))

    async def _remove(self, uid: str, ids: Sequence[int]) -> None:
        if ids:
            keys = [str(i) for i in ids]
            await self._task(lambda: self.client.index(uid).delete_documents(keys))

    def _hit(self, raw: dict[str, Any]) -> Hit:
        if self.kinds.get(_index_of(raw) or "") == "posts":
            return _post_hit(raw)
        return _knowledge_hit(raw)

    async def _prepare(self, uid: str) -> None:
        """Write the index's settings if they differ (which also creates a missing index),
        so a start with unchanged settings costs reads only: a change reindexes."""
        index = self.client.index(uid)
        try:
            current = (await self._call(index.get_settings, self._attempts)).model_dump(
                by_alias=True
            )
        except MeilisearchApiError as exc:
            if exc.code != "index_not_found":
                raise
            current = {}
        if not settings_cover(current, SETTINGS):
            wanted = MeilisearchSettings.model_validate(SETTINGS)
            await self._task(lambda: index.update_settings(wanted))

    async def _drop(self, uid: str) -> None:
        await self._task(lambda: self.client.index(uid).delete(), tolerate=("index_not_found",))

    async def _task(
        self,
        enqueue: Callable[[], Awaitable[TaskInfo]],
        *,
        tolerate: tuple[str, ...] = (),
        repeatable: bool = True,
    ) -> None:
        """Enqueue a write and wait until Meilisearch has carried it out. Waiting is
        retried; the write is enqueued again (after a lost answer, or a task failing
        inside Meilisearch) only when `repeatable`: every write here is, but a swap."""

        async def once() -> None:
            try:
                info = await enqueue()
            except MeilisearchApiError as exc:  # refused before it became a task
                if exc.code in tolerate:
                    return
                raise
            task = await retrying(
                lambda: self.client.wait_for_task(
                    info.task_uid,
                    timeout_in_ms=self._task_timeout_ms,
                    interval_in_ms=self._task_poll_ms,
                ),
                transient=transient,
                backoff=self._backoff,
                attempts=self._attempts,
            )
            error = task.error or {}
            if task.status != "succeeded" and error.get("code") not in tolerate:
                raise TaskFailed(task.uid, task.status, error)

        await self._call(once, self._attempts if repeatable else 1)

    async def _call(self, call: Callable[[], Awaitable[T]], attempts: int) -> T:
        try:
            return await retrying(
                call, transient=transient, backoff=self._backoff, attempts=attempts
            )
        except Exception as exc:
            if transient(exc):
                raise SearchUnavailable(f"Meilisearch at {self.url} is unavailable: {exc}") from exc
            raise


def _index_of(raw: dict[str, Any]) -> str | None:
    federation = raw.get("_federation")
    return federation.get("indexUid") if isinstance(federation, dict) else None


def _by_index(documents: Sequence[KnowledgeDocument]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in KNOWLEDGE_INDEXES.values()}
    for doc in documents:
        found[KNOWLEDGE_INDEXES[doc.kind]].append(knowledge_to_meili(doc))
    return found


def _snippet(raw: dict[str, Any]) -> str:
    formatted = raw.get("_formatted") or {}
    marked = next((formatted[f] for f in BODY_FIELDS if isinstance(formatted.get(f), str)), "")
    return snippet_html(marked)


def _knowledge_hit(raw: dict[str, Any]) -> Hit:
    kind = Kind(raw["kind"])
    ends = raw.get("ends_at_iso")
    return Hit(
        kind=kind,
        title=raw["heading"],
        snippet=_snippet(raw),
        region=raw.get("region"),
        topics=tuple(raw["topics"]),
        countries=tuple(raw["countries"]),
        uncac_articles=tuple(raw["uncac_articles"]),
        created_at=datetime.fromisoformat(raw["created_at_iso"]),
        language=raw["language"],
        organisation=next(iter(raw["organisations"]), None),
        organisation_name=raw.get("organisation_name"),
        experience_id=int(raw["id"]) if kind is Kind.EXPERIENCE else None,
        item_id=raw.get("item_id"),
        ends_at=datetime.fromisoformat(ends) if ends else None,
        source=raw.get("source") or "",
        url=raw.get("url") or "",
    )


def _post_hit(raw: dict[str, Any]) -> Hit:
    return Hit(
        kind=Kind(raw["kind"]),
        post_id=int(raw["id"]),
        thread_id=raw["thread_id"],
        position=raw["position"],
        title=raw["thread_title"],
        snippet=_snippet(raw),
        region=raw["region"],
        topics=tuple(raw["topics"]),
        countries=tuple(raw["countries"]),
        author_id=raw["author_id"],
        author_name=raw["author_name"],
        created_at=datetime.fromisoformat(raw["created_at_iso"]),
        language=raw["language"],
    )

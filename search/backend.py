"""The interface every search backend implements, and the values that cross it.

A backend answers a `Query` (validated words, filters and the regions the reader may
read now) with `Results`: every hit, snippet, facet, total and suggestion comes from
documents of those regions only, whatever the documents were written with. Both backends
must give the same observable answers; one test suite (`tests/search/test_backends.py`,
`tests/search/test_kinds.py`, `tests/search/test_hub_kinds.py`) runs against each backend
that can run. Posts, organisations, experiences, news items, events and resources are
searched together: one query, one ranking, one total.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from forum.catalog import RegionEntry, TopicEntry
from forum.documents import Document

PER_PAGE = 20
MAX_PAGE = 50  # deeper than 1,000 results nobody reads; refine the query instead
MAX_QUERY = 500  # characters
# Posts have no UNCAC article: only organisations and experiences count in that facet.
FACETS = ("region", "topic", "kind", "country", "uncac")

# Highlighted words in a snippet come back from a backend between these markers (control
# characters, which post text cannot contain: `web.inputs` refuses them), so the text
# around them can be escaped before the markers become <mark> tags.
MARK_START = "\x02"
MARK_END = "\x03"


class Kind(enum.StrEnum):
    THREAD = "thread"  # a thread's opening post, with its title
    POST = "post"  # a reply
    ORGANISATION = "organisation"  # a CSO profile (`forum.knowledge_documents`)
    EXPERIENCE = "experience"  # a CSO's case story
    NEWS = "news"  # a published news item
    EVENT = "event"  # a published event, past ones too
    RESOURCE = "resource"  # a link to a document or a partner (no region: read by all)


@dataclass(frozen=True)
class Filters:
    kinds: tuple[Kind, ...] = ()
    regions: tuple[str, ...] = ()  # slugs (a resource, of no region, matches none)
    countries: tuple[str, ...] = ()  # ISO 3166 alpha-2
    topics: tuple[str, ...] = ()  # slugs
    uncac_articles: tuple[int, ...] = ()  # only organisations and experiences have any
    author: int | None = None  # posts only
    # An organisation's slug: the organisation itself, its experiences, and posts whose
    # author shows an affiliation with it (a hidden one is never searched).
    organisation: str | None = None
    since: date | None = None  # inclusive, UTC
    until: date | None = None  # inclusive, UTC


@dataclass(frozen=True)
class Query:
    text: str
    # The regions this reader may read now: the policy over the current catalog
    # (`Catalog.readable_regions`). Nothing outside them reaches the reader but
    # resources: of no region, everyone reads them (`forum.resources`).
    readable: tuple[RegionEntry, ...]
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    # The catalog's topics, from the same snapshot (a backend that stores topic ids names
    # them with these).
    topics: tuple[TopicEntry, ...] = ()


@dataclass(frozen=True)
class Hit:
    kind: Kind
    title: str  # a post's thread's title, an organisation's name, the others' titles
    snippet: str  # safe HTML: escaped text, matched words in <mark>
    region: str | None  # None for a resource: it belongs to no region
    topics: tuple[str, ...]  # a post's: its thread's one topic
    countries: tuple[str, ...]
    created_at: datetime  # a news item's day, an event's start
    language: str  # "" when unknown (an organisation that names no language)
    uncac_articles: tuple[int, ...] = ()
    # Posts (THREAD, POST)
    post_id: int | None = None
    thread_id: int | None = None
    position: int | None = None
    author_id: int | None = None
    author_name: str | None = None
    # Organisations and experiences: the organisation's slug and name
    organisation: str | None = None
    organisation_name: str | None = None
    experience_id: int | None = None
    # News items, events and resources: the item's id (`kind` says which); an event's
    # end; a news item's source, an event's place or a resource's kind; a resource's
    # address
    item_id: int | None = None
    ends_at: datetime | None = None
    source: str = ""
    url: str = ""


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int
    # False when counting stopped at a cap: `total` and the facet counts are then
    # lower bounds ("10,000+").
    exact: bool
    facets: dict[str, dict[str, int]]
    # A respelling of the query when some of its words look misspelled; when the query
    # as typed found nothing, the hits are the suggestion's (`corrected`).
    suggestion: str | None = None
    corrected: bool = False


def nothing_found() -> Results:
    """The answer to a query that can find nothing (no words, no readable region)."""
    return Results(hits=[], total=0, exact=True, facets={f: {} for f in FACETS})


class Backend(Protocol):
    name: str

    async def start(self) -> None:
        """Prepare the backend (settings, indexes); safe to call on every start."""

    async def close(self) -> None: ...

    async def index(self, documents: Sequence[Document]) -> None:
        """Add or replace these documents."""

    async def remove(self, post_ids: Sequence[int]) -> None:
        """Remove the documents of these posts; unknown ids are ignored."""

    async def search(self, query: Query) -> Results: ...


def snippet_html(marked: str) -> str:
    """Escape a backend's snippet and turn its markers into <mark> tags."""
    escaped = html.escape(marked, quote=False)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")

"""Regions, topics and countries: the reference data threads are filed under.

Every process keeps one snapshot of them (`Catalog`, through `CatalogCache`), used by the
core, search and the pages alike. They hardly ever change, and when they do, a trigger
(migration 0004) appends a `catalog.changed` event, so even an operator's SQL reaches
every process: its event listener drops the snapshot at once. A process without a
listener (a CLI command) reads it again after STALE_AFTER.

How many threads a region or topic holds changes with every thread, so it is not part of
the snapshot: `thread_counts` keeps one row per region and topic of the threads readers
see (not hidden), and a reader's count adds up the rows of the regions they may read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import Database
from forum.errors import invalid, not_found
from forum.events import Event
from forum.models import Country, Region, ThreadCount, Topic, Visibility
from forum.permissions import Actor, can_read_region, check_can_administer

CHANGED = "catalog.changed"  # the event type the trigger appends
STALE_AFTER = 60.0  # seconds


@dataclass(frozen=True)
class RegionEntry:
    id: int
    slug: str
    name: str
    description: str
    visibility: str
    approve_new_members: bool = False  # `forum.approvals`


@dataclass(frozen=True)
class TopicEntry:
    id: int
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class CountryEntry:
    code: str  # ISO 3166-1 alpha-2, upper case
    name: str
    region_id: int


@dataclass(frozen=True)
class Catalog:
    regions: tuple[RegionEntry, ...]  # in name order, like every list below
    topics: tuple[TopicEntry, ...]
    countries: tuple[CountryEntry, ...]
    _regions: dict[str, RegionEntry] = field(init=False, repr=False, compare=False)
    _region_ids: dict[int, RegionEntry] = field(init=False, repr=False, compare=False)
    _topics: dict[str, TopicEntry] = field(init=False, repr=False, compare=False)
    _topic_ids: dict[int, TopicEntry] = field(init=False, repr=False, compare=False)
    _countries: dict[str, CountryEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        indexes = {
            "_regions": {r.slug: r for r in self.regions},
            "_region_ids": {r.id: r for r in self.regions},
            "_topics": {t.slug: t for t in self.topics},
            "_topic_ids": {t.id: t for t in self.topics},
            "_countries": {c.code: c for c in self.countries},
        }
        for name, index in indexes.items():
            object.__setattr__(self, name, index)

    def region(self, actor: Actor, slug: str, *, field: str | None = None) -> RegionEntry:
        """The region a reader names, or an error: 422 on `field` for a body value, else
        404. A region the actor may not read answers exactly like a missing one."""
        found = self._regions.get(slug)
        if found is None or not can_read_region(actor, found.visibility):
            if field:
                raise invalid(field, "No such region.", "unknown_region")
            raise not_found("region")
        return found

    def region_by_id(self, region_id: int) -> RegionEntry | None:
        return self._region_ids.get(region_id)

    def topic(self, slug: str, *, field: str | None = None) -> TopicEntry:
        found = self._topics.get(slug)
        if found is None:
            if field:
                raise invalid(field, "No such topic.", "unknown_topic")
            raise not_found("topic")
        return found

    def topic_by_id(self, topic_id: int) -> TopicEntry | None:
        return self._topic_ids.get(topic_id)

    def country_codes(self, codes: Iterable[str], *, field: str) -> list[str]:
        """The codes, deduplicated and upper-cased, all known, or a 422 naming the unknown."""
        wanted = sorted({c.upper() for c in codes})
        unknown = [c for c in wanted if c not in self._countries]
        if unknown:
            raise invalid(field, f"Unknown country codes: {', '.join(unknown)}.", "unknown_country")
        return wanted

    def readable_regions(self, actor: Actor) -> list[RegionEntry]:
        return [r for r in self.regions if can_read_region(actor, r.visibility)]

    def readable_countries(self, actor: Actor) -> list[CountryEntry]:
        readable = {r.id for r in self.readable_regions(actor)}
        return [c for c in self.countries if c.region_id in readable]

    def name(self, kind: str, slug: str) -> str:
        """The name of the region, topic or country (`kind`) a slug or code names; else the
        slug itself."""
        entries: dict[str, Any] = {
            "region": self._regions,
            "topic": self._topics,
            "country": self._countries,
        }.get(kind, {})
        found = entries.get(slug)
        return found.name if found else slug


async def load(conn: AsyncConnection) -> Catalog:
    regions = await conn.execute(
        select(Region.id, Region.slug, Region.name, Region.description, Region.visibility,
               Region.approve_new_members)
        .order_by(Region.name)
    )  # fmt: skip
    topics = await conn.execute(
        select(Topic.id, Topic.slug, Topic.name, Topic.description).order_by(Topic.name)
    )
    countries = await conn.execute(
        select(Country.code, Country.name, Country.region_id).order_by(Country.name)
    )
    return Catalog(
        regions=tuple(RegionEntry(*r) for r in regions),
        topics=tuple(TopicEntry(*t) for t in topics),
        countries=tuple(CountryEntry(*c) for c in countries),
    )


class CatalogCache:
    """One process's snapshot, read again after a change (`changed`) or STALE_AFTER."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._snapshot: tuple[int, float, Catalog] | None = None  # (generation, read at, ...)
        self._generation = 0
        self._reading = asyncio.Lock()

    def changed(self) -> None:
        # A read already under way may have seen the old rows: its snapshot carries the
        # generation it started in and is not used.
        self._generation += 1

    def notice(self, batch: Sequence[Event]) -> None:
        """Look at events as the process's listener reads them: a change means read again."""
        if any(event.type == CHANGED for event in batch):
            self.changed()

    async def current(self) -> Catalog:
        found = self._fresh()
        if found is not None:
            return found
        async with self._reading:
            found = self._fresh()
            if found is None:
                generation = self._generation
                async with self._db.transaction() as conn:
                    found = await load(conn)
                self._snapshot = (generation, monotonic(), found)
        return found

    def _fresh(self) -> Catalog | None:
        if self._snapshot is None:
            return None
        generation, read_at, catalog = self._snapshot
        if generation != self._generation or monotonic() - read_at > STALE_AFTER:
            return None
        return catalog


async def set_region_visibility(
    conn: AsyncConnection, actor: Actor, slug: str, visibility: Visibility
) -> None:
    """Open a region to everyone or close it to members. Readers, search and realtime
    follow at once: each asks for the region as it is now (the change is an event too)."""
    check_can_administer(actor)
    changed = await conn.scalar(
        update(Region).where(Region.slug == slug).values(visibility=visibility.value)
        .returning(Region.id)
    )  # fmt: skip
    if changed is None:
        raise not_found("region")


async def count_thread(conn: AsyncConnection, region_id: int, topic_id: int, delta: int) -> None:
    """A thread readers see appeared (+1) or went (-1) in this region and topic."""
    await conn.execute(
        insert(ThreadCount)
        .values(region_id=region_id, topic_id=topic_id, threads=delta)
        .on_conflict_do_update(
            index_elements=[ThreadCount.region_id, ThreadCount.topic_id],
            set_={"threads": ThreadCount.threads + delta},
        )
    )


async def _counts(conn: AsyncConnection, regions: Iterable[RegionEntry]) -> list[Any]:
    ids = [r.id for r in regions]
    rows = await conn.execute(
        select(ThreadCount.region_id, ThreadCount.topic_id, ThreadCount.threads).where(
            ThreadCount.region_id.in_(ids)
        )
    )
    return list(rows)


async def list_regions(
    conn: AsyncConnection, actor: Actor, catalog: Catalog
) -> list[dict[str, Any]]:
    readable = catalog.readable_regions(actor)
    counts: dict[int, int] = {}
    for region_id, _, threads in await _counts(conn, readable):
        counts[region_id] = counts.get(region_id, 0) + threads
    return [
        {
            "slug": r.slug,
            "name": r.name,
            "description": r.description,
            "visibility": r.visibility,
            "thread_count": counts.get(r.id, 0),
        }
        for r in readable
    ]


async def list_topics(
    conn: AsyncConnection, actor: Actor, catalog: Catalog
) -> list[dict[str, Any]]:
    """Every topic, counting only the threads of regions this reader may read."""
    counts: dict[int, int] = {}
    for _, topic_id, threads in await _counts(conn, catalog.readable_regions(actor)):
        counts[topic_id] = counts.get(topic_id, 0) + threads
    return [
        {
            "slug": t.slug,
            "name": t.name,
            "description": t.description,
            "thread_count": counts.get(t.id, 0),
        }
        for t in catalog.topics
    ]


def list_countries(actor: Actor, catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {"code": c.code, "name": c.name, "region": region.slug}
        for c in catalog.readable_countries(actor)
        if (region := catalog.region_by_id(c.region_id)) is not None
    ]

"""Regions, topics and countries: the reference data threads are filed under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.errors import invalid, not_found
from forum.models import Country, Region, Topic
from forum.permissions import Actor, can_read_region, readable_visibilities


@dataclass(frozen=True)
class RegionRef:
    id: int
    slug: str
    visibility: str


async def list_regions(session: AsyncConnection, actor: Actor) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Region.slug, Region.name, Region.description, Region.visibility, Region.thread_count)
        .where(Region.visibility.in_(readable_visibilities(actor)))
        .order_by(Region.name)
    )
    return [dict(r._mapping) for r in rows]


async def list_topics(session: AsyncConnection) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Topic.slug, Topic.name, Topic.description, Topic.thread_count).order_by(Topic.name)
    )
    return [dict(r._mapping) for r in rows]


async def list_countries(session: AsyncConnection, actor: Actor) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(Country.code, Country.name, Region.slug.label("region"))
        .join(Region, Region.id == Country.region_id)
        .where(Region.visibility.in_(readable_visibilities(actor)))
        .order_by(Country.name)
    )
    return [dict(r._mapping) for r in rows]


async def region(
    session: AsyncConnection, actor: Actor, slug: str, *, field: str | None = None
) -> RegionRef:
    """The region a reader names, or an error: 422 on `field` for a body value, else 404.

    A region the actor may not read answers exactly like a missing one.
    """
    row = (
        await session.execute(
            select(Region.id, Region.slug, Region.visibility).where(Region.slug == slug)
        )
    ).first()
    if row is None or not can_read_region(actor, row.visibility):
        if field:
            raise invalid(field, "No such region.", "unknown_region")
        raise not_found("region")
    return RegionRef(row.id, row.slug, row.visibility)


async def topic_id(session: AsyncConnection, slug: str, *, field: str | None = None) -> int:
    found = await session.scalar(select(Topic.id).where(Topic.slug == slug))
    if found is None:
        if field:
            raise invalid(field, "No such topic.", "unknown_topic")
        raise not_found("topic")
    return found


async def country_codes(session: AsyncConnection, codes: list[str], *, field: str) -> list[str]:
    """The codes, deduplicated and upper-cased, all known, or a 422 naming the unknown."""
    wanted = sorted({c.upper() for c in codes})
    if not wanted:
        return []
    known = set(await session.scalars(select(Country.code).where(Country.code.in_(wanted))))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise invalid(field, f"Unknown country codes: {', '.join(unknown)}.", "unknown_country")
    return wanted

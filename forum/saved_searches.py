"""Saved searches: a query and its filters (kind, region, topic, country), followed as
`search:<id>` (`forum.follows`). New posts and experiences that match notify
(`forum.notifier`): each batch of them is tested against the saved queries in one
statement, with their search documents; no search is run again. A kind narrows it to
new threads (`thread`, their opening posts), replies (`post`) or experiences.

`words` is the query as the PostgreSQL search reads it, given by the search layer
(`search.service.Search.words_of`), which owns how words become a tsquery. Tables
`saved_searches` and `follows`, through Core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import Follow, FollowLevel, SavedSearch
from forum.permissions import Actor, check_signed_in

MAX_SAVED = 50  # per member
MAX_NAME = 100
MAX_QUERY = 500
# The kinds of search document a new one of notifies (the search's kinds' names).
KINDS = ("thread", "post", "experience")


@dataclass(frozen=True)
class Saved:
    id: int
    name: str
    query: str
    region: str | None
    topic: str | None
    country: str | None
    created_at: datetime
    kind: str | None = None

    @property
    def target(self) -> str:
        return f"search:{self.id}"


def _saved(row: Any, catalog: Catalog) -> Saved:
    f = row.filters or {}
    region = catalog.region_by_id(f["region_id"]) if "region_id" in f else None
    topic = catalog.topic_by_id(f["topic_id"]) if "topic_id" in f else None
    return Saved(row.id, row.name, row.query, region.slug if region else None,
                 topic.slug if topic else None, f.get("country"), row.created_at,
                 f.get("kind"))  # fmt: skip


def check_filters(
    actor: Actor,
    catalog: Catalog,
    region: str | None,
    topic: str | None,
    country: str | None,
    kind: str | None = None,
) -> dict[str, Any]:
    """The filters as stored (ids, which the fan-out compares with documents)."""
    filters: dict[str, Any] = {}
    if kind:
        if kind not in KINDS:
            message = "Only new threads, posts and experiences notify: choose one of those."
            raise invalid("kind", message, "invalid_kind")
        filters["kind"] = kind
    if region:
        filters["region_id"] = catalog.region(actor, region, field="region").id
    if topic:
        filters["topic_id"] = catalog.topic(topic, field="topic").id
    if country:
        [code] = catalog.country_codes([country], field="country")
        filters["country"] = code
    return filters


async def create(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    name: str,
    query: str,
    words: str | None,
    region: str | None = None,
    topic: str | None = None,
    country: str | None = None,
    kind: str | None = None,
) -> Saved:
    """Save a search and watch it. `words`: the query as search reads it (None: only
    stop words, 422)."""
    check_signed_in(actor)
    name, query = name.strip(), query.strip()
    if not name or len(name) > MAX_NAME:
        raise invalid("name", f"Give it a name of at most {MAX_NAME} characters.", "invalid_name")
    if not query or len(query) > MAX_QUERY or not words:
        raise invalid("q", "Search for some words first.", "invalid_query")
    filters = check_filters(actor, catalog, region, topic, country, kind)
    count = await session.scalar(
        select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == actor.user_id)
    )
    if (count or 0) >= MAX_SAVED:
        message = f"You have {MAX_SAVED} saved searches already: delete some first."
        raise DomainError(Kind.CONFLICT, "too_many_saved_searches", message)
    row = (
        await session.execute(
            insert(SavedSearch)
            .values(user_id=actor.user_id, name=name, query=query, words=words, filters=filters)
            .returning(SavedSearch.__table__.c)
        )
    ).one()
    await session.execute(
        insert(Follow).values(
            user_id=actor.user_id, target=f"search:{row.id}", level=FollowLevel.WATCHING.value
        )
    )
    return _saved(row, catalog)


async def mine(session: AsyncConnection, actor: Actor, catalog: Catalog) -> list[Saved]:
    check_signed_in(actor)
    rows = await session.execute(
        select(SavedSearch.__table__.c)
        .where(SavedSearch.user_id == actor.user_id)
        .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
    )
    return [_saved(r, catalog) for r in rows]


async def remove(session: AsyncConnection, actor: Actor, saved_id: int) -> None:
    """Delete a saved search of one's own, and its follow; anyone else's is 404."""
    check_signed_in(actor)
    result = await session.execute(
        delete(SavedSearch).where(SavedSearch.id == saved_id, SavedSearch.user_id == actor.user_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise not_found("saved_search")
    await session.execute(
        delete(Follow).where(Follow.user_id == actor.user_id, Follow.target == f"search:{saved_id}")
    )

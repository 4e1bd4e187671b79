"""Threads: starting one, listing them, reading one with its posts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import catalog, documents, events, pagination
from forum.db import Prepared
from forum.errors import not_found
from forum.models import Post, Region, Thread, ThreadCountry, Topic, User
from forum.permissions import (
    Actor,
    can_read_thread,
    check_can_write,
    event_visibility,
    readable_visibilities,
)
from forum.posts import event_payload, insert_post, post_query, post_view

MAX_POSITION = 2**31 - 1  # posts.position is int4

_countries = (
    select(func.coalesce(func.array_agg(ThreadCountry.country_code), text("'{}'")))
    .where(ThreadCountry.thread_id == Thread.id)
    .scalar_subquery()
)

_THREAD_COLUMNS = (
    Thread.id,
    Thread.title,
    Thread.created_at,
    Thread.last_activity_at,
    Thread.post_count,
    Thread.pinned,
    Thread.locked,
    Thread.hidden,
    Region.slug.label("region"),
    Region.visibility.label("region_visibility"),
    Topic.slug.label("topic"),
    Thread.author_id,
    User.display_name.label("author_name"),
    _countries.label("countries"),
)


def _thread_query():  # type: ignore[no-untyped-def]
    return (
        select(*_THREAD_COLUMNS)
        .join(Region, Region.id == Thread.region_id)
        .join(Topic, Topic.id == Thread.topic_id)
        .join(User, User.id == Thread.author_id)
    )


def thread_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "region": row["region"],
        "topic": row["topic"],
        "countries": sorted(row["countries"]),
        "author": {"id": row["author_id"], "name": row["author_name"]},
        "created_at": row["created_at"],
        "last_activity_at": row["last_activity_at"],
        "post_count": row["post_count"],
        "reply_count": row["post_count"] - 1,
        "pinned": row["pinned"],
        "locked": row["locked"],
        "hidden": row["hidden"],
    }


async def create_thread(
    session: AsyncConnection,
    actor: Actor,
    *,
    region: str,
    topic: str,
    title: str,
    body: str,
    body_html: str,
    countries: list[str],
    language: str | None = None,
) -> dict[str, Any]:
    check_can_write(actor)
    assert actor.user_id is not None
    region_ref = await catalog.region(session, actor, region, field="region")
    topic_id = await catalog.topic_id(session, topic, field="topic")
    codes = await catalog.country_codes(session, countries, field="countries")

    thread_id = await session.scalar(
        insert(Thread)
        .values(
            region_id=region_ref.id,
            topic_id=topic_id,
            author_id=actor.user_id,
            title=title,
            post_count=1,
        )
        .returning(Thread.id)
    )
    assert thread_id is not None
    if codes:
        await session.execute(
            insert(ThreadCountry), [{"thread_id": thread_id, "country_code": c} for c in codes]
        )
    # Counters the listing pages show; the row locks serialise thread creation per
    # region and topic, which is rare next to replies.
    await session.execute(
        update(Region)
        .where(Region.id == region_ref.id)
        .values(thread_count=Region.thread_count + 1)
    )
    await session.execute(
        update(Topic).where(Topic.id == topic_id).values(thread_count=Topic.thread_count + 1)
    )
    first = await insert_post(
        session,
        actor,
        thread_id=thread_id,
        position=1,
        body=body,
        body_html=body_html,
        language=language,
    )
    await documents.refresh(session, [first["id"]])
    thread = thread_view(
        (await session.execute(_thread_query().where(Thread.id == thread_id))).mappings().one()
    )
    await events.append(
        session,
        "thread.created",
        events.thread_channels(thread_id, region_ref.slug, topic),
        event_visibility(region_ref.visibility, thread_hidden=False),
        {"thread": thread, **event_payload(first)},
    )
    return {"thread": thread, "post": post_view(first, actor)}


async def list_threads(
    session: AsyncConnection,
    actor: Actor,
    *,
    region: str | None = None,
    topic: str | None = None,
    country: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """Pinned first, then newest activity first; keyset pages of `limit` threads."""
    query = _thread_query().where(Region.visibility.in_(readable_visibilities(actor)))
    if not actor.staff:
        query = query.where(~Thread.hidden)
    if region is not None:
        # Uses index: ix_threads_region_listing
        query = query.where(Thread.region_id == (await catalog.region(session, actor, region)).id)
    if topic is not None:
        # Uses index: ix_threads_topic_listing
        query = query.where(Thread.topic_id == await catalog.topic_id(session, topic))
    if country is not None:
        (code,) = await catalog.country_codes(session, [country], field="country")
        query = query.where(
            exists().where(
                and_(ThreadCountry.thread_id == Thread.id, ThreadCountry.country_code == code)
            )
        )
    if cursor is not None:
        key = pagination.decode(cursor, bool, datetime, int)
        query = query.where(tuple_(Thread.pinned, Thread.last_activity_at, Thread.id) < key)
    rows = (
        (
            await session.execute(
                query.order_by(
                    Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc()
                ).limit(limit + 1)
            )
        )
        .mappings()
        .all()
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = pagination.encode(last["pinned"], last["last_activity_at"], last["id"])
    return {"threads": [thread_view(r) for r in page], "next_cursor": next_cursor}


_THREAD_BY_ID = Prepared.of(_thread_query().where(Thread.id == bindparam("thread_id")))
# Uses index: uq_posts_thread_position
_POSTS_PAGE = Prepared.of(
    post_query()
    .where(Post.thread_id == bindparam("thread_id"), Post.position > bindparam("after"))
    .order_by(Post.position)
    .limit(bindparam("limit"))
)


async def get_thread(
    reader: asyncpg.Connection,
    actor: Actor,
    thread_id: int,
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """A thread and one page of its posts, in the order they were written.

    The most read page of the forum, so it runs on `Database.reader`. Posts are only
    ever appended, so the two reads need no shared snapshot.
    """
    row = await reader.fetchrow(_THREAD_BY_ID.sql, *_THREAD_BY_ID.args(thread_id=thread_id))
    if row is None or not can_read_thread(actor, row["region_visibility"], row["hidden"]):
        raise not_found("thread")
    after = pagination.decode(cursor, int, max_int=MAX_POSITION)[0] if cursor else 0
    posts = await reader.fetch(
        _POSTS_PAGE.sql, *_POSTS_PAGE.args(thread_id=thread_id, after=after, limit=limit + 1)
    )
    page = posts[:limit]
    next_cursor = pagination.encode(page[-1]["position"]) if len(posts) > limit else None
    return {
        "thread": thread_view(row),
        "posts": [post_view(p, actor) for p in page],
        "next_cursor": next_cursor,
    }

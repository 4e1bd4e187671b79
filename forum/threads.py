"""Threads: starting one, listing them, reading one with its posts."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    BigInteger,
    Boolean,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import documents, events, findable, follows, pagination, posts, reading, trust
from forum.catalog import Catalog, count_thread
from forum.db import Prepared
from forum.errors import not_found
from forum.models import Post, Region, Thread, ThreadCountry, Topic, User
from forum.permissions import (
    STAFF,
    Actor,
    can_read_pending,
    can_read_thread,
    check_can_write,
    keeps_read_positions,
    thread_audience,
)
from forum.posts import event_payload, insert_post, post_query, post_view, written

MAX_POSITION = 2**31 - 1  # posts.position is int4
MAX_HELD_SHOWN = 20  # replies awaiting approval shown under a thread

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
    Thread.pending,
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
        "pending": row["pending"],
    }


async def create_thread(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    region: str,
    topic: str,
    title: str,
    body: str,
    countries: list[str],
    language: str | None = None,
) -> dict[str, Any]:
    """Start a thread; `body` is its first post in Markdown (rendered and sanitised here).
    A new member's thread in a region that approves them is held, hidden with its first
    post, until a moderator approves it (`forum.approvals`)."""
    check_can_write(actor)
    assert actor.user_id is not None
    region_ref = catalog.region(actor, region, field="region")
    topic_ref = catalog.topic(topic, field="topic")
    codes = catalog.country_codes(countries, field="countries")
    text = written(body, language)
    held = await trust.holds(session, actor, region_ref.approve_new_members)

    thread_id = await session.scalar(
        insert(Thread)
        .values(
            region_id=region_ref.id,
            topic_id=topic_ref.id,
            author_id=actor.user_id,
            title=title,
            post_count=1,
            hidden=held,
            pending=held,
        )
        .returning(Thread.id)
    )
    assert thread_id is not None
    if codes:
        await session.execute(
            insert(ThreadCountry), [{"thread_id": thread_id, "country_code": c} for c in codes]
        )
    first = await insert_post(session, actor, thread_id=thread_id, position=1, text=text,
                              pending=held)  # fmt: skip
    thread = thread_view(
        (await session.execute(_thread_query().where(Thread.id == thread_id))).mappings().one()
    )
    if held:
        await events.append(session, posts.HELD, [posts.moderation_channel(region_ref.slug)],
                            STAFF, event_payload(first))  # fmt: skip
        return {"thread": thread, "post": post_view(first, actor)}
    await published(session, region_ref.id, topic_ref.id, first["id"])
    await events.append(
        session,
        "thread.created",
        events.thread_channels(thread_id, region_ref.slug, topic_ref.slug),
        thread_audience(region_ref.visibility, thread_hidden=False),
        event_payload(first),
    )
    return {"thread": thread, "post": post_view(first, actor)}


async def published(session: AsyncConnection, region_id: int, topic_id: int, post_id: int) -> None:
    """A thread readers see appeared, with its first post: counted and findable."""
    # The counter's row lock serialises thread creation per region and topic, which is
    # rare next to replies.
    await count_thread(session, region_id, topic_id, +1)
    await documents.refresh(session, [post_id])


async def list_threads(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    region: str | None = None,
    topic: str | None = None,
    country: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """Pinned first, then newest activity first; keyset pages of `limit` threads.

    Each thread carries `unread` (`forum.reading`): "new" or how many posts the reader has
    not read, for members, in one more query for the page; None for visitors, at no cost.
    """
    query = _thread_query().where(findable.threads(actor))
    if region is not None:
        # Uses index: ix_threads_region_listing
        query = query.where(Thread.region_id == catalog.region(actor, region).id)
    if topic is not None:
        # Uses index: ix_threads_topic_listing
        query = query.where(Thread.topic_id == catalog.topic(topic).id)
    if country is not None:
        (code,) = catalog.country_codes([country], field="country")
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
    unread = await reading.unread(session, actor, [r["id"] for r in page])
    listed = [{**thread_view(r), "unread": unread.get(r["id"])} for r in page]
    return {"threads": listed, "next_cursor": next_cursor}


async def current(
    session: AsyncConnection, thread_ids: Collection[int]
) -> dict[int, tuple[dict[str, Any], str]]:
    """These threads as they are now, each with the audience that may read it now
    (`forum.feed`); threads that no longer exist are left out."""
    rows = await session.execute(_thread_query().where(Thread.id.in_(list(thread_ids))))
    return {
        r.id: (
            thread_view(r._mapping),
            thread_audience(
                r.region_visibility, r.hidden, pending_author=r.author_id if r.pending else None
            ),
        )
        for r in rows
    }


# Whether the reader moderates the thread's region (asked for moderators only: it decides
# who reads what awaits approval there, `permissions.can_read_pending`).
_MODERATES = findable.moderated_by(bindparam("moderator_id", type_=BigInteger))
# Whether any reply awaits approval in the thread, so a member's page asks for them
# (`_HELD`) only then: a second round trip on every page cost some 5% of its CPU.
# Uses index: uq_posts_thread_position (thread_id, position IS NULL)
_HOLDS = exists().where(
    Post.thread_id == Thread.id, Post.position.is_(None), Post.pending, Post.deleted_at.is_(None)
)
_FOLLOWER = bindparam("follower_id", type_=BigInteger)
_THREAD_BY_ID = Prepared.of(
    _thread_query()
    .add_columns(reading.position_of(bindparam("reader_id")).label("read_position"))
    .add_columns(follows.thread_level_of(_FOLLOWER).label("following"))
    .add_columns(_MODERATES.label("moderates"))
    .add_columns(_HOLDS.label("holds"))
    .where(Thread.id == bindparam("thread_id"))
)
# Uses index: uq_posts_thread_position
_POSTS_PAGE = Prepared.of(
    post_query()
    .where(Post.thread_id == bindparam("thread_id"), Post.position > bindparam("after"))
    .order_by(Post.position)
    .limit(bindparam("limit"))
)

# Replies awaiting approval (no place yet), under every page, for those who see them:
# their author, and the region's moderators and admins (`permissions.can_read_pending`).
_HELD = Prepared.of(
    post_query()
    .where(
        Post.thread_id == bindparam("thread_id"),
        Post.position.is_(None),
        Post.pending,
        Post.deleted_at.is_(None),
        or_(bindparam("all", type_=Boolean), Post.author_id == bindparam("of", type_=BigInteger)),
    )
    .order_by(Post.created_at, Post.id)
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
    ever appended, so the two reads need no shared snapshot. `read_position` is the
    reader's (`forum.reading`), read with the thread: None for a thread never opened, and
    for readers whose reading is not kept. `following` is how a signed-in reader follows the
    thread (`forum.follows`): None when they do not, and for visitors.
    """
    reader_id = actor.user_id if keeps_read_positions(actor) else None
    moderator_id = actor.user_id if actor.staff else None
    row = await reader.fetchrow(
        _THREAD_BY_ID.sql,
        *_THREAD_BY_ID.args(
            thread_id=thread_id,
            reader_id=reader_id,
            follower_id=actor.user_id,
            moderator_id=moderator_id,
        ),
    )
    if row is None or not can_read_thread(
        actor,
        row["region_visibility"],
        row["hidden"],
        pending=row["pending"],
        author_id=row["author_id"],
    ):
        raise not_found("thread")
    if row["pending"] and not can_read_pending(actor, row["author_id"], row["moderates"]):
        raise not_found("thread")
    after = pagination.decode(cursor, int, max_int=MAX_POSITION)[0] if cursor else 0
    found = await reader.fetch(
        _POSTS_PAGE.sql, *_POSTS_PAGE.args(thread_id=thread_id, after=after, limit=limit + 1)
    )
    page = found[:limit]
    next_cursor = pagination.encode(page[-1]["position"]) if len(found) > limit else None
    held = []
    if actor.user_id is not None and row["holds"]:
        every = can_read_pending(actor, None, row["moderates"])
        held = await reader.fetch(
            _HELD.sql,
            *_HELD.args(thread_id=thread_id, all=every, of=actor.user_id, limit=MAX_HELD_SHOWN),
        )
    return {
        "thread": thread_view(row),
        "posts": [post_view(p, actor) for p in page],
        "next_cursor": next_cursor,
        "read_position": row["read_position"],
        "following": row["following"],
        "pending": [post_view(p, actor) for p in held],
    }

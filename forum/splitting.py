"""Splitting a thread in two and merging one thread into another: moderators of every
region involved, admins everywhere.

Split: a post (not the first) and every later one leave their thread for a new one,
numbered from 1 in the same order. Merge: every post of a thread joins another,
interleaved by creation time (each thread's own order kept; the merged thread starts at
the older opening post, with its author and time, and keeps its own title), and the
emptied thread is deleted; `thread_merges` keeps where its address leads (its page
redirects there, the API says so in its 404, for readers who may read that thread).
Deleting it, rather than marking it, means no listing, count, search document or
channel has anything to skip.

Each does, in one transaction: the posts' new places (positions contiguous from 1 in
both threads), the threads' counts, last activity and the region/topic thread counts,
the search documents of every post that moved (`forum.documents.refresh`: title,
region, topic and kind follow the thread), the read positions, an event on the channels
of both threads (the Meilisearch indexer reindexes each thread an event names) and an
audit entry with ids and positions, never text. Hidden and deleted posts move as they
are; `reply_to` names a post, so a reply keeps pointing at the same post wherever it is.
Replies held for approval (`forum.approvals`: no position yet) stay in the thread split
and follow the thread merged, to be numbered where they are when approved; a thread held
whole is approved or rejected before it is split or merged (409 thread_pending).

Read positions (`forum.reading`: one high-water mark per member and thread):
- split at position p: a member who had read up to r >= p has read the new thread up
  to r - p + 1 and the old one up to p - 1; one who had not reached p has not opened the
  new thread (it is "new" to them), and their place in the old one is unchanged;
- merge: a member's position in the merged thread is the new position of the last post
  they had read in either thread. Every post after it is one they had not read, so the
  unread count counts only posts they have not read. A post of the other thread older
  than that one, which they never opened, counts as read: a high-water mark cannot hold
  a gap, and marking the first unread post instead would count again everything they
  had read after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, documents, events, moderators, reading, threads
from forum.catalog import Catalog, RegionEntry, count_thread
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import MergedThread, Post, Region, Thread
from forum.permissions import (
    Actor,
    allows,
    can_read_thread,
    check_can_moderate,
    check_can_moderate_in,
    thread_audience,
)

_THREAD = select(
    Thread.id, Thread.region_id, Thread.topic_id, Thread.hidden, Thread.pending,
    Thread.post_count, Thread.last_activity_at,
)  # fmt: skip


def _check_not_pending(*found: Row) -> None:
    """A thread whose first post awaits approval (`forum.approvals`) is approved or
    rejected whole first: split or merged, its held post would land among published ones."""
    if any(t.pending for t in found):
        raise DomainError(Kind.CONFLICT, "thread_pending",
                          "This thread awaits approval: approve or reject it first.")  # fmt: skip


async def _locked(session: AsyncConnection, ids: list[int]) -> dict[int, Row]:
    """These threads, locked in id order (two merges of the same pair cannot deadlock);
    the lock also queues replies, which take the thread row to number themselves."""
    query = _THREAD.where(Thread.id.in_(ids)).order_by(Thread.id).with_for_update()
    return {r.id: r for r in await session.execute(query)}


async def split(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    thread_id: int,
    *,
    post_id: int,
    title: str,
    region: str | None = None,
    topic: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Move `post_id` and every later post of the thread to a new thread titled `title`,
    in `region` and `topic` (by default the thread's own); the new thread as it is now."""
    check_can_moderate(actor)
    source = (await _locked(session, [thread_id])).get(thread_id)
    if source is None:
        raise not_found("thread")
    moderated = await moderators.regions_of(session, actor)
    check_can_moderate_in(actor, source.region_id, moderated)
    _check_not_pending(source)
    region_to = (
        catalog.region(actor, region, field="region")
        if region is not None
        else catalog.region_by_id(source.region_id)
    )
    topic_to = (
        catalog.topic(topic, field="topic")
        if topic is not None
        else catalog.topic_by_id(source.topic_id)
    )
    assert region_to is not None and topic_to is not None
    check_can_moderate_in(actor, region_to.id, moderated)
    at = await session.scalar(
        select(Post.position).where(Post.id == post_id, Post.thread_id == thread_id)
    )
    if at is None:
        raise invalid("post_id", "No such post in this thread.", "unknown_post")
    if at == 1:
        raise DomainError(
            Kind.INVALID, "cannot_split_at_first",
            "A thread cannot be split at its first post: choose a later one.",
            fields={"post_id": "Choose a post after the first."},
        )  # fmt: skip
    # Uses index: uq_posts_thread_position
    moved = (
        await session.execute(
            select(Post.id, Post.position, Post.author_id, Post.created_at)
            .where(Post.thread_id == thread_id, Post.position >= at)
            .order_by(Post.position)
        )
    ).all()
    shift = at - 1
    new_id = await session.scalar(
        insert(Thread)
        .values(
            region_id=region_to.id, topic_id=topic_to.id, author_id=moved[0].author_id,
            title=title, created_at=moved[0].created_at,
            last_activity_at=source.last_activity_at, post_count=len(moved),
            hidden=source.hidden,
        )
        .returning(Thread.id)
    )  # fmt: skip
    assert new_id is not None
    await session.execute(
        text(
            "INSERT INTO thread_countries (thread_id, country_code) "
            "SELECT :new, country_code FROM thread_countries WHERE thread_id = :source"
        ),
        {"new": new_id, "source": thread_id},
    )
    # The new thread has no posts yet: its positions 1..n collide with nothing.
    await session.execute(
        update(Post)
        .where(Post.thread_id == thread_id, Post.position >= at)
        .values(thread_id=new_id, position=Post.position - shift)
    )
    remaining_last = (
        select(func.max(Post.created_at))
        .where(Post.thread_id == thread_id, Post.position.is_not(None))
        .scalar_subquery()
    )
    await session.execute(
        update(Thread)
        .where(Thread.id == thread_id)
        .values(post_count=shift, last_activity_at=remaining_last)
    )
    if not source.hidden:
        await count_thread(session, region_to.id, topic_to.id, +1)
    await reading.follow_split(session, thread_id, new_id, shift)
    await documents.refresh(session, [p.id for p in moved])
    created = (await _locked(session, [new_id]))[new_id]
    told = {"thread_id": thread_id, "new_thread_id": new_id, "from_position": at}
    await _announce(session, catalog, "thread.split", source, [source], told)
    await _announce(session, catalog, "thread.split", created, [created, source],
                    {"thread_id": new_id, "split_from": thread_id})  # fmt: skip
    await audit.record(
        session, actor, "thread.split", ("thread", thread_id), region_id=source.region_id,
        reason=reason,
        before={"thread": thread_id, "post_count": source.post_count,
                "posts": [[p.id, p.position] for p in moved]},
        after={"thread": thread_id, "post_count": shift, "new_thread": new_id,
               "region": region_to.slug, "topic": topic_to.slug,
               "posts": [[p.id, p.position - shift] for p in moved]},
    )  # fmt: skip
    return await _now(session, new_id)


async def merge(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    thread_id: int,
    *,
    into: int,
    reason: str | None = None,
) -> dict[str, Any]:
    """Move every post of the thread into the thread `into` (locked or not), interleaved
    by creation time, and delete the emptied thread; `into` as it is now."""
    check_can_moderate(actor)
    if into == thread_id:
        raise invalid("into", "A thread cannot be merged into itself.", "merge_into_itself")
    found = await _locked(session, sorted({thread_id, into}))
    source = found.get(thread_id)
    if source is None:
        raise not_found("thread")
    target = found.get(into)
    target_region = catalog.region_by_id(target.region_id) if target is not None else None
    if (
        target is None
        or target_region is None
        or not can_read_thread(actor, target_region.visibility, target.hidden)
    ):
        raise invalid("into", "No such thread.", "unknown_thread")
    moderated = await moderators.regions_of(session, actor)
    for place in (source, target):
        check_can_moderate_in(actor, place.region_id, moderated)
    _check_not_pending(source, target)
    # Uses index: uq_posts_thread_position
    rows = (
        await session.execute(
            select(Post.id, Post.thread_id, Post.position, Post.author_id, Post.created_at)
            .where(Post.thread_id.in_([thread_id, into]), Post.position.is_not(None))
            .order_by(Post.thread_id, Post.position)
        )
    ).all()
    order = _interleave(
        [p for p in rows if p.thread_id == into], [p for p in rows if p.thread_id == thread_id]
    )
    numbered = [(p, n) for n, p in enumerate(order, 1)]
    # (thread, position) is unique at every row, not at the end of a statement: out of
    # the way first (negative), then each post to its place.
    await session.execute(
        update(Post).where(Post.thread_id.in_([thread_id, into])).values(position=-Post.position)
    )
    await session.execute(
        text(
            "UPDATE posts p SET thread_id = :into, position = v.position "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:positions AS integer[])) "
            "AS v(id, position) WHERE p.id = v.id"
        ),
        {"into": into, "ids": [p.id for p, _ in numbered], "positions": [n for _, n in numbered]},
    )
    # Replies held for approval have no place yet (`forum.approvals`): they follow the
    # thread, to be numbered there when approved.
    held = list(
        await session.scalars(
            update(Post)
            .where(Post.thread_id == thread_id, Post.position.is_(None))
            .values(thread_id=into)
            .returning(Post.id)
        )
    )
    await reading.follow_merge(
        session, thread_id, into, [(p.thread_id, p.position, n) for p, n in numbered]
    )
    for table, column in (("thread_countries", "country_code"),
                          ("experience_threads", "experience_id")):  # fmt: skip
        await session.execute(
            text(
                f"INSERT INTO {table} (thread_id, {column}) "
                f"SELECT :into, {column} FROM {table} WHERE thread_id = :source "
                "ON CONFLICT DO NOTHING"
            ),
            {"into": into, "source": thread_id},
        )
    first = order[0]
    await session.execute(
        update(Thread)
        .where(Thread.id == into)
        .values(
            post_count=len(order), author_id=first.author_id, created_at=first.created_at,
            last_activity_at=func.greatest(Thread.last_activity_at, source.last_activity_at),
        )
    )  # fmt: skip
    # Addresses of threads merged into the source lead to the target now: one hop.
    await session.execute(
        update(MergedThread).where(MergedThread.into_id == thread_id).values(into_id=into)
    )
    await session.execute(insert(MergedThread).values(thread_id=thread_id, into_id=into))
    await session.execute(text("DELETE FROM threads WHERE id = :id"), {"id": thread_id})
    if not source.hidden:
        await count_thread(session, source.region_id, source.topic_id, -1)
    await documents.refresh(session, [p.id for p in order] + held)
    after = (await _locked(session, [into]))[into]
    await _announce(session, catalog, "thread.merged", after, [after, source],
                    {"thread_id": into, "merged_from": thread_id})  # fmt: skip
    await audit.record(
        session, actor, "thread.merge", ("thread", thread_id), region_id=source.region_id,
        reason=reason,
        before={"thread": thread_id, "into": into, "post_count": source.post_count,
                "into_post_count": target.post_count,
                "posts": [[p.id, p.thread_id, p.position] for p in order]},
        after={"thread": into, "post_count": len(order),
               "posts": [[p.id, n] for p, n in numbered]},
    )  # fmt: skip
    return await _now(session, into)


@dataclass(frozen=True)
class Choices:
    """What a moderator's split and merge forms offer for a thread: the thread, and the
    regions a split may send its posts to (those they moderate; admins: all)."""

    thread: dict[str, Any]
    regions: list[RegionEntry]


async def choices(
    session: AsyncConnection, actor: Actor, catalog: Catalog, thread_id: int
) -> Choices:
    """404 for a thread the actor may not read, 403 unless they may split or merge it."""
    check_can_moderate(actor)
    found = (await threads.current(session, [thread_id])).get(thread_id)
    if found is None:
        raise not_found("thread")
    thread, _ = found
    region = catalog.region(actor, thread["region"])  # 404 for a region they may not read
    if not can_read_thread(actor, region.visibility, thread["hidden"]):
        raise not_found("thread")
    moderated = await moderators.regions_of(session, actor)
    check_can_moderate_in(actor, region.id, moderated)
    regions = [r for r in catalog.readable_regions(actor)
               if allows(check_can_moderate_in, actor, r.id, moderated)]  # fmt: skip
    return Choices(thread, regions)


def _interleave(first: list[Row], second: list[Row]) -> list[Row]:
    """Both threads' posts by creation time, each thread's own order kept (positions are
    handed out under a lock, so a post can be numbered after a younger one)."""
    merged, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        if second[j].created_at < first[i].created_at:
            merged.append(second[j])
            j += 1
        else:
            merged.append(first[i])
            i += 1
    return merged + first[i:] + second[j:]


async def merged_into(session: AsyncConnection, actor: Actor, thread_id: int) -> int | None:
    """The thread a merged thread's posts are in now, if `actor` may read it; else None
    (a thread never merged, or merged where this reader may not follow)."""
    row = (
        await session.execute(
            select(MergedThread.into_id, Thread.hidden, Region.visibility)
            .join(Thread, Thread.id == MergedThread.into_id)
            .join(Region, Region.id == Thread.region_id)
            .where(MergedThread.thread_id == thread_id)
        )
    ).first()
    if row is None or not can_read_thread(actor, row.visibility, row.hidden):
        return None
    return int(row.into_id)


def merged(into: int) -> DomainError:
    """The API's answer for a merged thread: 404, and where its posts are now."""
    return DomainError(
        Kind.NOT_FOUND, "thread_merged", f"This thread was merged into thread {into}.",
        fields={"merged_into": str(into)},
    )  # fmt: skip


async def _now(session: AsyncConnection, thread_id: int) -> dict[str, Any]:
    return (await threads.current(session, [thread_id]))[thread_id][0]


async def _announce(
    session: AsyncConnection,
    catalog: Catalog,
    type: str,
    subject: Row,
    places: list[Row],
    payload: dict[str, Any],
) -> None:
    """An event about `subject` (its audience, `forum.feed` delivers it as it is now) on
    the channels of each thread in `places`: an open page of either learns of it."""
    channels: list[str] = []
    for place in places:
        region, topic = catalog.region_by_id(place.region_id), catalog.topic_by_id(place.topic_id)
        assert region is not None and topic is not None
        channels += events.thread_channels(place.id, region.slug, topic.slug)
    region = catalog.region_by_id(subject.region_id)
    assert region is not None
    await events.append(session, type, list(dict.fromkeys(channels)),
                        thread_audience(region.visibility, subject.hidden), payload)  # fmt: skip

"""The approval queue: a new member's post in a region that approves them waits for one
of the region's moderators (or an admin), who approves it (after editing it, if need
be) or rejects it with a reason.

A held post is `pending` and hidden, with no place in its thread (a held new thread is
pending and hidden with it): only its author and moderators see it, through the same
policy as hidden posts (`permissions.can_find_post`, `visible_posts`). Approving it
publishes it as if it were written then: numbered at the end of its thread, counted,
made findable, and announced with the event its writing would have had, so open pages
show it live with the text it is approved with. Rejecting it deletes it and erases its
text: it never was public. The author is told on their `user:<id>` channel, and by
email for a rejection. Both are audited (`post.approve`, `post.reject`), never with text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import (
    audit,
    documents,
    events,
    moderators,
    pagination,
    posts,
    suspensions,
    threads,
    trust,
)
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.mail.outbox import Mailer
from forum.models import Post, Thread, User
from forum.permissions import (
    Actor,
    check_can_moderate,
    check_can_moderate_in,
    thread_audience,
    user_audience,
)

REJECTED_KIND = "post_rejected"  # the email's kind (`web.mail`)
APPROVED = "approval.approved"  # events on the author's channel
REJECTED = "approval.rejected"


@dataclass(frozen=True)
class Held:
    """A post in the queue, with its thread, as a moderator sees it."""

    post: dict[str, Any]
    thread_id: int
    thread_title: str
    new_thread: bool  # the post opens a thread held with it


async def queue(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    region: str,
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Held], str | None]:
    """The region's held posts, oldest first, in keyset pages of `limit`."""
    check_can_moderate(actor)
    region_ref = catalog.region(actor, region)
    check_can_moderate_in(actor, region_ref.id, await moderators.regions_of(session, actor))
    query = (
        posts.post_query()
        .add_columns(Thread.title.label("thread_title"), Thread.pending.label("new_thread"))
        .join(Thread, Thread.id == Post.thread_id)
        # Uses index: ix_posts_pending
        .where(Thread.region_id == region_ref.id, Post.pending, Post.deleted_at.is_(None))
    )
    if cursor is not None:
        key = pagination.decode(cursor, datetime, int)
        query = query.where(tuple_(Post.created_at, Post.id) > key)
    rows = (
        (await session.execute(query.order_by(Post.created_at, Post.id).limit(limit + 1)))
        .mappings()
        .all()
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = pagination.encode(page[-1]["created_at"], page[-1]["id"])
    held = [
        Held(posts.post_view(r, actor), r["thread_id"], r["thread_title"], r["new_thread"])
        for r in page
    ]
    return held, next_cursor


async def _held(session: AsyncConnection, actor: Actor, post_id: int) -> Row:
    """The held post, locked, once `actor` may decide it (403 before 404 for those who
    decide nothing: a member learns nothing of which ids exist)."""
    check_can_moderate(actor)
    region_id = await session.scalar(
        select(Thread.region_id).join(Post, Post.thread_id == Thread.id).where(Post.id == post_id)
    )
    if region_id is None:
        raise not_found("post")
    check_can_moderate_in(actor, region_id, await moderators.regions_of(session, actor))
    row = await posts.for_moderation(session, actor, post_id)
    if not row.pending or row.deleted_at is not None:
        raise DomainError(Kind.CONFLICT, "not_pending", "This post is not awaiting approval.")
    return row


async def approve(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    post_id: int,
    *,
    body: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Publish a held post, with the moderator's `body` (a revision recording them as its
    editor) and, for a held thread's first post, `title`. The post as the moderator sees
    it now."""
    row = await _held(session, actor, post_id)
    new_thread = row.thread_pending and row.position == 1
    if title is not None and not new_thread:
        raise invalid("title", "Only a new thread's first post carries its title.", "no_title")
    edited = body is not None and body != row.body_source
    if body is not None and edited:
        await posts.revise(session, row, actor, posts.written(body, None))
    region = catalog.region_by_id(row.region_id)
    assert region is not None
    if new_thread:
        values: dict[str, Any] = {"hidden": False, "pending": False,
                                  "last_activity_at": func.now()}  # fmt: skip
        if title is not None and title != (await _title(session, row.thread_id)):
            values["title"] = title
            edited = True
        await session.execute(update(Thread).where(Thread.id == row.thread_id).values(values))
        await session.execute(
            update(Post).where(Post.id == post_id).values(hidden=False, pending=False)
        )
        topic = await session.scalar(select(Thread.topic_id).where(Thread.id == row.thread_id))
        assert topic is not None
        await threads.published(session, row.region_id, topic, post_id)
        kind = "thread.created"
    else:
        # Numbered now, at the end of its thread, as if just written (`posts.reply`).
        place = (await session.execute(posts.TAKE_POSITION, {"thread_id": row.thread_id})).one()
        await session.execute(
            update(Post)
            .where(Post.id == post_id)
            .values(hidden=False, pending=False, position=place.post_count)
        )
        await documents.refresh(session, [post_id])
        kind = "post.created"
    await events.append(
        session,
        kind,
        events.thread_channels(row.thread_id, row.region, row.topic),
        thread_audience(region.visibility, row.thread_hidden and not new_thread),
        {"thread_id": row.thread_id, "post_id": post_id},
    )
    await trust.trusted(session, row.author_id)
    await events.append(session, APPROVED, [f"user:{row.author_id}"],
                        user_audience(row.author_id),
                        {"thread_id": row.thread_id, "post_id": post_id})  # fmt: skip
    await audit.record(session, actor, "post.approve", ("post", post_id),
                       region_id=row.region_id, before={"pending": True},
                       after={"pending": False, "edited": edited})  # fmt: skip
    return posts.post_view(await posts.fetch(session, post_id), actor)


async def _title(session: AsyncConnection, thread_id: int) -> str | None:
    return await session.scalar(select(Thread.title).where(Thread.id == thread_id))


async def reject(
    session: AsyncConnection,
    actor: Actor,
    mailer: Mailer,
    post_id: int,
    *,
    reason: str | None,
) -> None:
    """Delete a held post and erase its text (and a held thread's title: the thread stays
    hidden, for moderators only); the author is told why by email, in their language,
    and on their channel."""
    reason = suspensions.checked_reason(reason, required=True)
    assert reason is not None
    row = await _held(session, actor, post_id)
    await posts.mark_deleted(session, row)
    await posts.erase_text(session, [post_id])
    title = await _title(session, row.thread_id)
    if row.thread_pending and row.position == 1:
        await session.execute(
            update(Thread).where(Thread.id == row.thread_id).values(pending=False, title="")
        )
    author = (
        await session.execute(
            select(User.email, User.language, User.display_name).where(User.id == row.author_id)
        )
    ).one()
    await mailer.enqueue(session, REJECTED_KIND, author.email, author.language,
                         {"name": author.display_name, "reason": reason,
                          "title": title})  # fmt: skip
    await events.append(session, REJECTED, [f"user:{row.author_id}"],
                        user_audience(row.author_id),
                        {"thread_id": row.thread_id, "post_id": post_id,
                         "reason": reason})  # fmt: skip
    await audit.record(session, actor, "post.reject", ("post", post_id),
                       region_id=row.region_id, reason=reason, before={"pending": True},
                       after={"deleted": True})  # fmt: skip

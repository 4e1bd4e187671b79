"""Moderators' actions: lock, unlock, pin and unpin a thread, hide and show, delete and
restore a post, move a thread, suspend and reinstate a member.
Moderators act on posts and threads of the regions they moderate (`forum.moderators`),
admins everywhere; a suspension covers the whole forum.

Each one changes the rows, the thread counts and the search documents in one transaction
and appends an event and an audit entry (`forum.audit`); what every reader receives
afterwards follows from the rows as they are now (`forum.feed`, search, the realtime
sweep of sessions), so none of them has to chase copies.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, documents, events, moderators, posts, suspensions, threads
from forum.catalog import Catalog, count_thread
from forum.errors import DomainError, Kind, not_found
from forum.mail.outbox import Mailer
from forum.models import Post, Role, Thread, User
from forum.permissions import (
    Actor,
    check_can_moderate,
    check_can_moderate_in,
    check_can_suspend,
    thread_audience,
    user_audience,
)

# A thread's flag -> (event when set, when cleared, audit action when set, when cleared).
THREAD_FLAGS = {
    "locked": ("thread.locked", "thread.unlocked", "thread.lock", "thread.unlock"),
    "pinned": ("thread.pinned", "thread.unpinned", "thread.pin", "thread.unpin"),
}


async def set_thread_flag(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    thread_id: int,
    flag: Literal["locked", "pinned"],
    value: bool,
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """Lock or unlock, pin or unpin a thread (`flag` names which); the thread as it is now.
    Asking for the state it is already in changes nothing and records nothing."""
    check_can_moderate(actor)
    thread = await _thread(session, thread_id, lock=True)
    check_can_moderate_in(actor, thread.region_id, await moderators.regions_of(session, actor))
    was = getattr(thread, flag)
    if was != value:
        await session.execute(update(Thread).where(Thread.id == thread_id).values({flag: value}))
        set_event, cleared_event, set_action, cleared_action = THREAD_FLAGS[flag]
        await _append(session, catalog, set_event if value else cleared_event, thread,
                      {"thread_id": thread_id})  # fmt: skip
        await audit.record(
            session, actor, set_action if value else cleared_action, ("thread", thread_id),
            region_id=thread.region_id, reason=reason, before={flag: was}, after={flag: value},
        )  # fmt: skip
    return await _thread_now(session, thread_id)


async def _thread_now(session: AsyncConnection, thread_id: int) -> dict[str, Any]:
    return (await threads.current(session, [thread_id]))[thread_id][0]


async def set_post_hidden(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    post_id: int,
    *,
    hidden: bool,
    reason: str | None = None,
) -> dict[str, Any]:
    check_can_moderate(actor)
    found = (
        await session.execute(
            select(Post.thread_id, Post.hidden, Post.pending).where(Post.id == post_id)
        )
    ).first()
    if found is None:
        raise not_found("post")
    thread_id = found.thread_id
    thread = await _thread(session, thread_id)
    check_can_moderate_in(actor, thread.region_id, await moderators.regions_of(session, actor))
    if found.pending:  # it is hidden until approved (`forum.approvals`)
        raise DomainError(Kind.CONFLICT, "post_pending", "This post awaits approval.")
    await session.execute(update(Post).where(Post.id == post_id).values(hidden=hidden))
    await documents.refresh(session, [post_id])
    await _append(session, catalog, "post.hidden" if hidden else "post.shown", thread,
                  {"thread_id": thread_id, "post_id": post_id})  # fmt: skip
    await audit.record(session, actor, "post.hide" if hidden else "post.show", ("post", post_id),
                       region_id=thread.region_id, reason=reason,
                       before={"hidden": found.hidden}, after={"hidden": hidden})  # fmt: skip
    return posts.post_view(await posts.fetch(session, post_id), actor)


async def set_post_deleted(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    post_id: int,
    *,
    deleted: bool,
    reason: str | None = None,
) -> dict[str, Any]:
    """Delete a post as its author would (a tombstone, its text gone from every reader's
    channel), or restore it; a post whose text was erased (its author left the forum)
    cannot be restored (409 text_erased). The post as the moderator sees it now."""
    check_can_moderate(actor)
    row = await posts.for_moderation(session, actor, post_id)
    thread = await _thread(session, row.thread_id)
    check_can_moderate_in(actor, thread.region_id, await moderators.regions_of(session, actor))
    was = row.deleted_at is not None
    if not deleted and was and not row.body_source:
        raise DomainError(Kind.CONFLICT, "text_erased",
                          "This post's text was erased: it cannot be restored.")  # fmt: skip
    if was != deleted:
        await posts.mark_deleted(session, row, deleted=deleted,
                                 by_moderator=row.author_id != actor.user_id)  # fmt: skip
        await audit.record(
            session, actor, "post.delete" if deleted else "post.restore", ("post", post_id),
            region_id=thread.region_id, reason=reason,
            before={"deleted": was}, after={"deleted": deleted},
        )  # fmt: skip
    return posts.post_view(await posts.fetch(session, post_id), actor)


POST_ACTIONS = ("hide", "show", "delete", "restore")


async def on_post(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    post_id: int,
    verb: str,
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """One of `POST_ACTIONS` on a post, by its name (the API's and the page's buttons)."""
    if verb in ("hide", "show"):
        return await set_post_hidden(session, actor, catalog, post_id, hidden=verb == "hide",
                                     reason=reason)  # fmt: skip
    assert verb in ("delete", "restore"), verb
    return await set_post_deleted(session, actor, catalog, post_id, deleted=verb == "delete",
                                  reason=reason)  # fmt: skip


async def move_thread(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    thread_id: int,
    *,
    region: str,
    topic: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """File a thread under another region and topic; its events go to both places. A
    moderator moves threads between regions they moderate. The thread as it is now."""
    check_can_moderate(actor)
    before = await _thread(session, thread_id, lock=True)
    region_to = catalog.region(actor, region, field="region")
    topic_to = catalog.topic(topic, field="topic")
    moderated = await moderators.regions_of(session, actor)
    for region_id in (before.region_id, region_to.id):
        check_can_moderate_in(actor, region_id, moderated)
    await session.execute(
        update(Thread)
        .where(Thread.id == thread_id)
        .values(region_id=region_to.id, topic_id=topic_to.id)
    )
    if not before.hidden:
        await count_thread(session, before.region_id, before.topic_id, -1)
        await count_thread(session, region_to.id, topic_to.id, +1)
    # Scope lexemes and readable regions of every post's document follow the thread.
    post_ids = list(await session.scalars(select(Post.id).where(Post.thread_id == thread_id)))
    await documents.refresh(session, post_ids)
    after = await _thread(session, thread_id)
    await _append(session, catalog, "thread.moved", after, {"thread_id": thread_id},
                  also=before)  # fmt: skip
    await audit.record(
        session, actor, "thread.move", ("thread", thread_id), region_id=before.region_id,
        reason=reason, before=_place(catalog, before),
        after={"region": region_to.slug, "topic": topic_to.slug},
    )  # fmt: skip
    return await _thread_now(session, thread_id)


async def set_suspended(
    session: AsyncConnection,
    actor: Actor,
    mailer: Mailer,
    user_id: int,
    *,
    suspended: bool,
    reason: str | None = None,
    until: date | None = None,
) -> suspensions.Standing:
    """Suspend a member until the day `until` (None: until lifted), with a reason they
    are sent by email, or lift their suspension. A suspended member reads like a visitor
    and writes nothing, on every open session and socket at once (they read the account
    as it is now). 409 for lifting a suspension that does not hold."""
    check_can_moderate(actor)
    found = await suspensions.row(session, user_id, lock=True)
    check_can_suspend(actor, user_id, Role(found.role))
    reason = suspensions.checked_reason(reason, required=suspended)
    ends = suspensions.ends_at(until) if suspended else None
    if not suspended and not found.suspended:
        raise DomainError(Kind.CONFLICT, "not_suspended", "This account is not suspended.")
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(suspended_at=func.now() if suspended else None, suspended_until=ends,
                suspension_reason=reason if suspended else None)
    )  # fmt: skip
    await events.append(
        session,
        "user.suspended" if suspended else "user.reinstated",
        [f"user:{user_id}"],
        user_audience(user_id),
        {"user_id": user_id},
    )
    before = suspensions.standing(found)
    action = "user.suspend" if suspended else "user.reinstate"
    await audit.record(session, actor, action, ("user", user_id), reason=reason,
                       before=_standing(before.suspended, before.until),
                       after=_standing(suspended, ends))  # fmt: skip
    if suspended:
        await mailer.enqueue(session, suspensions.KIND, found.email, found.language,
                             {"name": found.display_name, "reason": reason,
                              "until": until.isoformat() if until else None})  # fmt: skip
    return suspensions.Standing(user_id, found.display_name, suspended, ends, reason)


def _standing(suspended: bool, until: datetime | None) -> dict[str, Any]:
    return {"suspended": suspended, "until": until.isoformat() if until else None}


def _place(catalog: Catalog, thread: Any) -> dict[str, str | None]:
    region, topic = catalog.region_by_id(thread.region_id), catalog.topic_by_id(thread.topic_id)
    return {"region": region.slug if region else None, "topic": topic.slug if topic else None}


async def _thread(session: AsyncConnection, thread_id: int, *, lock: bool = False) -> Any:
    query = select(
        Thread.id, Thread.region_id, Thread.topic_id, Thread.hidden, Thread.locked, Thread.pinned
    ).where(Thread.id == thread_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise not_found("thread")
    return row


async def _append(
    session: AsyncConnection,
    catalog: Catalog,
    type: str,
    thread: Any,
    payload: dict[str, Any],
    *,
    also: Any = None,
) -> None:
    channels: list[str] = []
    for place in (thread, also) if also is not None else (thread,):
        region = catalog.region_by_id(place.region_id)
        topic = catalog.topic_by_id(place.topic_id)
        assert region is not None and topic is not None
        channels += events.thread_channels(thread.id, region.slug, topic.slug)
    region = catalog.region_by_id(thread.region_id)
    assert region is not None
    await events.append(
        session,
        type,
        list(dict.fromkeys(channels)),
        thread_audience(region.visibility, thread.hidden),
        payload,
    )

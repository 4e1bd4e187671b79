"""Posts: replying, editing (keeping revisions), soft deletion, reading revisions."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from sqlalchemy import (
    Row,
    RowMapping,
    Select,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import (
    delete as delete_rows,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, documents, events, languages, markup, moderators, trust
from forum.errors import invalid, not_found
from forum.models import Post, PostRevision, Region, Thread, Topic, User
from forum.permissions import (
    ANONYMOUS,
    STAFF,
    Actor,
    can_find_post,
    can_read_pending,
    can_read_thread,
    can_see_post_content,
    check_can_change_post,
    check_can_edit_post,
    check_can_reply,
    check_can_write,
    post_audience,
    thread_audience,
)


async def preview(actor: Actor, body: str) -> str:
    """The HTML `body` would be shown as, by the very code that renders posts; nothing is
    stored. Only for those who may write: rendering a long body costs real CPU time."""
    check_can_write(actor)
    if markup.too_long(body):
        limit = markup.MAX_SOURCE_BYTES // 1024
        raise invalid("body", f"must be at most {limit} KiB", "body_too_long")
    return await markup.render_off_loop(body)


def post_query() -> Select:
    return select(
        Post.id,
        Post.thread_id,
        Post.position,
        Post.author_id,
        User.display_name.label("author_name"),
        Post.reply_to_id,
        Post.body_source,
        Post.body_html,
        Post.revision,
        Post.created_at,
        Post.edited_at,
        Post.deleted_at,
        Post.hidden,
        Post.pending,
        Post.language,
    ).join(User, User.id == Post.author_id)


def post_view(row: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """A post as `actor` may see it: deleted and hidden posts keep their place, not their text."""
    deleted = row["deleted_at"] is not None
    visible = can_see_post_content(actor, row["author_id"], row["hidden"], deleted)
    return {
        "id": row["id"],
        "thread_id": row["thread_id"],
        "position": row["position"],
        "author": {"id": row["author_id"], "name": row["author_name"]},
        "reply_to": row["reply_to_id"],
        "body": row["body_source"] if visible else None,
        "body_html": row["body_html"] if visible else None,
        "revision": row["revision"],
        "created_at": row["created_at"],
        "edited_at": row["edited_at"],
        "deleted": deleted,
        "hidden": row["hidden"],
        "pending": row["pending"],
        "language": row["language"],
    }


_INSERT_POST = text(
    """
    WITH p AS (
        INSERT INTO posts (thread_id, position, author_id, reply_to_id, body_source, body_html,
                           language, pending, hidden)
        SELECT :thread_id, :position, :author_id, :reply_to, :body, :body_html,
               coalesce(CAST(:language AS text), u.language), :pending, :pending
        FROM users u WHERE u.id = :author_id
        RETURNING *
    )
    SELECT p.*, u.display_name AS author_name FROM p JOIN users u ON u.id = p.author_id
    """
)


class Written(NamedTuple):
    """A post's text as it is stored: the Markdown, the HTML it renders to, and its language
    (the author's choice, else detected, else None: the author's interface language then
    stands in, in SQL)."""

    source: str
    html: str
    language: str | None


def written(body: str, language: str | None) -> Written:
    """Render and detect, before any statement locks a row: this is most of a new post's
    CPU time (Markdown, bleach and language detection, some 2.5 ms for a short post), and
    replies to one thread wait for each other on its row (`TAKE_POSITION`)."""
    return Written(body, markup.render(body), languages.of_post(language, body))


async def insert_post(
    session: AsyncConnection,
    actor: Actor,
    *,
    thread_id: int,
    position: int | None,
    text: Written,
    reply_to: int | None = None,
    pending: bool = False,
) -> RowMapping:
    """Insert a post and return it as `post_view` reads it, in one round trip. A `pending`
    post is held for approval (hidden meanwhile, `forum.approvals`)."""
    result = await session.execute(
        _INSERT_POST,
        {
            "thread_id": thread_id,
            "position": position,
            "author_id": actor.user_id,
            "reply_to": reply_to,
            "body": text.source,
            "body_html": text.html,
            "language": text.language,
            "pending": pending,
        },
    )
    return result.mappings().one()


async def fetch(session: AsyncConnection, post_id: int) -> RowMapping:
    return (await session.execute(post_query().where(Post.id == post_id))).mappings().one()


BY_MODERATOR = "by_moderator"  # in a `post.deleted` payload: a moderator's doing


def event_payload(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a post's event records: ids, never text (`forum.feed` builds what readers get)."""
    return {"thread_id": row["thread_id"], "post_id": row["id"]}


# Who may read a thread, and the channels its events go to.
_AUDIENCE = (
    Thread.hidden.label("thread_hidden"),
    Thread.pending.label("thread_pending"),
    Thread.author_id.label("thread_author_id"),
    Thread.region_id,
    Region.slug.label("region"),
    Region.visibility.label("region_visibility"),
    Topic.slug.label("topic"),
)

TAKE_POSITION = (
    update(Thread)
    .where(Thread.id == bindparam("thread_id"))
    .where(Region.id == Thread.region_id, Topic.id == Thread.topic_id)
    .values(post_count=Thread.post_count + 1, last_activity_at=func.now())
    .returning(Thread.post_count, Thread.locked, *_AUDIENCE)
)


async def reply(
    session: AsyncConnection,
    actor: Actor,
    thread_id: int,
    *,
    body: str,
    language: str | None = None,
    reply_to: int | None = None,
) -> dict[str, Any]:
    """Reply with `body` in Markdown (rendered and sanitised here). A new member's reply
    in a region that approves them is held for a moderator (`forum.approvals`)."""
    check_can_write(actor)  # before rendering: a refused visitor costs no CPU
    text = written(body, language)
    if await trust.holds_in_thread(session, actor, thread_id):
        return await _held_reply(session, actor, thread_id, text, reply_to)
    # Taking the next position locks the thread row: replies to one thread are numbered
    # one after another, replies to different threads do not wait for each other. If a
    # check below fails, the transaction rolls back and the count with it.
    thread = (await session.execute(TAKE_POSITION, {"thread_id": thread_id})).first()
    await _check_reply(session, actor, thread, thread_id, reply_to)
    row = await insert_post(
        session,
        actor,
        thread_id=thread_id,
        position=thread.post_count,
        text=text,
        reply_to=reply_to,
    )
    await documents.refresh(session, [row["id"]])
    await events.append(
        session,
        "post.created",
        events.thread_channels(thread_id, thread.region, thread.topic),
        thread_audience(thread.region_visibility, thread.thread_hidden),
        event_payload(row),
    )
    return post_view(row, actor)


async def _check_reply(
    session: AsyncConnection, actor: Actor, thread: Row | None, thread_id: int, reply_to: int | None
) -> None:
    if thread is None or not _reads(actor, thread):
        raise not_found("thread")
    check_can_reply(actor, thread.locked)
    if reply_to is not None:
        parent_thread = await session.scalar(select(Post.thread_id).where(Post.id == reply_to))
        if parent_thread != thread_id:
            raise invalid("reply_to", "No such post in this thread.", "unknown_post")


def _reads(actor: Actor, thread: Row) -> bool:
    return can_read_thread(
        actor,
        thread.region_visibility,
        thread.thread_hidden,
        pending=thread.thread_pending,
        author_id=thread.thread_author_id,
    )


_THREAD_PLACE = (
    select(Thread.post_count, Thread.locked, *_AUDIENCE)
    .join(Region, Region.id == Thread.region_id)
    .join(Topic, Topic.id == Thread.topic_id)
)


async def _held_reply(
    session: AsyncConnection,
    actor: Actor,
    thread_id: int,
    text: Written,
    reply_to: int | None,
) -> dict[str, Any]:
    """A reply held for approval: no place in the thread, nothing counted, its event
    only on the region's moderation channel (the thread is numbered at approval)."""
    thread = (await session.execute(_THREAD_PLACE.where(Thread.id == thread_id))).first()
    await _check_reply(session, actor, thread, thread_id, reply_to)
    assert thread is not None
    row = await insert_post(session, actor, thread_id=thread_id, position=None, text=text,
                            reply_to=reply_to, pending=True)  # fmt: skip
    await events.append(session, HELD, [moderation_channel(thread.region)], STAFF,
                        event_payload(row))  # fmt: skip
    return post_view(row, actor)


# A post held for approval, told to its region's queue (`mod:<region>`, which only that
# region's moderators and admins may join). Not a `post.*` event: those deliver the post
# to whoever may read it now (`forum.feed`), and a held post is its author's alone; this
# one carries ids only, for the queue to say that something new awaits.
HELD = "approval.held"


def moderation_channel(region: str) -> str:
    return f"mod:{region}"


def _with_audience() -> Select:
    return (
        post_query()
        .add_columns(*_AUDIENCE)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Region, Region.id == Thread.region_id)
        .join(Topic, Topic.id == Thread.topic_id)
    )


async def current(
    session: AsyncConnection, post_ids: Collection[int]
) -> dict[int, tuple[dict[str, Any], str]]:
    """These posts as any reader of their thread sees them now, each with the audience
    its thread has now (`forum.feed`); posts that no longer exist are left out."""
    rows = await session.execute(_with_audience().where(Post.id.in_(list(post_ids))))
    return {
        r.id: (
            post_view(r._mapping, ANONYMOUS),
            post_audience(r.region_visibility, r.thread_hidden, r.pending, r.author_id),
        )
        for r in rows
    }


async def _post_in_thread(
    session: AsyncConnection, actor: Actor, post_id: int, *, for_change: bool = True
) -> Row:
    """The post with its thread's audience (locked for a change); 404 if the actor can't see it."""
    query = _with_audience().where(Post.id == post_id)
    if for_change:
        query = query.with_for_update(of=Post)
    row = (await session.execute(query)).first()
    if row is None or not _reads(actor, row):
        raise not_found("post")
    if not can_find_post(actor, row.author_id, row.pending):
        raise not_found("post")
    if (row.pending or row.thread_pending) and not await _reads_pending(session, actor, row):
        raise not_found("post")
    return row


async def _reads_pending(session: AsyncConnection, actor: Actor, row: Row) -> bool:
    """`can_read_pending` for a post awaiting approval, or a post of a thread that does."""
    author = row.author_id if row.pending else row.thread_author_id
    moderates = actor.staff and row.region_id in await moderators.regions_of(session, actor)
    return can_read_pending(actor, author, moderates)


async def get(session: AsyncConnection, actor: Actor, post_id: int) -> dict[str, Any]:
    """One post as `actor` sees it; 404 if they may not read its thread."""
    row = await _post_in_thread(session, actor, post_id, for_change=False)
    return post_view(row._mapping, actor)


async def _check_can_edit(session: AsyncConnection, actor: Actor, row: Row) -> None:
    # Only a moderator editing someone else's post needs their regions.
    moderated = await moderators.regions_of(session, actor) if actor.staff else []
    check_can_edit_post(actor, row.author_id, row.deleted_at is not None, row.region_id, moderated)


async def editable(session: AsyncConnection, actor: Actor, post_id: int) -> dict[str, Any]:
    """The post, for the page that edits it: its author, or a moderator who may (`edit`)."""
    row = await _post_in_thread(session, actor, post_id, for_change=False)
    await _check_can_edit(session, actor, row)
    return post_view(row._mapping, actor)


async def edit(
    session: AsyncConnection,
    actor: Actor,
    post_id: int,
    *,
    body: str,
    language: str | None = None,
) -> dict[str, Any]:
    """Replace the post's text with `body` in Markdown; the old version becomes a revision
    that records who edited it. Its author edits it, or a moderator of its region (or an
    admin), audited as `post.edit` with the revision numbers, never the text (a
    redaction, `forum.revisions`, must find no copy of it there)."""
    check_can_write(actor)  # before rendering: a refused visitor costs no CPU
    text = written(body, language)
    row = await _post_in_thread(session, actor, post_id)
    await _check_can_edit(session, actor, row)
    await revise(session, row, actor, text)
    await documents.refresh(session, [post_id])
    changed = await fetch(session, post_id)
    await events.append(
        session,
        "post.edited",
        events.thread_channels(row.thread_id, row.region, row.topic),
        post_audience(row.region_visibility, row.thread_hidden, row.pending, row.author_id),
        event_payload(changed),
    )
    if actor.user_id != row.author_id:
        await audit.record(
            session, actor, "post.edit", ("post", post_id), region_id=row.region_id,
            before={"revision": row.revision}, after={"revision": changed["revision"]},
        )  # fmt: skip
    return post_view(changed, actor)


async def revise(session: AsyncConnection, row: Row, editor: Actor, text: Written) -> None:
    """Replace the text of the post `row` (`for_moderation`) with `text`, keeping the old
    version as a revision that records who edited it (its author, or the moderator who
    edits before approving it, `forum.approvals`)."""
    await session.execute(
        insert(PostRevision).values(
            post_id=row.id,
            revision=row.revision,
            body_source=row.body_source,
            body_html=row.body_html,
            written_at=row.edited_at or row.created_at,
            editor_id=editor.user_id,
        )
    )
    await session.execute(
        update(Post)
        .where(Post.id == row.id)
        .values(
            body_source=text.source,
            body_html=text.html,
            revision=Post.revision + 1,
            edited_at=func.now(),
            language=func.coalesce(text.language, Post.language),
        )
    )


async def delete(session: AsyncConnection, actor: Actor, post_id: int) -> dict[str, Any]:
    """Soft deletion: the post keeps its place in the thread as a tombstone."""
    row = await _post_in_thread(session, actor, post_id)
    check_can_change_post(actor, row.author_id, row.deleted_at is not None)
    await mark_deleted(session, row)
    return post_view(await fetch(session, post_id), actor)


async def placed(session: AsyncConnection, actor: Actor, post_id: int) -> Row:
    """The post with its thread's place and audience, unlocked; 404 if the actor can't see
    it (`forum.revisions`)."""
    return await _post_in_thread(session, actor, post_id, for_change=False)


async def for_moderation(session: AsyncConnection, actor: Actor, post_id: int) -> Row:
    """The post with its thread's place and audience, locked for a moderator's change;
    404 if the actor can't see it (`forum.moderation`)."""
    return await _post_in_thread(session, actor, post_id)


async def mark_deleted(
    session: AsyncConnection, row: Row, *, deleted: bool = True, by_moderator: bool = False
) -> None:
    """What deleting a post does, whoever asked: the tombstone, its search document
    gone, and the event readers and the indexer follow (ids only, `forum.feed`); or, not
    `deleted`, a moderator's restoring of it, all of it back. `by_moderator`: a
    moderator deleted someone else's post, which its author is told (`forum.notifier`);
    the event says so, never who (readers get what `forum.feed` builds, not the payload)."""
    await session.execute(
        update(Post).where(Post.id == row.id).values(deleted_at=func.now() if deleted else None)
    )
    await documents.refresh(session, [row.id])
    await events.append(
        session,
        "post.deleted" if deleted else "post.restored",
        events.thread_channels(row.thread_id, row.region, row.topic),
        post_audience(row.region_visibility, row.thread_hidden, row.pending, row.author_id),
        {"thread_id": row.thread_id, "post_id": row.id}
        | ({BY_MODERATOR: True} if by_moderator and deleted else {}),
    )


async def erase_all_by(session: AsyncConnection, author_id: int) -> int:
    """Delete every post of a leaving member (`forum.leaving`) the way a post is deleted,
    then erase their text and earlier versions from the rows too: nobody, moderators
    included, reads a former member's deleted words. How many posts were deleted."""
    # Uses index: ix_posts_author_id
    rows = (
        await session.execute(
            _with_audience().where(Post.author_id == author_id).with_for_update(of=Post)
        )
    ).all()
    deleted = 0
    for row in rows:
        if row.deleted_at is None:
            await mark_deleted(session, row)
            deleted += 1
    await erase_text(session, [row.id for row in rows])
    return deleted


async def erase_text(session: AsyncConnection, ids: list[int]) -> None:
    """Erase these (deleted) posts' text and earlier versions from the rows: nobody,
    moderators included, reads it again."""
    if ids:
        await session.execute(delete_rows(PostRevision).where(PostRevision.post_id.in_(ids)))
        await session.execute(
            update(Post).where(Post.id.in_(ids)).values(body_source="", body_html="")
        )

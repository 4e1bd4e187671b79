"""How far each member has read each thread: "3 new" in thread lists, and a thread opened
at the first post the member has not read.

`read_positions` holds, per member and thread, the highest post position the member has
been shown. Only this module touches it: SQLAlchemy Core on an `AsyncConnection`, and
the one statement that records (`_RECORD`), also run directly on asyncpg for pages.

What counts as unread is decided for the reader as things are now, by the policy module:
- a post counts only if this reader may see its content now (`permissions.visible_posts`):
  deleted posts never count, hidden ones only for moderators and their author, so a
  count never tells anyone that something they cannot see was written;
- the reader's own posts never count (they have read what they wrote);
- a thread counts only if the reader may read it now (`permissions.can_read_thread`, as
  a query: `readable_visibilities` and `reads_hidden_threads`); for any other thread
  there is no answer at all, as if it did not exist.

A thread the member never opened is "new", unless they started it. Counting stops at
MAX_COUNTED posts: a list shows "100+ new", never scans a long thread to the end.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    ScalarSelect,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import Prepared
from forum.errors import not_found
from forum.models import Post, ReadPosition, Region, Thread
from forum.permissions import (
    Actor,
    can_read_thread,
    can_see_post_content,
    check_can_keep_read_positions,
    keeps_read_positions,
    readable_visibilities,
    reads_hidden_threads,
    visible_posts,
)

MAX_COUNTED = 100

# A thread's unread state for one member: "new" (never opened), else how many posts
# after their read position they may see now (at most MAX_COUNTED, which means "or more").
Unread = int | Literal["new"]
NEW: Literal["new"] = "new"


@dataclass(frozen=True)
class Landing:
    """Where to open a thread for a member: the first post they have not read (that they
    may see), else its last post."""

    position: int
    post_id: int
    unread: bool


def _counted(actor: Actor) -> ColumnElement[bool]:
    """Posts that count as unread for `actor`: visible to them now and not their own."""
    scope = visible_posts(actor)
    hidden_ok: ColumnElement[bool] = ~Post.hidden
    if scope.all_hidden:
        hidden_ok = true()
    elif scope.hidden_of is not None:
        hidden_ok = or_(~Post.hidden, Post.author_id == scope.hidden_of)
    counted = and_(Post.deleted_at.is_(None), hidden_ok)
    if actor.user_id is not None:
        counted = and_(counted, Post.author_id != actor.user_id)
    return counted


def _readable(actor: Actor) -> ColumnElement[bool]:
    """`can_read_thread` as a condition on a query joining `Thread` and `Region`."""
    condition = Region.visibility.in_(sorted(readable_visibilities(actor)))
    if not reads_hidden_threads(actor):
        condition = and_(condition, ~Thread.hidden)
    return condition


# One statement, so a member's thread page pays one round trip for it, autocommitted on
# the page's reader connection (`record_direct`); the API runs it in its request's
# transaction (`record`). It finds the thread only if the reader may read it (the
# policy's answers come in as values), and writes only a move forward: reading again
# what one has read writes nothing (no row version, no WAL). A concurrent record may
# have moved the row further meanwhile: the row keeps the greater.
# Uses index: pk_threads, pk_read_positions
_RECORD = text(
    """
    WITH thread AS (
        SELECT t.id, greatest(0, least(CAST(:position AS integer), t.post_count)) AS position
        FROM threads t JOIN regions r ON r.id = t.region_id
        WHERE t.id = CAST(:thread_id AS bigint)
          AND r.visibility = ANY(CAST(:visibilities AS text[]))
          AND (NOT t.hidden OR CAST(:hidden_threads AS boolean)
               -- a thread awaiting approval is its author's too (`can_read_thread`)
               OR (t.pending AND t.author_id = CAST(:user_id AS bigint)))
    ),
    before AS (
        SELECT position FROM read_positions
        WHERE user_id = CAST(:user_id AS bigint) AND thread_id = CAST(:thread_id AS bigint)
    ),
    moved AS (
        INSERT INTO read_positions AS rp (user_id, thread_id, position)
        SELECT CAST(:user_id AS bigint), thread.id, thread.position FROM thread
        WHERE thread.position > coalesce((SELECT position FROM before), 0)
        ON CONFLICT (user_id, thread_id) DO UPDATE
            SET position = greatest(rp.position, excluded.position), read_at = now()
        RETURNING rp.position
    )
    SELECT EXISTS (SELECT FROM thread) AS readable,
           (SELECT position FROM before) AS previous,
           coalesce((SELECT position FROM moved), (SELECT position FROM before), 0) AS position
    """
)
_RECORD_DIRECT = Prepared.of(_RECORD)
MAX_POSITION = 2**31 - 1  # posts.position is int4


@dataclass(frozen=True)
class Mark:
    """A read position recorded: the one stored before (None if the thread was never
    opened) and the one stored now."""

    previous: int | None
    position: int


def _values(actor: Actor, thread_id: int, position: int) -> dict[str, Any]:
    check_can_keep_read_positions(actor)
    return {
        "thread_id": thread_id,
        "user_id": actor.user_id,
        "position": min(position, MAX_POSITION),
        "visibilities": sorted(readable_visibilities(actor)),
        "hidden_threads": reads_hidden_threads(actor),
    }


def _mark(row: Mapping[str, Any]) -> Mark:
    if not row["readable"]:
        raise not_found("thread")
    return Mark(row["previous"], row["position"])


async def record(conn: AsyncConnection, actor: Actor, thread_id: int, position: int) -> Mark:
    """Remember that the member has read the thread up to `position` (clamped to its last
    post). The stored position never moves back: a page opened in an older tab cannot
    make read posts unread again.

    401 for visitors, 403 for a suspended account, 404 for a thread they may not read.
    """
    values = _values(actor, thread_id, position)
    return _mark((await conn.execute(_RECORD, values)).mappings().one())


def position_of(user_id: BindParameter[Any]) -> ScalarSelect[int]:
    """The read position of the member `user_id` in the thread of the enclosing query on
    `Thread`: a column for `forum.threads.get_thread`, so a thread page learns where its
    reader was with the thread itself (NULL for a thread never opened, and for visitors)."""
    # Uses index: pk_read_positions
    return (
        select(ReadPosition.position)
        .where(ReadPosition.user_id == user_id, ReadPosition.thread_id == Thread.id)
        .correlate(Thread)
        .scalar_subquery()
    )


async def record_direct(
    reader: asyncpg.Connection, actor: Actor, thread_id: int, position: int
) -> Mark:
    """`record` as one autocommitted statement on a connection outside any transaction
    (`Database.reader`): what a member's thread page does after reading the posts."""
    values = _values(actor, thread_id, position)
    row = await reader.fetchrow(_RECORD_DIRECT.sql, *_RECORD_DIRECT.args(**values))
    assert row is not None
    return _mark(row)


def first_new(actor: Actor, previous: int | None, posts: Iterable[Mapping[str, Any]]) -> int | None:
    """The position of the first of these posts (as `forum.posts.post_view` gives them)
    that was unread for a member whose read position was `previous`, by the rules of
    `unread`: a page puts its "new" divider there. None when none was, or for readers
    whose reading is not kept."""
    if not keeps_read_positions(actor):
        return None
    for post in posts:
        if (
            post["position"] > (previous or 0)
            and post["author"]["id"] != actor.user_id
            and can_see_post_content(actor, post["author"]["id"], post["hidden"], post["deleted"])
        ):
            return post["position"]
    return None


async def unread(
    conn: AsyncConnection, actor: Actor, thread_ids: Collection[int]
) -> dict[int, Unread]:
    """Each listed thread's unread state for `actor`, in one query for the whole list.

    Threads the reader may not read now are left out; so is everything for a reader
    whose reading is not kept (no query is made for them).
    """
    if not thread_ids or not keeps_read_positions(actor):
        return {}
    user_id = actor.user_id
    # Uses index: pk_read_positions (user_id, thread_id), one probe per thread.
    # A thread the reader started counts as opened at its start.
    position = func.coalesce(ReadPosition.position, case((Thread.author_id == user_id, 0)))
    # Uses index: uq_posts_thread_position (thread_id, position), a range from the
    # reader's position, stopped after MAX_COUNTED posts.
    after = (
        select(literal(1))
        .where(Post.thread_id == Thread.id, Post.position > position, _counted(actor))
        .limit(MAX_COUNTED)
        .correlate(Thread, ReadPosition)
        .subquery("after")
    )
    counted = select(func.count()).select_from(after).scalar_subquery()
    rows = await conn.execute(
        select(Thread.id, position.label("position"), counted.label("unread"))
        .join(Region, Region.id == Thread.region_id)
        .outerjoin(
            ReadPosition,
            and_(ReadPosition.thread_id == Thread.id, ReadPosition.user_id == user_id),
        )
        # Uses index: pk_threads
        .where(Thread.id.in_(list(thread_ids)), _readable(actor))
    )
    return {r.id: NEW if r.position is None else r.unread for r in rows}


async def landing(conn: AsyncConnection, actor: Actor, thread_id: int) -> Landing:
    """Where a member opens the thread: the first post they may see that they have not
    read, else the last post. 404 for a thread they may not read."""
    # Uses index: pk_threads, pk_read_positions, uq_posts_thread_position
    thread = (
        await conn.execute(
            select(Thread.post_count, Thread.hidden, Thread.pending, Thread.author_id,
                   Region.visibility, ReadPosition.position.label("read"))
            .join(Region, Region.id == Thread.region_id)
            .outerjoin(ReadPosition, and_(ReadPosition.thread_id == Thread.id,
                                          ReadPosition.user_id == actor.user_id))
            .where(Thread.id == thread_id)
        )
    ).first()  # fmt: skip
    if thread is None or not can_read_thread(
        actor, thread.visibility, thread.hidden, pending=thread.pending, author_id=thread.author_id
    ):
        raise not_found("thread")  # fmt: skip
    # Readers whose reading is not kept have read nothing: they open at the start.
    read = (thread.read or 0) if keeps_read_positions(actor) else 0
    first = (
        await conn.execute(
            select(Post.position, Post.id)
            .where(Post.thread_id == thread_id, Post.position > read, _counted(actor))
            .order_by(Post.position)
            .limit(1)
        )
    ).first()
    if first is not None:
        return Landing(first.position, first.id, unread=True)
    last = (
        await conn.execute(
            select(Post.position, Post.id)
            .where(Post.thread_id == thread_id)
            .order_by(Post.position.desc())
            .limit(1)
        )
    ).one()
    return Landing(last.position, last.id, unread=False)


# Threads split and merged (`forum.splitting`): read positions follow the posts.


async def follow_split(conn: AsyncConnection, source: int, new: int, shift: int) -> None:
    """Posts after position `shift` of `source` became `new`'s, numbered from 1: a member
    who had read some of them has read `new` that far (one who had not opened it), and
    `source` at most to its end."""
    moved = {"new": new, "source": source, "shift": shift}
    # Uses index: ix_read_positions_thread
    await conn.execute(
        text(
            "INSERT INTO read_positions (user_id, thread_id, position, read_at) "
            "SELECT user_id, :new, position - :shift, read_at FROM read_positions "
            "WHERE thread_id = :source AND position > :shift"
        ),
        moved,
    )
    await conn.execute(
        text(
            "UPDATE read_positions SET position = :shift "
            "WHERE thread_id = :source AND position > :shift"
        ),
        moved,
    )


async def follow_merge(
    conn: AsyncConnection, source: int, into: int, placed: Sequence[tuple[int, int, int]]
) -> None:
    """Every post of `source` and `into` is in `into` now; `placed`: (thread it was in,
    position it had, position it has). A member's position in `into` is the new place of
    the last post they had read in either. Every post after it is one they had not read,
    so the count counts only posts they have not read; a post of the other thread older
    than that one, never opened, counts as read: a high-water mark holds no gap, and
    marking the first unread post instead would count again all they read after it."""
    # Uses index: ix_read_positions_thread
    await conn.execute(
        text(
            """
            WITH placed(thread_id, old, new) AS (
                SELECT * FROM unnest(CAST(:threads AS bigint[]), CAST(:olds AS integer[]),
                                     CAST(:news AS integer[]))
            ),
            reached AS (
                SELECT rp.user_id, max(coalesce(placed.new, 0)) AS position,
                       max(rp.read_at) AS read_at
                FROM read_positions rp
                LEFT JOIN placed ON placed.thread_id = rp.thread_id AND placed.old = rp.position
                WHERE rp.thread_id IN (:source, :into)
                GROUP BY rp.user_id
            )
            INSERT INTO read_positions AS rp (user_id, thread_id, position, read_at)
            SELECT user_id, :into, position, read_at FROM reached
            ON CONFLICT (user_id, thread_id) DO UPDATE
                SET position = excluded.position, read_at = excluded.read_at
            """
        ),
        {
            "threads": [t for t, _, _ in placed],
            "olds": [o for _, o, _ in placed],
            "news": [n for _, _, n in placed],
            "source": source,
            "into": into,
        },
    )

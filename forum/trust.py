"""Whether a member's post is held for a moderator's approval (`forum.approvals`), and
when a member becomes trusted (`users.trusted_at`, through Core statements): at their
first post approved, or published in a region that holds nobody's."""

from __future__ import annotations

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.models import User
from forum.permissions import Actor, holds_posts


async def holds(session: AsyncConnection, actor: Actor, approve_new_members: bool) -> bool:
    """Whether what `actor` writes now in a region with that setting is held; a post
    that is not held makes its author trusted."""
    if actor.user_id is None or actor.staff:
        return False
    if not approve_new_members:
        await trusted(session, actor.user_id)
        return False
    at = await session.scalar(select(User.trusted_at).where(User.id == actor.user_id))
    return holds_posts(actor, approve_new_members, trusted=at is not None)


# `holds` for a reply, in one round trip (a reply's statements are most of its cost): the
# thread's region's setting, whether the author was trusted, and, in a region that holds
# nobody's posts, the author made trusted.
_HOLDS_IN_THREAD = text(
    """
    WITH setting AS (
        SELECT r.approve_new_members AS approve
        FROM threads t JOIN regions r ON r.id = t.region_id WHERE t.id = :thread_id
    ), made AS (
        UPDATE users SET trusted_at = now()
        WHERE id = :user_id AND trusted_at IS NULL
          AND NOT coalesce((SELECT approve FROM setting), true)
    )
    SELECT coalesce((SELECT approve FROM setting), false) AS approve,
           (SELECT trusted_at IS NOT NULL FROM users WHERE id = :user_id) AS trusted
    """
)


async def holds_in_thread(session: AsyncConnection, actor: Actor, thread_id: int) -> bool:
    """`holds` for a reply to this thread (False for a thread that does not exist: the
    reply then fails as any reply would)."""
    if actor.user_id is None or actor.staff:
        return False
    found = await session.execute(
        _HOLDS_IN_THREAD, {"thread_id": thread_id, "user_id": actor.user_id}
    )
    row = found.one()
    return holds_posts(actor, row.approve, trusted=bool(row.trusted))


async def trusted(session: AsyncConnection, user_id: int) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id, User.trusted_at.is_(None))
        .values(trusted_at=func.now())
    )

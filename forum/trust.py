"""Whether a member's post is held for a moderator's approval (`forum.approvals`), and
when a member becomes trusted (`users.trusted_at`, through Core statements): at their
first post approved, or published in a region that holds nobody's."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.models import Region, Thread, User
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


async def holds_in_thread(session: AsyncConnection, actor: Actor, thread_id: int) -> bool:
    """`holds` for a reply to this thread (False for a thread that does not exist: the
    reply then fails as any reply would)."""
    if actor.user_id is None or actor.staff:
        return False
    approve = await session.scalar(
        select(Region.approve_new_members)
        .join(Thread, Thread.region_id == Region.id)
        .where(Thread.id == thread_id)
    )
    return await holds(session, actor, bool(approve))


async def trusted(session: AsyncConnection, user_id: int) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id, User.trusted_at.is_(None))
        .values(trusted_at=func.now())
    )

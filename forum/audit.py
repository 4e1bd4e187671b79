"""The audit log: every moderator's and admin's action, who, what, on what, where, why
and when, with the state before and after where it applies.

Entries are written in the action's own transaction (`record`), so an action and its
entry stand or fall together, and never changed or removed (a database trigger refuses
it: `0012_audit`). They hold flags, places and roles, never a post's text: text purged
from the forum is not kept here either. The region's moderators read the entries of
their regions and their own; admins read everything (`permissions.audit_regions`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import moderators, pagination
from forum.errors import invalid
from forum.models import AuditEntry, Region, User
from forum.permissions import Actor, audit_regions

ACTIONS = (
    "post.hide", "post.show", "post.delete", "post.restore", "thread.lock",
    "thread.unlock", "thread.pin", "thread.unpin",
    "thread.move", "thread.split", "thread.merge", "user.suspend", "user.reinstate",
    "application.approve", "application.refuse", "moderator.assign", "editor.assign",
    "flag.assign", "flag.resolve", "post.edit", "post.redact",
    "post.approve", "post.reject", "region.settings", "review.edit",
    "event.publish", "event.decline", "event.edit",
    "news.approve", "news.decline", "news.edit",
)  # fmt: skip


async def record(
    session: AsyncConnection,
    actor: Actor | None,
    action: str,
    target: tuple[str, int],
    *,
    region_id: int | None = None,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an entry; `actor` None is the operator (the command line)."""
    assert action in ACTIONS, action
    await session.execute(
        insert(AuditEntry).values(
            actor_id=actor.user_id if actor is not None else None,
            action=action, target_type=target[0], target_id=target[1],
            region_id=region_id, reason=reason, before=before, after=after,
        )
    )  # fmt: skip


def _day(value: date, *, end: bool) -> datetime:
    start = datetime.combine(value, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


async def entries(
    session: AsyncConnection,
    actor: Actor,
    *,
    moderator: int | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, in keyset pages, filtered by who acted, the action and the days
    (UTC, both inclusive); 403 for anyone but moderators and admins."""
    regions = audit_regions(actor, await moderators.regions_of(session, actor))
    if action is not None and action not in ACTIONS:
        raise invalid("action", f"Choose one of: {', '.join(ACTIONS)}.", "unknown_action")
    if since is not None and until is not None and since > until:
        raise invalid("from", "The start date is after the end date.", "invalid_range")
    query = (
        select(
            AuditEntry.id, AuditEntry.at, AuditEntry.actor_id,
            User.display_name.label("actor_name"), AuditEntry.action,
            AuditEntry.target_type, AuditEntry.target_id, Region.slug.label("region"),
            AuditEntry.reason, AuditEntry.before, AuditEntry.after,
        )
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .outerjoin(Region, Region.id == AuditEntry.region_id)
    )  # fmt: skip
    if regions is not None:
        query = query.where(
            or_(AuditEntry.region_id.in_(sorted(regions)), AuditEntry.actor_id == actor.user_id)
        )
    if moderator is not None:
        query = query.where(AuditEntry.actor_id == moderator)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= _day(since, end=False))
    if until is not None:
        query = query.where(AuditEntry.at < _day(until, end=True))
    if cursor is not None:
        key = pagination.decode(cursor, datetime, int)
        query = query.where(tuple_(AuditEntry.at, AuditEntry.id) < key)
    rows = (
        await session.execute(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
        )
    ).all()
    page = rows[:limit]
    following = pagination.encode(page[-1].at, page[-1].id) if len(rows) > limit else None
    return [dict(r._mapping) for r in page], following

"""Whether an account is suspended now, and what a suspension says (`users` columns
`suspended_at`, `suspended_until`, `suspension_reason`, through Core statements).

A suspension lasts from `suspended_at` until `suspended_until` (None: until a moderator
lifts it, `moderation.set_suspended`). `active()` is the one SQL expression that says
whether it holds now: every reader of an account's standing (a session's actor, logging
in, password resets) asks it, so a suspension whose end has passed lifts itself with no
job to run. The realtime sweep compares the actor each session runs as now with the one
its sockets run as, so it closes them at its next turn then as it does on an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from forum.errors import invalid, not_found
from forum.models import User
from forum.permissions import Actor, check_can_moderate

KIND = "suspended"  # the email's kind (`web.mail`)
MAX_REASON = 1000  # characters


def active() -> ColumnElement[bool]:
    """Whether the `users` row's suspension holds now."""
    return and_(
        User.suspended_at.isnot(None),
        or_(User.suspended_until.is_(None), User.suspended_until > func.now()),
    )


@dataclass(frozen=True)
class Standing:
    """A member's suspension as a moderator sees it."""

    user_id: int
    name: str
    suspended: bool
    until: datetime | None  # when it lifts by itself (None: when lifted, or not suspended)
    reason: str | None


def ends_at(until: date | None) -> datetime | None:
    """When a suspension until the day `until` lifts: that day's start, UTC; it must be
    after today."""
    if until is None:
        return None
    if until <= datetime.now(UTC).date():
        raise invalid("until", "Choose a day after today.", "until_not_future")
    return datetime.combine(until, time(), tzinfo=UTC)


def checked_reason(reason: str | None, *, required: bool) -> str | None:
    reason = (reason or "").strip() or None
    if reason is None and required:
        raise invalid("reason", "Write the reason the member will read.", "reason_required")
    if reason is not None and len(reason) > MAX_REASON:
        raise invalid("reason", f"Keep it under {MAX_REASON} characters.", "too_long")
    return reason


_STANDING = select(
    User.id, User.display_name, User.role, User.email, User.language,
    active().label("suspended"), User.suspended_until, User.suspension_reason,
)  # fmt: skip


async def row(session: AsyncConnection, user_id: int, *, lock: bool = False) -> Row[Any]:
    """The account's standing columns (404 if there is none)."""
    query = _STANDING.where(User.id == user_id)
    found = (await session.execute(query.with_for_update() if lock else query)).first()
    if found is None:
        raise not_found("user")
    return found


def standing(found: Row[Any]) -> Standing:
    suspended = bool(found.suspended)
    return Standing(
        found.id, found.display_name, suspended,
        found.suspended_until if suspended else None,
        found.suspension_reason if suspended else None,
    )  # fmt: skip


async def of(session: AsyncConnection, actor: Actor, user_id: int) -> Standing:
    """A member's standing, for moderators and admins (403 for anyone else)."""
    check_can_moderate(actor)
    return standing(await row(session, user_id))

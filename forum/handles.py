"""Handles: each member's unique `@handle`, for mentions and the profile address
`/members/<handle>`.

3 to 30 of a-z, 0-9 and _, kept lower case (so unique without regard to case: `@Amina`
is `@amina`). A new account gets a default derived from its display name from the
database itself (migration 0026); a member changes theirs (`change`), and the old one
keeps leading to them (`handle_redirects`) and stays theirs: nobody else takes a handle
someone was mentioned by. Tables `users.handle` and `handle_redirects`, through Core.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import HandleRedirect, User
from forum.permissions import Actor, check_can_change_settings, user_audience

PATTERN = re.compile(r"^[a-z0-9_]{3,30}$")
MAX_LENGTH = 30


def check(raw: str) -> str:
    """The handle as stored, or a clear 422."""
    handle = raw.strip().lstrip("@").lower()
    if not PATTERN.match(handle):
        raise invalid(
            "handle",
            "Use 3 to 30 letters a-z, digits and underscores.",
            "invalid_handle",
        )
    return handle


@dataclass(frozen=True)
class Found:
    user_id: int
    handle: str  # the member's handle now
    moved: bool  # found by a handle they used before


async def resolve(session: AsyncConnection, raw: str) -> Found:
    """The member a handle leads to (their current one, or one they used before); 404
    for none."""
    handle = raw.strip().lstrip("@").lower()
    if not PATTERN.match(handle):
        raise not_found("member")
    # Uses index: uq_users_handle, pk_handle_redirects
    row = (await session.execute(select(User.id, User.handle).where(User.handle == handle))).first()
    if row is not None:
        return Found(row.id, row.handle, False)
    row = (
        await session.execute(
            select(User.id, User.handle)
            .join(HandleRedirect, HandleRedirect.user_id == User.id)
            .where(HandleRedirect.handle == handle)
        )
    ).first()
    if row is None:
        raise not_found("member")
    return Found(row.id, row.handle, True)


async def members(session: AsyncConnection, handles: Collection[str]) -> dict[str, int]:
    """The accounts these handles (current or former, lower case) lead to."""
    wanted = sorted({h for h in handles if PATTERN.match(h)})
    if not wanted:
        return {}
    found = dict(
        (await session.execute(select(User.handle, User.id).where(User.handle.in_(wanted)))).all()
    )
    left = [h for h in wanted if h not in found]
    if left:
        moved = await session.execute(
            select(HandleRedirect.handle, HandleRedirect.user_id).where(
                HandleRedirect.handle.in_(left)
            )
        )
        found.update(dict(moved.all()))
    return found


def _taken() -> DomainError:
    message = "Another member has this handle, or had it."
    return DomainError(Kind.CONFLICT, "handle_taken", message, fields={"handle": message})


async def change(session: AsyncConnection, actor: Actor, raw: str) -> str:
    """Take a new handle; the old one keeps leading to the member. 409 `handle_taken`
    if another member has it now or had it before."""
    check_can_change_settings(actor, renaming=True)
    assert actor.user_id is not None
    handle = check(raw)
    current = await session.scalar(
        select(User.handle).where(User.id == actor.user_id).with_for_update()
    )
    if current == handle:
        return handle
    taken = await session.scalar(
        select(User.id)
        .where(User.handle == handle, User.id != actor.user_id)
        .union_all(
            select(HandleRedirect.user_id).where(
                HandleRedirect.handle == handle, HandleRedirect.user_id != actor.user_id
            )
        )
        .limit(1)
    )
    if taken is not None:
        raise _taken()
    # Taking back a handle of one's own frees its redirect; the one left keeps leading here.
    await session.execute(delete(HandleRedirect).where(HandleRedirect.handle == handle))
    statement = upsert(HandleRedirect).values(handle=current, user_id=actor.user_id)
    await session.execute(statement.on_conflict_do_nothing())
    try:
        async with session.begin_nested():
            await session.execute(
                update(User).where(User.id == actor.user_id).values(handle=handle)
            )
    except IntegrityError:  # a concurrent taker won the unique index
        raise _taken() from None
    audience = user_audience(actor.user_id)
    await events.append(session, "user.updated", [audience], audience,
                        {"user_id": actor.user_id, "fields": ["handle"]})  # fmt: skip
    return handle

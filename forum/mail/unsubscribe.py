"""One-click unsubscribe (RFC 8058): the signed token a notification mail's
`List-Unsubscribe` link carries, and what using it changes.

A token names a member and what to stop: all notification mail (`email_mode` becomes
`none`) or one region's mailing-list mail (that follow's `mailing_list` goes off; the
follow itself stays). It is signed, not stored (`forum.mail.signed`), and works for
`LIFETIME`: an unsubscribe link in an old mail must still work, and what it can do is
only ever to send less mail. Tables `users` and `follows`, through Core statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events
from forum.errors import DomainError, Kind
from forum.mail import signed
from forum.models import EmailMode, Follow, Region, User
from forum.permissions import user_audience

LIFETIME = timedelta(days=730)
_KIND = signed.Kind("", ids=2, lifetime=LIFETIME, purpose=b"forum unsubscribe")
_ALL = 0  # the scope of a token for all notification mail; otherwise a region's id
MAX_TOKEN = 100


@dataclass(frozen=True)
class Unsubscribe:
    """What a token stops: `region` None is all notification mail."""

    user_id: int
    region_id: int | None
    region_name: str | None
    done: bool  # already so (nothing left to change)


def token(secret: str, user_id: int, region_id: int | None = None) -> str:
    return _KIND.token(secret, (user_id, _ALL if region_id is None else region_id))


def unusable() -> DomainError:
    message = "This unsubscribe link is not valid."
    return DomainError(Kind.INVALID, "token_unusable", message, fields={"token": message})


async def what(session: AsyncConnection, secret: str, value: str) -> Unsubscribe:
    """What `value` would stop, without changing anything; `unusable()` if it is not one
    of ours or its member or region is gone."""
    found = _KIND.opened_token(secret, value) if len(value) <= MAX_TOKEN else None
    if found is None:
        raise unusable()
    (user_id, scope), _ = found
    mode = await session.scalar(select(User.email_mode).where(User.id == user_id))
    if mode is None:
        raise unusable()
    if scope == _ALL:
        return Unsubscribe(user_id, None, None, mode == EmailMode.NONE.value)
    found_region = select(Region.slug, Region.name).where(Region.id == scope)
    region = (await session.execute(found_region)).first()
    if region is None:
        raise unusable()
    listed = await session.scalar(
        select(Follow.mailing_list).where(
            Follow.user_id == user_id, Follow.target == f"region:{region.slug}"
        )
    )
    return Unsubscribe(user_id, scope, region.name, not listed)


async def use(session: AsyncConnection, secret: str, value: str) -> Unsubscribe:
    """Stop what `value` names (nothing if it is already stopped); what it was."""
    found = await what(session, secret, value)
    if found.done:
        return found
    if found.region_id is None:
        await session.execute(
            update(User).where(User.id == found.user_id).values(email_mode=EmailMode.NONE.value)
        )
        fields = ["email_mode"]
    else:
        slug = select(Region.slug).where(Region.id == found.region_id).scalar_subquery()
        await session.execute(
            update(Follow)
            .where(Follow.user_id == found.user_id, Follow.target == "region:" + slug)
            .values(mailing_list=False)
        )
        fields = ["follows"]
    audience = user_audience(found.user_id)
    await events.append(
        session, "user.updated", [audience], audience, {"user_id": found.user_id, "fields": fields}
    )
    return Unsubscribe(found.user_id, found.region_id, found.region_name, True)

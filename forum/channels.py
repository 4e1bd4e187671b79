"""Realtime channels: what each name means and who may listen to it.

`thread:<id>`, `region:<slug>`, `topic:<slug>`, `user:<id>` (own notifications) and
`mod:<region slug>` (the moderators' queue). Events say which channels they belong to;
whether a given reader may receive one is decided by the event's visibility (`audiences`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import catalog
from forum.errors import DomainError, Kind, forbidden, invalid, not_found
from forum.models import Region, Thread
from forum.permissions import Actor, can_read_thread

MAX_CHANNEL = 80
_NAME = re.compile(r"^(thread|user):([1-9][0-9]{0,17})$|^(region|topic|mod):([a-z0-9-]{1,64})$")


def audiences(actor: Actor) -> frozenset[str]:
    """The event visibilities this actor may receive."""
    found = {"public"}
    if actor.authenticated:
        found |= {"members", f"user:{actor.user_id}"}
    if actor.staff:
        found.add("staff")
    return frozenset(found)


def parse(channel: object) -> tuple[str, str]:
    if not isinstance(channel, str) or len(channel) > MAX_CHANNEL:
        raise invalid("channels", "Not a channel name.", "invalid_channel")
    match = _NAME.match(channel)
    if match is None:
        raise invalid("channels", f"Not a channel name: {channel[:MAX_CHANNEL]}", "invalid_channel")
    kind, value = channel.split(":", 1)
    return kind, value


async def check_can_listen(session: AsyncConnection, actor: Actor, channel: str) -> None:
    """Raise unless `actor` may subscribe to `channel`; an unreadable one looks missing."""
    try:
        await _check(session, actor, channel)
    except DomainError as exc:
        if exc.kind is not Kind.NOT_FOUND:
            raise
        raise DomainError(
            Kind.NOT_FOUND, "channel_not_found", f"No such channel: {channel}"
        ) from None


async def _check(session: AsyncConnection, actor: Actor, channel: str) -> None:
    kind, value = parse(channel)
    if kind == "thread":
        row = (
            await session.execute(
                select(Thread.hidden, Region.visibility)
                .join(Region, Region.id == Thread.region_id)
                .where(Thread.id == int(value))
            )
        ).first()
        if row is None or not can_read_thread(actor, row.visibility, row.hidden):
            raise not_found("thread")
    elif kind == "region":
        await catalog.region(session, actor, value)
    elif kind == "topic":
        await catalog.topic_id(session, value)
    elif kind == "user":
        if actor.user_id != int(value):
            raise forbidden("channel_forbidden", "These notifications belong to someone else.")
    elif kind == "mod":
        if not actor.staff:
            raise forbidden("channel_forbidden", "The moderation queue is for moderators.")
        await catalog.region(session, actor, value)

"""Realtime channels: what each name means, and what it is about now.

`thread:<id>`, `region:<slug>`, `topic:<slug>`, `user:<id>` (own notifications) and
`mod:<region slug>` (the moderators' queue). Whether a reader may join one is the
policy's answer (`permissions.check_can_listen`) about the facts read here; whether a
given event on it reaches them is decided per event by its audience (`forum.feed`).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import moderators
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid
from forum.models import Region, Thread
from forum.permissions import Actor, ChannelTarget, check_can_listen

MAX_CHANNEL = 80
_NAME = re.compile(r"^(thread|user):([1-9][0-9]{0,17})$|^(region|topic|mod):([a-z0-9-]{1,64})$")


def parse(channel: object) -> tuple[str, str]:
    if not isinstance(channel, str) or len(channel) > MAX_CHANNEL:
        raise invalid("channels", "Not a channel name.", "invalid_channel")
    match = _NAME.match(channel)
    if match is None:
        raise invalid("channels", f"Not a channel name: {channel[:MAX_CHANNEL]}", "invalid_channel")
    kind, value = channel.split(":", 1)
    return kind, value


async def target(session: AsyncConnection, catalog: Catalog, channel: str) -> ChannelTarget:
    kind, value = parse(channel)
    if kind == "thread":
        row = (
            await session.execute(
                select(Thread.hidden, Thread.pending, Thread.author_id, Thread.region_id)
                .add_columns(Region.visibility)
                .join(Region, Region.id == Thread.region_id)
                .where(Thread.id == int(value))
            )
        ).first()
        if row is None:
            return ChannelTarget(kind, exists=False)
        return ChannelTarget(kind, region_visibility=row.visibility, thread_hidden=row.hidden,
                             thread_pending=row.pending, author_id=row.author_id,
                             region_id=row.region_id)  # fmt: skip
    if kind in ("region", "mod"):
        region = next((r for r in catalog.regions if r.slug == value), None)
        if region is None:
            return ChannelTarget(kind, exists=False)
        return ChannelTarget(kind, region_visibility=region.visibility, region_id=region.id)
    if kind == "topic":
        return ChannelTarget(kind, exists=any(t.slug == value for t in catalog.topics))
    return ChannelTarget(kind, user_id=int(value))


async def check_can_join(
    session: AsyncConnection, catalog: Catalog, actor: Actor, channel: str
) -> None:
    """Raise unless `actor` may subscribe to `channel`; an unreadable one looks missing."""
    try:
        found = await target(session, catalog, channel)
        # The regions it moderates, for a queue and for a thread awaiting approval.
        regional = found.kind == "mod" or (found.thread_pending and actor.staff)
        moderated = await moderators.regions_of(session, actor) if regional else []
        check_can_listen(actor, found, moderated)
    except DomainError as exc:
        if exc.kind is not Kind.NOT_FOUND:
            raise
        raise DomainError(
            Kind.NOT_FOUND, "channel_not_found", f"No such channel: {channel}"
        ) from None

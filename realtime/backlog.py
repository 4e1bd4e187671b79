"""What a resuming client missed: the events between its `since` and the head where its
live delivery begins, read from the table, as the current rows show them.

With the hub's live delivery after the head (`Hub.join`), the client gets every event
once, in log order. A backlog too old (events after `since` may have been pruned,
`forum.events.expired`) or too long is not sent: the client is told to resync (reload).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable

from forum import events, feed
from forum.db import Database
from forum.events import Cursor
from realtime import protocol
from realtime.hub import Subscriber

MAX_EVENTS = 10_000  # events of the channels read for one backlog; more: resync
BATCH = 500


class Resync(enum.StrEnum):
    """Why a backlog was not sent: the client reloads what it shows."""

    EXPIRED = "backlog_expired"
    TOO_LONG = "backlog_too_long"


async def replay(
    db: Database,
    subscriber: Subscriber,
    channels: list[str],
    since: Cursor,
    head: Cursor,
    send: Callable[[str], Awaitable[None]],
) -> Resync | None:
    """Send the events on `channels` after `since` up to `head` that `subscriber` may
    receive and has not had through its other channels; None when all were sent.

    Each batch is read in a short transaction of its own and sent after it: a slow client
    holds no database connection while its socket drains.
    """
    async with db.transaction() as conn:
        if await events.expired(conn, since):
            return Resync.EXPIRED
    cursor, read = since, 0
    while cursor < head:
        async with db.transaction() as conn:
            batch = await events.read(conn, cursor, BATCH, until=head, channels=channels)
            deliveries = await feed.current(conn, batch)
        if not batch:
            break
        read += len(batch)
        if read > MAX_EVENTS:
            return Resync.TOO_LONG
        for delivery in deliveries:
            event = delivery.event
            if delivery.audience not in subscriber.audiences or subscriber.has(event, channels):
                continue  # not for this reader, or already sent live
            channel = next(c for c in event.channels if c in channels)
            await send(protocol.event(delivery, channel))
        cursor = batch[-1].cursor
    # Retention may have pruned part of the range while it was read.
    async with db.transaction() as conn:
        if await events.expired(conn, since):
            return Resync.EXPIRED
    return None

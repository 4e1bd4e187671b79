"""The event log: every write appends here and notifies, in the writer's own transaction.

Readers page by (xid, id) and only read rows whose writing transaction is older than
every transaction still running (`xid < pg_snapshot_xmin(pg_current_snapshot())`).
Sequence ids are handed out before commit, so `id > last_id` alone could skip an event
that commits after a higher id; rows under the horizon can no longer appear behind a
cursor. The cost: one long write transaction holds every reader back, so keep them short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import Prepared, json_dumps
from forum.errors import invalid

CHANNEL = "forum_events"

_APPEND = text(
    """
    WITH e AS (
        INSERT INTO events (type, channels, visibility, payload)
        VALUES (:type, :channels, :visibility, CAST(:payload AS jsonb))
        RETURNING id
    )
    SELECT pg_notify(:channel, e.id::text) FROM e
    """
)

# Uses index: ix_events_xid_id
_READ = text(
    """
    SELECT id, xid::text::bigint AS xid, at, type, channels, visibility, payload
    FROM events
    WHERE (xid, id) > (CAST(:xid AS text)::xid8, :id)
      AND (xid, id) <= (CAST(:until_xid AS text)::xid8, :until_id)
      AND xid < pg_snapshot_xmin(pg_current_snapshot())
      AND (CAST(:channels AS text[]) IS NULL OR channels && CAST(:channels AS text[]))
    ORDER BY xid, id
    LIMIT :limit
    """
)

# `_READ` run on the driver's own connection (`read_direct`).
_READ_DIRECT = Prepared.of(_READ)

_OLDEST = text("SELECT xid::text::bigint AS xid, id FROM events ORDER BY xid, id LIMIT 1")

# Keep an event while it is younger than `days` or among the newest `count`.
_PRUNE = text(
    """
    DELETE FROM events
    WHERE at < now() - make_interval(days => :days)
      AND id <= (SELECT id FROM events ORDER BY id DESC OFFSET :count LIMIT 1)
    """
)

_HEAD = text(
    """
    SELECT xid::text::bigint AS xid, id FROM events
    WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY xid DESC, id DESC
    LIMIT 1
    """
)


@dataclass(frozen=True, order=True)
class Cursor:
    xid: int
    id: int

    def __str__(self) -> str:
        return f"{self.xid}-{self.id}"

    @classmethod
    def parse(cls, raw: str) -> Cursor:
        xid, sep, id_ = raw.partition("-")
        digits = all(p.isascii() and p.isdigit() and len(p) <= 20 for p in (xid, id_))
        if not (sep and digits) or int(xid) >= 2**64 or int(id_) >= 2**63:
            raise invalid("since", "The event cursor is not valid.", "invalid_cursor")
        return cls(int(xid), int(id_))


START = Cursor(0, 0)
END = Cursor(2**64 - 1, 2**63 - 1)


@dataclass(frozen=True)
class Event:
    cursor: Cursor
    at: datetime
    type: str
    channels: list[str]
    visibility: str
    payload: dict[str, Any]


def thread_channels(thread_id: int, region: str, topic: str) -> list[str]:
    return [f"thread:{thread_id}", f"region:{region}", f"topic:{topic}"]


async def append(
    session: AsyncConnection,
    type: str,
    channels: list[str],
    visibility: str,
    payload: dict[str, Any],
) -> None:
    """Record an event; it is published (NOTIFY) only if the transaction commits."""
    await session.execute(
        _APPEND,
        {
            "type": type,
            "channels": channels,
            "visibility": visibility,
            "payload": json_dumps(payload),
            "channel": CHANNEL,
        },
    )


async def read(
    conn: AsyncConnection,
    after: Cursor = START,
    limit: int = 500,
    *,
    until: Cursor = END,
    channels: list[str] | None = None,
) -> list[Event]:
    """Finished events after `after` (up to `until`, in any of `channels`), in log order;
    no event can later appear before the last one returned."""
    rows = await conn.execute(_READ, _read_values(after, until, channels, limit))
    return [_event(r._mapping) for r in rows]


async def read_direct(conn: asyncpg.Connection, after: Cursor, limit: int) -> list[Event]:
    """`read` (every channel) on `Database.reader`'s connection, outside a transaction:
    for the realtime listener, which reads every event, most of them for nobody. A
    transaction of its own (BEGIN, COMMIT) was 40% of the listener's CPU time."""
    values = _read_values(after, END, None, limit)
    return [_event(r) for r in await conn.fetch(_READ_DIRECT.sql, *_READ_DIRECT.args(**values))]


def _read_values(
    after: Cursor, until: Cursor, channels: list[str] | None, limit: int
) -> dict[str, Any]:
    return {
        "xid": str(after.xid),
        "id": after.id,
        "until_xid": str(until.xid),
        "until_id": until.id,
        "channels": channels,
        "limit": limit,
    }


def _event(r: Mapping[str, Any]) -> Event:
    return Event(
        Cursor(r["xid"], r["id"]), r["at"], r["type"], r["channels"], r["visibility"], r["payload"]
    )


async def oldest(conn: AsyncConnection) -> Cursor | None:
    """The oldest event still kept (None when the log is empty)."""
    row = (await conn.execute(_OLDEST)).first()
    return Cursor(row.xid, row.id) if row else None


async def expired(conn: AsyncConnection, cursor: Cursor) -> bool:
    """Whether events after `cursor` may be gone from the log, so that reading on from it
    could miss some: the one rule for every reader that resumes (a websocket's `since`,
    the search indexer's stored position). Such a reader must start over instead (reload
    the page, rebuild the index).

    A cursor names the last event its reader had. Older than the oldest event kept, it
    may have been followed by events that were pruned since. On an empty log it is past
    everything kept too: retention never empties the log (it keeps the newest
    `FORUM_EVENTS_KEEP_COUNT`, at least 1,000), so a cursor that names an event while none
    is left comes from a log that was wiped, or from another database, and nothing shows
    that its reader missed nothing. `START`, a position taken on an empty log, has
    missed nothing while the log still holds what followed: it is never expired. (That
    last rule cannot see events pruned after a reader took `START`: a reader would have
    to stay away for the whole retention while it fills. Seeing it would take a record
    of what was pruned.)
    """
    if cursor == START:
        return False
    first = await oldest(conn)
    return first is None or cursor < first


async def prune(session: AsyncConnection, *, days: int, count: int) -> int:
    result = await session.execute(_PRUNE, {"days": days, "count": count})
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


async def head(conn: AsyncConnection) -> Cursor:
    """The cursor of the newest finished event (START if there is none)."""
    row = (await conn.execute(_HEAD)).first()
    return Cursor(row.xid, row.id) if row else START

"""The event log: every write appends here and notifies, in the writer's own transaction.

Readers page by (xid, id) and only read rows whose writing transaction is older than
every transaction still running (`xid < pg_snapshot_xmin(pg_current_snapshot())`).
Sequence ids are handed out before commit, so `id > last_id` alone could skip an event
that commits after a higher id; rows under the horizon can no longer appear behind a
cursor. The cost: one long write transaction holds every reader back, so keep them short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from forum.db import json_dumps
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
      AND xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY xid, id
    LIMIT :limit
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
    session: AsyncSession,
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
    conn: AsyncSession | AsyncConnection, after: Cursor = START, limit: int = 500
) -> list[Event]:
    """Finished events after `after`, in log order; none can later appear before them."""
    rows = await conn.execute(_READ, {"xid": str(after.xid), "id": after.id, "limit": limit})
    return [
        Event(Cursor(r.xid, r.id), r.at, r.type, r.channels, r.visibility, r.payload) for r in rows
    ]


async def head(conn: AsyncSession | AsyncConnection) -> Cursor:
    """The cursor of the newest finished event (START if there is none)."""
    row = (await conn.execute(_HEAD)).first()
    return Cursor(row.xid, row.id) if row else START

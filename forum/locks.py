"""Advisory lock ids, all in one place so that no two kinds of work share one by mistake.

Background work that every app process runs but only one should do at a time takes one
of these with `pg_try_advisory_xact_lock` (the others skip their turn).
"""

from __future__ import annotations

import enum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class Lock(enum.IntEnum):
    PRUNE_EVENTS = 7_311_001  # realtime: retention of the event log
    VOCABULARY = 7_311_002  # search: "did you mean" vocabulary upkeep
    SEARCH_WINDOW = 7_311_003  # search: moving the window of newest documents
    INDEXER = 7_311_004  # search: one Meilisearch indexer per name (second key: its name)
    NOTIFIER = 7_311_005  # notifications: one fan-out of the event log (second key: its name)


async def try_for_transaction(session: AsyncConnection, lock: Lock) -> bool:
    """Take `lock` until the transaction ends, if no other session holds it."""
    return bool(
        await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": int(lock)})
    )

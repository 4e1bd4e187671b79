"""What every background consumer of the event log shares (the search indexer, the
notifier): a stored position in the log (`search_cursors`, by the consumer's name), and
a lock that lets one process at a time advance it (a session-level advisory lock on a
connection of its own, keyed by the consumer's kind and name).

Two processes draining one consumer would race to move its position, one of them
backwards past the other; with the lock, the others skip their turn (or, `wait`, wait).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import Database
from forum.events import Cursor
from forum.locks import Lock
from forum.models import SearchCursor

_LOCK_TRY = text("SELECT pg_try_advisory_lock(:key, hashtext(:name))")
_LOCK_WAIT = text("SELECT pg_advisory_lock(:key, hashtext(:name))")
_UNLOCK = text("SELECT pg_advisory_unlock(:key, hashtext(:name))")


class LogPosition:
    def __init__(self, db: Database, name: str, lock: Lock) -> None:
        self.db = db
        self.name = name
        self.lock = lock

    async def get(self) -> Cursor | None:
        """Where the consumer has got to in the event log (None before its first run)."""
        async with self.db.transaction() as conn:
            raw = await conn.scalar(
                select(SearchCursor.position).where(SearchCursor.name == self.name)
            )
        return Cursor.parse(raw) if raw is not None else None

    async def save(self, cursor: Cursor, conn: AsyncConnection | None = None) -> None:
        """Store the position; in `conn`'s transaction if given (with the work it
        records, so both or neither are kept)."""
        statement = insert(SearchCursor).values(name=self.name, position=str(cursor))
        statement = statement.on_conflict_do_update(
            index_elements=[SearchCursor.name],
            set_={"position": statement.excluded.position, "updated_at": func.now()},
        )
        if conn is not None:
            await conn.execute(statement)
            return
        async with self.db.transaction() as own:
            await own.execute(statement)

    @contextlib.asynccontextmanager
    async def exclusive(self, *, wait: bool = False) -> AsyncIterator[bool]:
        """Whether this process holds the consumer's lock for the block: a session lock
        on a connection of its own, released when the block ends or the connection
        drops. Without `wait`, another holder means False at once."""
        args: dict[str, Any] = {"key": int(self.lock), "name": self.name}
        async with self.db.engine.connect() as conn:
            if wait:
                await conn.execute(_LOCK_WAIT, args)
                mine = True
            else:
                mine = bool(await conn.scalar(_LOCK_TRY, args))
            await conn.commit()  # the lock belongs to the session: no transaction stays open
            try:
                yield mine
            finally:
                if mine:
                    try:
                        await conn.execute(_UNLOCK, args)
                        await conn.commit()
                    except Exception:
                        # Back in the pool still locked, it would keep every consumer out:
                        # closing the session is what surely releases its lock.
                        await conn.invalidate()
                        raise

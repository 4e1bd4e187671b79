"""What a worker process runs for realtime: the hub, its listener, presence, retention.

Built and stopped by the app's lifespan; nothing here exists at import time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from forum import background, events, locks
from forum.db import Database
from forum.events import Event
from forum.locks import Lock
from realtime import presence
from realtime.hub import Hub
from realtime.listener import Listener
from realtime.presence import Presence

log = logging.getLogger("forum.realtime")

PRUNE_EVERY = 3600.0


class Realtime:
    def __init__(
        self,
        db: Database,
        dsn: str,
        *,
        keep_days: int,
        keep_count: int,
        on_events: Callable[[Sequence[Event]], None],
    ) -> None:
        self.db = db
        self.hub = Hub()
        self.listener = Listener(db, dsn, self.hub, on_presence=self._heard, on_events=on_events)
        self.presence = Presence(self.hub, self._publish_presence)
        # user id -> open websocket connections in this worker
        self.connections: Counter[int | None] = Counter()
        self._keep_days = keep_days
        self._keep_count = keep_count
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.listener.start_position()
        self._tasks = [
            asyncio.create_task(self.listener.run()),
            asyncio.create_task(self.presence.run()),
            asyncio.create_task(self._prune_regularly()),
        ]

    async def stop(self) -> None:
        await background.cancel(self._tasks)

    def _heard(self, payload: str) -> None:
        self.presence.heard(payload)

    async def _publish_presence(self, message: str) -> None:
        connection = self.listener.connection
        if connection is not None:
            await connection.execute("SELECT pg_notify($1, $2)", presence.CHANNEL, message)

    async def prune(self) -> int:
        async with self.db.transaction() as session:
            # Any one worker prunes at a time; the others skip their turn.
            if not await locks.try_for_transaction(session, Lock.PRUNE_EVENTS):
                return 0
            return await events.prune(session, days=self._keep_days, count=self._keep_count)

    async def _prune_regularly(self) -> None:
        while True:
            try:
                removed = await self.prune()
                if removed:
                    log.info("pruned %d old events", removed)
            except Exception as exc:  # the database is away; try at the next turn
                log.warning("event pruning failed: %s", exc)
            await asyncio.sleep(PRUNE_EVERY)

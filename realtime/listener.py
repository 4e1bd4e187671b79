"""One LISTEN connection per worker process, feeding the hub from the event log.

NOTIFY only wakes the reader up; events are always read from the table with the log's
concurrency rule (`forum.events.read`), so what clients see live is exactly what they
would get on resume. After a lost connection (a database restart) the listener
reconnects and reads everything after the hub's position: nothing committed meanwhile
is lost for connected clients. Before it dispatches an event that ends a login or
changes an account, it has the sockets' sessions checked (`realtime.sweep`), so what
follows in the log never reaches a login that has ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, feed
from forum.db import WAIT_FOR_CONNECTION, Database
from forum.events import Event
from forum.feed import Delivery
from realtime import presence
from realtime.hub import Hub

log = logging.getLogger("forum.realtime")

BATCH = 500
# While a notified event is held back by an older running transaction, look again soon.
HELD_BACK_POLL = 0.02
IDLE_POLL = 5.0
MAX_BACKOFF = 5.0
PENDING_FOR = 30.0
READ_MEMORY = 4096  # event ids remembered as read (a NOTIFY arrives within moments)
# Events that end a login session or change what an account may read.
LOGIN_EVENTS = ("session.", "user.")


class Listener:
    def __init__(
        self,
        db: Database,
        dsn: str,
        hub: Hub,
        on_presence: Callable[[str], None],
        on_events: Callable[[Sequence[Event]], None],
        on_login_change: Callable[[Event], Awaitable[object]],
    ) -> None:
        self._db = db
        self._dsn = dsn
        self._hub = hub
        self._on_presence = on_presence
        # Told of every batch before it is delivered (the catalog snapshot follows changes).
        self._on_events = on_events
        # Awaited before an event that ends a login or changes an account is dispatched,
        # so nothing later in the log reaches a socket of that login (`realtime.sweep`).
        self._on_login_change = on_login_change
        self._wake = asyncio.Event()
        # Notified event ids not yet read, with when they were notified.
        self._pending: dict[int, float] = {}
        # Ids read lately: a NOTIFY can arrive after a drain woken by an earlier one has
        # read its event already; taken for pending, it had the listener poll every
        # HELD_BACK_POLL for PENDING_FOR seconds after every burst of writes.
        self._read: dict[int, None] = {}
        self._connection: asyncpg.Connection | None = None
        # One statement at a time on the connection: asyncpg refuses a second while one
        # runs ("another operation is in progress"), and the refusal looked like a lost
        # connection, so the listener reconnected.
        self._using = asyncio.Lock()

    async def start_position(self) -> None:
        async with self._db.transaction() as session:
            self._hub.position = await events.head(session)

    async def run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: keep trying
                log.warning("event listener lost its connection (%s); retrying", exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _listen(self) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(self._dsn, timeout=WAIT_FOR_CONNECTION)
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            await conn.add_listener(events.CHANNEL, self._notified)
            await conn.add_listener(presence.CHANNEL, self._presence)
            self._connection = conn
            while not lost.is_set():
                await self._drain()  # also catches up after a reconnect
                timeout = HELD_BACK_POLL if self._pending else IDLE_POLL
                try:
                    # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that
                    # arrives as the event is set (a NOTIFY during shutdown), and the loop
                    # went on forever.
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                except TimeoutError:
                    async with self._using:
                        await conn.execute("SELECT 1")  # notices a dead connection
                self._wake.clear()
        finally:
            self._connection = None
            if not conn.is_closed():
                await conn.close(timeout=1)

    @property
    def connected(self) -> bool:
        return self._connection is not None

    async def notify(self, channel: str, message: str) -> None:
        """Send a NOTIFY on the listening connection; nothing while it is away."""
        conn = self._connection
        if conn is None:
            return
        async with self._using:
            await conn.execute("SELECT pg_notify($1, $2)", channel, message)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        if payload.isdigit() and int(payload) not in self._read:
            self._pending[int(payload)] = time.monotonic()
            self._wake.set()

    def _presence(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._on_presence(payload)

    async def _drain(self) -> None:
        while True:
            # The read alone, outside a transaction (a statement sees the state at its
            # start either way): most events are for nobody listening here, and a
            # transaction of their own was most of their cost.
            async with self._db.reader() as conn:
                batch = await events.read_direct(conn, self._hub.position, BATCH)
            if batch:
                self._on_events(batch)
            if any(self._hub.listened(e) or e.type.startswith(LOGIN_EVENTS) for e in batch):
                async with self._db.transaction() as session:
                    await self._deliver(session, batch)
            else:
                # Nothing is awaited from the check to here: nobody can have joined.
                for event in batch:
                    self._done(event, None)
            if len(batch) < BATCH:
                break
        # An id notified before this worker's start position is never read: forget it.
        stale = time.monotonic() - PENDING_FOR
        self._pending = {i: t for i, t in self._pending.items() if t > stale}
        while len(self._read) > READ_MEMORY:
            del self._read[next(iter(self._read))]

    async def _deliver(self, session: AsyncConnection, batch: list[Event]) -> None:
        # Only events someone here listens to are built (one query per batch); with
        # nobody on their channels, an event only moves the position on.
        heard = [e for e in batch if self._hub.listened(e)]
        ready = {d.event.cursor: d for d in await feed.current(session, heard)}
        for event in batch:
            if event.type.startswith(LOGIN_EVENTS):
                await self._on_login_change(event)  # if it fails, this event is read again
            if event.cursor not in ready and self._hub.listened(event):
                # Someone joined while this batch was being built: build it now, so
                # their live delivery has no gap.
                (ready[event.cursor],) = await feed.current(session, [event])
            self._done(event, ready.get(event.cursor))

    def _done(self, event: Event, delivery: Delivery | None) -> None:
        if delivery is None:
            self._hub.passed(event)
        else:
            self._hub.dispatch(delivery)
        self._pending.pop(event.cursor.id, None)
        self._read[event.cursor.id] = None

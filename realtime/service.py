"""What a worker process runs for realtime: the hub, its listener, presence, the session
sweep, retention, and the entry point for each client (`serve`).

Built and stopped by the app's lifespan; nothing here exists at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence

from forum import background, events, limits, locks, sessions
from forum.catalog import CatalogCache
from forum.db import Database
from forum.errors import DomainError, Kind
from forum.events import Cursor, Event
from forum.limits import Limiter
from forum.locks import Lock
from forum.permissions import Actor
from forum.sessions import Policy
from realtime import presence
from realtime.connection import Connection, Disconnected, Transport
from realtime.hub import Hub
from realtime.listener import Listener
from realtime.presence import Presence
from realtime.protocol import REASONS, Close
from realtime.sweep import Identity, Sweep

log = logging.getLogger("forum.realtime")

PRUNE_EVERY = 3600.0
MAX_CONNECTIONS_PER_MEMBER = 20  # per worker process
# Anonymous sockets open at once from one address (an IPv6 /64), per worker process. Many
# readers can share an address (a carrier's NAT, an office): this bounds what one host
# can hold open, beside the rate of new connections (`FORUM_LIMIT_WS_CONNECT`).
MAX_ANONYMOUS_PER_ADDRESS = 200
ANONYMOUS_RETRY = 30  # seconds a refused anonymous client is told to wait
REMEMBERED_REFUSALS = 10_000  # addresses refused by FORUM_LIMIT_WS_CONNECT kept in memory


def too_many_connections() -> DomainError:
    """The refusal of an anonymous client whose address holds its share (answered 429)."""
    return DomainError(
        Kind.RATE_LIMITED, "too_many_connections",
        "Too many live connections from this address. Try again later.",
        retry_after=ANONYMOUS_RETRY,
    )  # fmt: skip


class Realtime:
    def __init__(
        self,
        db: Database,
        dsn: str,
        *,
        keep_days: int,
        keep_count: int,
        on_events: Callable[[Sequence[Event]], None],
        policy: Policy,
        limiter: Limiter,
        catalog: CatalogCache,
    ) -> None:
        self.db = db
        self.limiter = limiter
        self.catalog = catalog
        self.hub = Hub()
        self._policy = policy
        self.sweep = Sweep(self._sessions)
        self.listener = Listener(
            db, dsn, self.hub, on_presence=self._heard, on_events=on_events,
            on_login_change=self.sweep.heard,
        )  # fmt: skip
        self.presence = Presence(self.hub, self._publish_presence)
        # member's user id -> open connections in this worker
        self._connections: Counter[int] = Counter()
        # address block -> anonymous connections open or being opened in this worker
        self._anonymous: Counter[str] = Counter()
        # address block -> (monotonic time its FORUM_LIMIT_WS_CONNECT window resets, the
        # refusal) for anonymous clients refused by that limit
        self._refused: dict[str, tuple[float, DomainError]] = {}
        self._keep_days = keep_days
        self._keep_count = keep_count
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def position(self) -> Cursor:
        """The last event this worker delivered: a page rendered now can resume from it."""
        return self.hub.position

    def refusal(self, address: str) -> DomainError | None:
        """Why an anonymous client from `address` is refused, known from memory alone:
        its address holds MAX_ANONYMOUS_PER_ADDRESS places already, or was refused by
        `FORUM_LIMIT_WS_CONNECT` and its window has not reset (`count_connection`).
        Asked for every handshake without a session cookie before anything else is done
        for it (`web.ws.EarlyRefusal`); None: go on."""
        block = limits.address_block(address)
        return self._seats_full(block) or self._still_refused(block)

    async def count_connection(self, address: str) -> None:
        """Count a new anonymous connection from `address` against
        `FORUM_LIMIT_WS_CONNECT` (in the database, shared by every worker). A refusal
        is remembered until its window resets: an abuser retrying at once is refused
        again without a database write (the count is capped past the limit anyway,
        and more hits do not move the reset)."""
        block = limits.address_block(address)
        if (refused := self._still_refused(block)) is not None:
            raise refused
        try:
            await self.limiter.ws_connect(address)
        except DomainError as exc:
            if exc.retry_after:
                now = time.monotonic()
                if len(self._refused) >= REMEMBERED_REFUSALS:
                    self._refused = {k: v for k, v in self._refused.items() if v[0] > now}
                if len(self._refused) < REMEMBERED_REFUSALS:
                    self._refused[block] = (now + exc.retry_after, exc)
            raise

    def _seats_full(self, block: str) -> DomainError | None:
        if self._anonymous.get(block, 0) >= MAX_ANONYMOUS_PER_ADDRESS:
            return too_many_connections()
        return None

    def _still_refused(self, block: str) -> DomainError | None:
        if (found := self._refused.get(block)) is None:
            return None
        until, refused = found
        left = until - time.monotonic()
        if left <= 0:
            del self._refused[block]
            return None
        return DomainError(refused.kind, refused.code, refused.message, retry_after=math.ceil(left))

    @contextlib.contextmanager
    def seat(self, identity: Identity, address: str) -> Iterator[None]:
        """Hold a place for an anonymous client from `address` while the block runs (the
        handshake, then `serve`); a member needs none here (`serve` caps members).
        Raises `too_many_connections` (answered 429 at the handshake) when its address
        holds MAX_ANONYMOUS_PER_ADDRESS places already."""
        if identity.actor.authenticated:
            yield
            return
        block = limits.address_block(address)
        if (full := self._seats_full(block)) is not None:
            raise full
        self._anonymous[block] += 1
        try:
            yield
        finally:
            self._anonymous[block] -= 1
            if self._anonymous[block] <= 0:
                del self._anonymous[block]

    async def serve(self, transport: Transport, identity: Identity, address: str) -> None:
        """Run the protocol for one client whose transport is open, until it is closed.
        `address` is the client's, as counted by the limits."""
        member = identity.actor.user_id
        if member is not None and self._connections[member] >= MAX_CONNECTIONS_PER_MEMBER:
            with contextlib.suppress(Disconnected):
                await transport.close(
                    Close.TOO_MANY_CONNECTIONS, REASONS[Close.TOO_MANY_CONNECTIONS]
                )
            return
        if member is not None:
            self._connections[member] += 1
        try:
            await Connection(self, transport, identity, address).serve()
        finally:
            if member is not None:
                self._connections[member] -= 1
                if self._connections[member] <= 0:
                    del self._connections[member]

    async def start(self) -> None:
        await self.listener.start_position()
        self._tasks = [
            asyncio.create_task(self.listener.run()),
            asyncio.create_task(self.presence.run()),
            asyncio.create_task(self.sweep.run()),
            asyncio.create_task(self._prune_regularly()),
        ]

    async def stop(self) -> None:
        await background.cancel(self._tasks)

    async def _sessions(self, keys: Collection[bytes]) -> dict[bytes, Actor]:
        async with self.db.transaction() as conn:
            return await sessions.actors(conn, self._policy, keys)

    def _heard(self, payload: str) -> None:
        self.presence.heard(payload)

    async def _publish_presence(self, message: str) -> None:
        await self.listener.notify(presence.CHANNEL, message)

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

"""How many people are reading a thread now (a count, never names), across workers.

Each worker counts its own readers per thread and announces changes, and every few
seconds all its counts, with `NOTIFY forum_presence`; every worker adds up the latest
announcement of each worker and forgets workers that fell silent.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import orjson

from realtime.hub import Hub

CHANNEL = "forum_presence"  # the NOTIFY channel workers announce their counts on
COUNTED = "thread:"  # readers are counted on thread channels only
ANNOUNCE_EVERY = 5.0
FORGET_AFTER = 3 * ANNOUNCE_EVERY
# Counts are shown at most this often per thread: a burst of joins (or a popular thread)
# would otherwise send every reader a frame per join, quadratic in the readers.
SHOW_EVERY = 1.0


class Presence:
    def __init__(self, hub: Hub, publish: Callable[[str], Awaitable[None]]) -> None:
        self._hub = hub
        self._publish = publish
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._local: Counter[str] = Counter()
        # worker -> (channel -> count, when last heard)
        self._remote: dict[str, tuple[dict[str, int], float]] = {}
        self._changed: set[str] = set()  # local counts not yet announced
        self._dirty: set[str] = set()  # totals not yet shown to readers
        self._flush_scheduled = False

    def count(self, channel: str) -> int:
        now = time.monotonic()
        return self._local[channel] + sum(
            counts.get(channel, 0) for counts, heard in self._remote.values()
            if now - heard < FORGET_AFTER
        )  # fmt: skip

    def enter(self, channel: str) -> None:
        """A local reader joined `channel` (counted for threads only)."""
        if not channel.startswith(COUNTED):
            return
        self._local[channel] += 1
        self._local_change(channel)

    def leave(self, channel: str) -> None:
        if not channel.startswith(COUNTED):
            return
        self._local[channel] -= 1
        if self._local[channel] <= 0:
            del self._local[channel]
        self._local_change(channel)

    def _local_change(self, channel: str) -> None:
        self._changed.add(channel)
        self._dirty.add(channel)
        self._schedule()

    def _schedule(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(
                SHOW_EVERY, lambda: asyncio.ensure_future(self._flush())
            )

    async def _flush(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, set()
        for channel in dirty:
            self._show(channel)
        changed, self._changed = self._changed, set()
        if changed:
            await self._announce({c: self._local.get(c, 0) for c in changed}, full=False)

    async def _announce(self, counts: dict[str, int], *, full: bool) -> None:
        message = orjson.dumps({"w": self.worker, "full": full, "c": counts}).decode()
        try:
            await self._publish(message)
        except Exception:  # the database is away; the next announcement repairs it
            return

    def heard(self, payload: str) -> None:
        try:
            message = orjson.loads(payload)
            worker, full, counts = message["w"], message["full"], message["c"]
        except (ValueError, KeyError, TypeError):
            return
        if worker == self.worker:
            return
        before, _ = self._remote.get(worker, ({}, 0.0))
        now_counts = dict(counts) if full else {**before, **counts}
        now_counts = {c: n for c, n in now_counts.items() if n > 0}
        self._remote[worker] = (now_counts, time.monotonic())
        for channel in set(before) | set(now_counts):
            if before.get(channel) != now_counts.get(channel):
                self._dirty.add(channel)
        self._schedule()

    def _show(self, channel: str) -> None:
        if self._hub.listeners(channel):
            frame = {"op": "presence", "channel": channel, "count": self.count(channel)}
            self._hub.broadcast(channel, orjson.dumps(frame).decode())

    async def run(self) -> None:
        """Announce all local counts regularly, and notice workers that went silent."""
        while True:
            await asyncio.sleep(ANNOUNCE_EVERY)
            await self._announce(dict(self._local), full=True)
            cutoff = time.monotonic() - FORGET_AFTER
            for worker, (counts, heard) in list(self._remote.items()):
                if heard < cutoff:
                    del self._remote[worker]
                    self._dirty.update(counts)
                    self._schedule()

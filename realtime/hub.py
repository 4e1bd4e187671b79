"""The hub: which local subscriber listens to which channel, and the fan-out of events.

Each event is encoded once per channel it is sent on, and the same string goes to every
subscriber whose channels and audiences match: no query and no encoding per subscriber.
It is written to the subscriber's socket at once where the socket takes it (nothing
queued before it, the connection's writer idle, the socket's buffer not full): one loop
writes an event to every such socket, without waking a task per subscriber. Otherwise
it waits in the subscriber's queue for its writer. Queues are bounded; a subscriber that
cannot keep up is marked too slow and its connection closes (the client then resumes
with `since`), so it never delays others.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable

from forum.events import START, Cursor, Event
from forum.feed import Delivery
from realtime import protocol


class Subscriber:
    """One connection's side of the hub."""

    def __init__(
        self,
        audiences: frozenset[str],
        queue_size: int,
        send_now: Callable[[str], bool] | None = None,
    ) -> None:
        self.audiences = audiences
        self.queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self._send_now = send_now
        # Set by the connection's writer while it sends a frame taken from the queue.
        self.writing = False
        # Set once it must be fed no more: it fell behind (`too_slow`), or its connection
        # is ending for another reason. Its connection waits on it.
        self.stopped = asyncio.Event()
        self.too_slow = False
        self.channels: set[str] = set()
        # Channel -> cursor from which this connection has every event of the channel
        # (delivered live or from a backlog): a later backlog skips what it already sent.
        self._covered_from: dict[str, Cursor] = {}
        # Channel -> cursor up to which the client already has events (it resumed with
        # `since` ahead of this worker): live events up to there are not sent again.
        self._seen_until: dict[str, Cursor] = {}
        self._held: list[str] | None = None
        self._queue_size = queue_size

    def offer(self, frame: str) -> None:
        if self._held is not None:
            if len(self._held) >= self._queue_size:
                self._overflow()
            else:
                self._held.append(frame)
            return
        if (
            self._send_now is not None
            and not self.writing
            and self.queue.empty()
            and self._send_now(frame)
        ):
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self._overflow()

    def _overflow(self) -> None:
        self.too_slow = True
        self.stopped.set()

    def hold(self) -> None:
        """Keep live frames aside while a backlog is being sent, to keep the order."""
        self._held = []

    def forget_held(self) -> None:
        """Drop the live frames kept aside: the backlog before them did not arrive whole,
        and sent after it they would leave a gap the client cannot see."""
        self._held = []

    def release(self) -> None:
        held, self._held = self._held or [], None
        for frame in held:
            self.offer(frame)

    def has(self, event: Event, outside: Iterable[str]) -> bool:
        """Whether this connection already got `event` through one of its channels other
        than `outside` (live, or in an earlier backlog)."""
        skip = set(outside)
        return any(
            c not in skip and c in self._covered_from and self._covered_from[c] < event.cursor
            for c in event.channels
        )

    def seen(self, event: Event, channel: str) -> bool:
        """Whether the client said it has `event` already (`since` on `channel`)."""
        return event.cursor <= self._seen_until.get(channel, START)


class Hub:
    def __init__(self) -> None:
        self._channels: dict[str, set[Subscriber]] = defaultdict(set)
        # The last event dispatched; live delivery continues after it.
        self.position: Cursor = START

    def join(self, subscriber: Subscriber, channels: list[str], since: Cursor | None) -> Cursor:
        """Add `subscriber` to `channels` (not yet joined). Live delivery on them starts
        after the returned head. With `since`, the client has every event up to it: those
        are not sent again live, and the caller sends what lies between `since` and the
        head from the table (`realtime.backlog`)."""
        for channel in channels:
            self._channels[channel].add(subscriber)
            subscriber.channels.add(channel)
            subscriber._covered_from[channel] = self.position if since is None else since
            if since is not None:
                subscriber._seen_until[channel] = since
        return self.position

    def leave(self, subscriber: Subscriber, channels: Iterable[str] | None = None) -> None:
        for channel in list(subscriber.channels if channels is None else channels):
            members = self._channels.get(channel)
            if members is not None:
                members.discard(subscriber)
                if not members:
                    del self._channels[channel]
            subscriber.channels.discard(channel)
            subscriber._covered_from.pop(channel, None)
            subscriber._seen_until.pop(channel, None)

    def listeners(self, channel: str) -> int:
        return len(self._channels.get(channel, ()))

    def dispatch(self, delivery: Delivery) -> None:
        event, audience = delivery.event, delivery.audience
        sent: set[Subscriber] = set()
        for channel in event.channels if audience is not None else ():
            members = self._channels.get(channel)
            if not members:
                continue
            frame = None
            for subscriber in members:
                if subscriber in sent or audience not in subscriber.audiences:
                    continue
                if subscriber._seen_until and subscriber.seen(event, channel):
                    continue
                if frame is None:
                    frame = protocol.event(delivery, channel)
                subscriber.offer(frame)
                sent.add(subscriber)
        self.position = event.cursor

    def listened(self, event: Event) -> bool:
        """Whether anyone here listens to one of the event's channels."""
        return any(channel in self._channels for channel in event.channels)

    def passed(self, event: Event) -> None:
        """An event nobody here listens to: live delivery continues after it."""
        self.position = event.cursor

    def broadcast(self, channel: str, frame: str) -> None:
        """A frame that is not an event (presence): to every listener of the channel."""
        for subscriber in self._channels.get(channel, ()):
            subscriber.offer(frame)

"""One client's side of the realtime protocol, whatever carries it.

A transport (`Transport`) only sends text, receives and closes; the web layer adapts its
websocket to it after the handshake (`web/ws.py`). The rest is here: requests and their
answers (`realtime.protocol`), subscribe with resume (the backlog from the table, then
live, with no gap and no duplicate), unsubscribe, ping, the limits, and closing: after
the frame being sent, when the client is too slow to keep up or when its login ends or
changes (`realtime.sweep`). A closed client reconnects and resumes with `since`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from forum import channels
from forum.db import unavailable
from forum.errors import DomainError, invalid
from forum.permissions import audiences
from realtime import backlog, protocol
from realtime.hub import Subscriber
from realtime.protocol import MAX_CHANNELS, REASONS, Close, Ping, Subscribe, Unsubscribe
from realtime.sweep import Identity

if TYPE_CHECKING:
    from realtime.service import Realtime

log = logging.getLogger("forum.realtime")

QUEUE_FRAMES = 512  # frames waiting for one client; past them it is too slow
_CLOSING = ""  # the writer's last item (no frame is empty): close after what it sent


class Disconnected(Exception):
    """The peer is gone: raised by a transport's `send` and `receive`."""


class Transport(Protocol):
    async def send(self, text: str) -> None: ...

    def send_now(self, text: str) -> bool:
        """Send at once if the socket takes it without waiting; False if it cannot now
        (the frame is then queued for `send`). The fan-out's fast path (`realtime.hub`)."""

    async def receive(self) -> str | bytes | None:
        """The next message, text or binary; None once the peer has closed."""

    async def close(self, code: int, reason: str) -> None: ...


class Connection:
    def __init__(
        self, realtime: Realtime, transport: Transport, identity: Identity, address: str
    ) -> None:
        self._realtime = realtime
        self._transport = transport
        self.identity = identity
        self._address = address
        self._sub = Subscriber(audiences(identity.actor), QUEUE_FRAMES, transport.send_now)
        self._ending: Close | None = None

    async def serve(self) -> None:
        """Answer the client until it leaves or is closed."""
        unwatch = self._realtime.sweep.watch(self.identity, lambda: self.end(Close.SESSION_CHANGED))
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        stopped = asyncio.create_task(self._sub.stopped.wait())
        tasks = (reader, writer, stopped)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if not (reader.done() or writer.done()):
                self.end(Close.TOO_SLOW)  # unless something else ended it first
                # Nothing more is queued (it left the hub); what is queued is dropped (the
                # client resumes from the last frame it got) and the writer closes the
                # socket after the frame it is sending: it alone sends, so the close
                # frame comes last.
                reader.cancel()
                while not self._sub.queue.empty():
                    self._sub.queue.get_nowait()
                self._sub.queue.put_nowait(_CLOSING)
                await asyncio.wait([writer])  # its failure, if any, is looked at below
        finally:
            unwatch()
            self._leave_all()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in (reader, writer):
            failure = None if task.cancelled() else task.exception()
            if failure is not None and not isinstance(failure, Disconnected):
                raise failure

    def end(self, code: Close) -> None:
        """Stop delivery at once and close with `code` after the frame being sent."""
        if self._ending is None:
            self._ending = code
            self._leave_all()
            self._sub.stopped.set()

    async def _write(self) -> None:
        sub, send = self._sub, self._transport.send
        while (frame := await sub.queue.get()) != _CLOSING:
            sub.writing = True  # frames offered meanwhile queue behind this one
            await send(frame)
            sub.writing = False
        code = self._ending or Close.TOO_SLOW
        await self._transport.close(code, REASONS[code])

    async def _reply(self, frame: str) -> None:
        await self._sub.queue.put(frame)

    async def _read(self) -> None:
        pace = protocol.Pace()
        while (message := await self._transport.receive()) is not None:
            if not pace.allows():
                self.end(Close.TOO_MANY_MESSAGES)
            if self._ending is not None:
                # Closing: nothing more is read (the server stops reading the socket, so
                # a flood waits in the client's buffers, not in ours) until `serve`
                # cancels this.
                await asyncio.Future()
            try:
                request = protocol.parse(message)
                if isinstance(request, Ping):
                    await self._reply(protocol.frame("pong"))
                elif isinstance(request, Subscribe):
                    await self._subscribe(request)
                elif isinstance(request, Unsubscribe):
                    await self._unsubscribe(request)
            except DomainError as exc:
                await self._reply(protocol.error(exc))
            except Exception as exc:
                if not unavailable(exc):
                    raise
                # Not a failure of ours: the socket is closed with a code (not dropped
                # bare, as under 5,000 connections on a full database server).
                log.warning("database unavailable on a websocket request: %s", exc)
                self.end(Close.TRY_AGAIN)

    async def _subscribe(self, request: Subscribe) -> None:
        realtime, sub = self._realtime, self._sub
        new = [name for name in request.channels if name not in sub.channels]
        if len(sub.channels) + len(new) > MAX_CHANNELS:
            raise invalid(
                "channels", f"At most {MAX_CHANNELS} channels per connection.",
                "too_many_subscriptions",
            )  # fmt: skip
        actor = self.identity.actor
        if request.since is not None:
            # Counted before anything is read; over the limit, nothing is joined either:
            # live events without the backlog would leave a gap the client cannot see.
            await realtime.limiter.ws_backlog(address=self._address, user_id=actor.user_id)
        # The sweep may not have looked yet: a subscribe never runs on an ended login.
        if not await realtime.sweep.still(self.identity):
            self.end(Close.SESSION_CHANGED)
            return
        joined, refused = [], []
        async with realtime.db.transaction() as conn:
            known = await realtime.catalog.current()
            for name in new:
                try:
                    await channels.check_can_join(conn, known, actor, name)
                    joined.append(name)
                except DomainError as exc:
                    refused.append(protocol.error(exc, channel=name))
        for frame in refused:
            await self._reply(frame)
        if self._ending is not None:
            return
        sub.hold()
        try:
            head = realtime.hub.join(sub, joined, request.since)
            for name in joined:
                realtime.presence.enter(name)
            await self._reply(
                protocol.frame("subscribed", channels=sorted(sub.channels), head=str(head))
            )
            if request.since is not None and joined:
                resync = await backlog.replay(
                    realtime.db, sub, joined, request.since, head, self._reply
                )
                if resync is not None:
                    await self._reply(protocol.frame("resync", reason=resync.value))
        except BaseException:
            # The backlog did not arrive whole (the database was away, say): no live frame
            # may follow it, or the client would resume after a gap (seen with a worker
            # killed under load, bench/fault_worker.py). The connection ends; the client
            # resumes from the last frame it got.
            sub.forget_held()
            self._leave_all()
            raise
        finally:
            sub.release()

    async def _unsubscribe(self, request: Unsubscribe) -> None:
        names = [name for name in request.channels if name in self._sub.channels]
        self._realtime.hub.leave(self._sub, names)
        for name in names:
            self._realtime.presence.leave(name)
        await self._reply(protocol.frame("unsubscribed", channels=names))

    def _leave_all(self) -> None:
        for name in list(self._sub.channels):
            self._realtime.presence.leave(name)
        self._realtime.hub.leave(self._sub)

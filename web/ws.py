"""The websocket route `/ws`: the realtime protocol of DESIGN.md.

Client: {"op":"subscribe","channels":[...],"since":"<cursor>"}, {"op":"unsubscribe",
"channels":[...]}, {"op":"ping"}. Server: subscribed, event, resync, error, pong,
presence. Channels the user may not read are refused with an error, never joined.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from forum import channels, events, feed
from forum.errors import DomainError, invalid
from forum.events import START, Cursor
from forum.permissions import ANONYMOUS, Actor, audiences
from realtime.hub import Subscriber, encode_event
from web import auth
from web.errors import WS_CLOSE

MAX_MESSAGE = 4096
MAX_SUBSCRIPTIONS = 50
MAX_CONNECTIONS_PER_USER = 20  # per worker process
QUEUE_FRAMES = 512
MAX_BACKLOG = 10_000
BACKLOG_BATCH = 500
_TOO_SLOW = ""  # queued last for a client that fell behind: the writer closes the socket


def _frame(**fields: Any) -> str:
    return orjson.dumps(fields).decode()


def _error(code: str, message: str, **extra: Any) -> str:
    return _frame(op="error", code=code, message=message, **extra)


async def endpoint(ws: WebSocket) -> None:
    state = ws.app.state
    try:
        auth.check_origin(ws)
    except DomainError:
        # Before accepting: the handshake is refused (HTTP 403), a hijacking page gets nothing.
        await ws.close(code=WS_CLOSE["bad_origin"])
        return
    actor = await _actor(ws)
    await ws.accept()
    counts = state.realtime.connections
    if actor.authenticated and counts[actor.user_id] >= MAX_CONNECTIONS_PER_USER:
        await ws.close(WS_CLOSE["too_many_connections"], "too many connections")
        return
    counts[actor.user_id] += 1
    connection = Connection(ws, actor)
    try:
        await connection.serve()
    finally:
        counts[actor.user_id] -= 1
        if counts[actor.user_id] <= 0:
            del counts[actor.user_id]
        connection.leave_all()


async def _actor(ws: WebSocket) -> Actor:
    if not ws.cookies.get(auth.COOKIE):
        return ANONYMOUS
    async with ws.app.state.db.transaction() as session:
        found = await auth.current(ws, session)
    return found.actor if found else ANONYMOUS


class Connection:
    def __init__(self, ws: WebSocket, actor: Actor) -> None:
        self.ws = ws
        self.actor = actor
        self.realtime = ws.app.state.realtime
        self.sub = Subscriber(audiences(actor), QUEUE_FRAMES)

    async def serve(self) -> None:
        reader = asyncio.create_task(self._read())
        writer = asyncio.create_task(self._write())
        slow = asyncio.create_task(self.sub.too_slow.wait())
        try:
            await asyncio.wait({reader, writer, slow}, return_when=asyncio.FIRST_COMPLETED)
            if slow.done():
                # The client fell behind: stop feeding it, drop what it has not taken, and
                # let the writer close with "resume with since" once its socket drains. The
                # writer is the only one sending, so the close frame follows its last frame.
                self.leave_all()
                reader.cancel()
                while not self.sub.queue.empty():
                    self.sub.queue.get_nowait()
                self.sub.queue.put_nowait(_TOO_SLOW)
                await writer
        finally:
            for task in (reader, writer, slow):
                task.cancel()
        for task in (reader, writer):
            exc = None if task.cancelled() or not task.done() else task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect | OSError):
                raise exc

    def leave_all(self) -> None:
        for channel in list(self.sub.channels):
            self._left(channel)
        self.realtime.hub.leave(self.sub)

    async def _write(self) -> None:
        queue, send = self.sub.queue, self.ws.send_text
        while (frame := await queue.get()) is not _TOO_SLOW:
            await send(frame)
        await self.ws.close(WS_CLOSE["too_slow"], "too slow: resume with since")

    async def _reply(self, frame: str) -> None:
        await self.sub.queue.put(frame)

    async def _read(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None or len(text) > MAX_MESSAGE:
                await self._reply(_error("invalid_message", "Send JSON text under 4 KiB."))
                continue
            try:
                request = orjson.loads(text)
            except orjson.JSONDecodeError:
                await self._reply(_error("invalid_message", "The message is not JSON."))
                continue
            op = request.get("op") if isinstance(request, dict) else None
            try:
                if op == "subscribe":
                    await self._subscribe(request)
                elif op == "unsubscribe":
                    await self._unsubscribe(request)
                elif op == "ping":
                    await self._reply(_frame(op="pong"))
                else:
                    await self._reply(_error("unknown_op", "Use subscribe, unsubscribe or ping."))
            except DomainError as exc:
                await self._reply(_error(exc.code, exc.message))

    def _names(self, request: dict) -> list[str]:
        names = request.get("channels")
        if not isinstance(names, list) or not 1 <= len(names) <= MAX_SUBSCRIPTIONS:
            raise invalid(
                "channels",
                f"Give a list of 1 to {MAX_SUBSCRIPTIONS} channel names.",
                "invalid_channels",
            )
        for name in names:
            channels.parse(name)
        return list(dict.fromkeys(names))

    async def _subscribe(self, request: dict) -> None:
        names = self._names(request)
        since = request.get("since")
        resume_from = Cursor.parse(since) if isinstance(since, str) else None
        if since is not None and resume_from is None:
            raise invalid("since", "since must be a cursor string.", "invalid_cursor")
        new = [n for n in names if n not in self.sub.channels]
        if len(self.sub.channels) + len(new) > MAX_SUBSCRIPTIONS:
            raise invalid(
                "channels",
                f"At most {MAX_SUBSCRIPTIONS} channels per connection.",
                "too_many_subscriptions",
            )
        joined = []
        async with self.ws.app.state.db.transaction() as session:
            # The session may have ended since the socket opened: ask again.
            found = await auth.current(self.ws, session)
            self.actor = found.actor if found else ANONYMOUS
            self.sub.audiences = audiences(self.actor)
            known = await self.ws.app.state.catalog.current()
            for name in new:
                try:
                    await channels.check_can_join(session, known, self.actor, name)
                    joined.append(name)
                except DomainError as exc:
                    await self._reply(_error(exc.code, exc.message, channel=name))

        hub = self.realtime.hub
        head = hub.position
        earlier = dict(self.sub.covered_from)
        self.sub.hold()
        try:
            hub.join(self.sub, joined)
            for name in joined:
                self._entered(name)
            await self._reply(
                _frame(op="subscribed", channels=sorted(self.sub.channels), head=str(head))
            )
            if resume_from is not None and joined:
                for name in joined:
                    self.sub.covered_from[name] = resume_from
                    self.sub.seen_until[name] = resume_from
                await self._backlog(resume_from, head, joined, earlier)
        finally:
            self.sub.release()

    async def _backlog(
        self, since: Cursor, head: Cursor, joined: list[str], earlier: dict[str, Cursor]
    ) -> None:
        """The events a resuming client missed, from the table, up to where live begins."""
        sent = 0
        async with self.ws.app.state.db.transaction() as session:
            oldest = await events.oldest(session)
            # START means "from the beginning" (a page rendered on an empty log): that is
            # only gone if events were pruned, and then the backlog cap says resync.
            if oldest is not None and START < since < oldest:
                await self._reply(_frame(op="resync", reason="backlog_expired"))
                return
            cursor = since
            while cursor < head:
                batch = await events.read(
                    session, cursor, BACKLOG_BATCH, until=head, channels=joined
                )
                if not batch:
                    return
                for delivery in await feed.current(session, batch):
                    event = delivery.event
                    if delivery.audience not in self.sub.audiences or any(
                        c in earlier and earlier[c] < event.cursor for c in event.channels
                    ):
                        continue  # not for this reader, or already sent live
                    sent += 1
                    if sent > MAX_BACKLOG:
                        await self._reply(_frame(op="resync", reason="backlog_too_long"))
                        return
                    channel = next(c for c in event.channels if c in joined)
                    await self._reply(encode_event(delivery, channel))
                cursor = batch[-1].cursor

    async def _unsubscribe(self, request: dict) -> None:
        names = [n for n in self._names(request) if n in self.sub.channels]
        self.realtime.hub.leave(self.sub, names)
        for name in names:
            self._left(name)
        await self._reply(_frame(op="unsubscribed", channels=names))

    def _entered(self, channel: str) -> None:
        if channel.startswith("thread:"):
            self.realtime.presence.enter(channel)

    def _left(self, channel: str) -> None:
        if channel.startswith("thread:"):
            self.realtime.presence.leave(channel)

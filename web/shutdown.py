"""The websocket protocol as the forum serves it: frames written at once where the socket
takes them, and how sockets end: with 1001 when a worker stops (SIGTERM, a deploy), at
once when the peer stops reading, without reading another frame once a flooder is
closed, and (a refusal) without an error in the log.

Uvicorn drains HTTP requests in flight, then closes each websocket with 1012 (service
restart). The protocol says 1001 (going away): the client resumes with `since` on another
worker at once, as it does after any close that is not a refusal.

A peer that does not answer a ping within `ws_ping_timeout` is failed with 1011, and
uvicorn then closes the transport gracefully: it waits to flush what is buffered, which a
client that never reads never lets happen (its receive window stays shut and the socket
lives as long as it answers the kernel's probes). Such a transport is aborted: what is
buffered for it is dropped, and the application's send fails, ending its connection.

The protocol also offers the application a way to send a frame at once, without a task
switch (`SEND_NOW`, a server extension in the scope): the realtime hub writes each event
to every subscriber's socket in one loop, which is most of the cost of fan-out.

After the application closes a socket, uvicorn reads on, up to 10 s, for the peer's
answering close frame, parsing and dropping every frame before it. A flooder closed with
1008 (too many messages) has thousands of frames in flight by then: reading them cost
the server more than the flood before the close (bench/ws_abuse.py). For that close the
server stops reading at once, sends its close frame and then the end of its stream
(the client reads the 1008 and sees the connection end), and drops the socket
`LINGER` seconds later, unread data and all.
"""

from __future__ import annotations

from starlette.types import Message
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

from realtime.protocol import Close

GOING_AWAY = 1001
# The scope extension naming `GoingAway.send_now` (`web.ws`).
SEND_NOW = "forum.send_now"
# Closes after which nothing the peer sends is read, not even its answering close frame.
UNREAD = frozenset({Close.TOO_MANY_MESSAGES})
LINGER = 1.0  # seconds for the close frame to reach the peer before the socket is dropped


class GoingAway(WebSocketsSansIOProtocol):
    """The sans-I/O websocket protocol, closing with 1001 when the server shuts down,
    dropping a peer that stopped answering pings, buffered data and all, and reading
    nothing more from a flooder once it is closed."""

    def shutdown(self) -> None:
        if self.handshake_complete and not self.close_sent:
            self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
            self.conn.send_close(GOING_AWAY)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True  # the parent then only closes the transport
        super().shutdown()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.handshake_initiated and not self.close_sent:  # an upgrade, not refused
            self.scope["extensions"][SEND_NOW] = {"send": self.send_now}  # type: ignore[index]

    def send_now(self, text: str) -> bool:
        """Send a text frame now, if the socket takes it without waiting: False when the
        handshake is not done, the connection is closing or gone, or its buffer is over
        the high-water mark (the caller then queues the frame for its writer, which waits).
        The same frame as ASGI's `websocket.send`, less the await, the ASGI message and
        the wrappers each layer puts around `send`: per frame and subscriber, about half
        of the fan-out's cost (bench/README.md, "Realtime")."""
        if not (self.handshake_complete and self.writable.is_set()):
            return False
        if self.disconnected or self.close_sent or self.transport.is_closing():
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        if self.transport.get_write_buffer_size():
            self.transport.abort()

    async def send(self, message: Message) -> None:  # type: ignore[override]
        closing = (
            message["type"] == "websocket.close"
            and message.get("code") in UNREAD
            and self.handshake_complete
            and not self.close_sent
        )
        await super().send(message)  # type: ignore[arg-type]
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            # A refusal (429, 503) answered whole is a handshake completed: the parent
            # would otherwise log an error ("returned without completing handshake")
            # for each one, which a crowding client turns into thousands of lines.
            self.handshake_complete = True
        if closing and self.close_timer is not None:
            # The parent has resumed reading to wait for the answer: stop it for good
            # (`receive` resumes only while the application reads, and it reads no more).
            self.read_paused = True
            self.transport.pause_reading()
            self.transport.write_eof()
            self.close_timer.cancel()
            self.close_timer = self.loop.call_later(LINGER, self.transport.abort)

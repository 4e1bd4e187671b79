"""How the server's websockets end: with 1001 when a worker stops (SIGTERM, a deploy),
and at once when the peer stops reading.

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
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

GOING_AWAY = 1001
# The scope extension naming `GoingAway.send_now` (`web.ws`).
SEND_NOW = "forum.send_now"


class GoingAway(WebSocketsSansIOProtocol):
    """The sans-I/O websocket protocol, closing with 1001 when the server shuts down and
    dropping a peer that stopped answering pings, buffered data and all."""

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

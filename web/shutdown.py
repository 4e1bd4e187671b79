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
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

GOING_AWAY = 1001


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

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        if self.transport.get_write_buffer_size():
            self.transport.abort()

"""How a worker's websockets end when it stops (SIGTERM, a deploy): with 1001.

Uvicorn drains HTTP requests in flight, then closes each websocket with 1012 (service
restart). The protocol says 1001 (going away): the client resumes with `since` on another
worker at once, as it does after any close that is not a refusal.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

GOING_AWAY = 1001


class GoingAway(WebSocketsSansIOProtocol):
    """The sans-I/O websocket protocol, closing with 1001 when the server shuts down."""

    def shutdown(self) -> None:
        if self.handshake_complete and not self.close_sent:
            self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
            self.conn.send_close(GOING_AWAY)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True  # the parent then only closes the transport
        super().shutdown()

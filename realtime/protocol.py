"""The websocket protocol's messages (DESIGN.md, "Realtime protocol"): what a client may
send, the frames the server answers with, and the close codes, in one table.

Client: `{"op":"subscribe","channels":[...],"since":"<cursor>"}` (`since` optional),
`{"op":"unsubscribe","channels":[...]}`, `{"op":"ping"}`. Server: `subscribed`,
`unsubscribed`, `event`, `presence`, `resync`, `error`, `pong`.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from forum import channels
from forum.errors import DomainError, invalid
from forum.events import Cursor
from forum.feed import Delivery

MAX_MESSAGE = 4096  # characters in one client message
# Bytes in one frame the websocket layer takes (uvicorn's `ws_max_size`): past it the
# socket is closed with 1009 from the frame's header, its payload never read whole.
# Between MAX_MESSAGE and this, the client gets an `error` and the socket stays usable.
MAX_FRAME = 16 * 1024
MAX_CHANNELS = 50  # channels named in one message, and joined by one connection
# Messages one connection may send: a burst, then so many a second (a token bucket).
# A page sends one `subscribe` per connection and a ping now and then; every `subscribe`
# costs a database transaction, so a flood of them is closed, not answered.
MESSAGE_BURST = 20
MESSAGES_PER_SECOND = 5.0


class Close(enum.IntEnum):
    """Why the server closes a socket (4000-4999 are the application's own codes)."""

    # Sent before accepting: the handshake gets HTTP 403, a hijacking page gets nothing.
    BAD_ORIGIN = 4403
    # The client fell behind: reconnect and resume with `since`.
    TOO_SLOW = 4008
    # This member already has the most sockets a worker takes from one member.
    TOO_MANY_CONNECTIONS = 4029
    # More messages than MESSAGE_BURST and MESSAGES_PER_SECOND allow (1008: policy
    # violation). Frames over MAX_FRAME get 1009 (message too big) from uvicorn itself.
    TOO_MANY_MESSAGES = 1008
    MESSAGE_TOO_BIG = 1009
    # The database was away while answering a request (1013: try again later): the
    # client reconnects, backing off, and resumes with `since`.
    TRY_AGAIN = 1013
    # The login the socket ran as ended or changed (logout, password change, suspension,
    # expiry, another role): reconnect as whoever the cookie says now, resume with `since`.
    SESSION_CHANGED = 4401


REASONS = {
    Close.BAD_ORIGIN: "origin not allowed",
    Close.TOO_SLOW: "too slow: resume with since",
    Close.TOO_MANY_CONNECTIONS: "too many connections",
    Close.TOO_MANY_MESSAGES: "too many messages",
    Close.MESSAGE_TOO_BIG: "message too big",
    Close.TRY_AGAIN: "try again later",
    Close.SESSION_CHANGED: "session changed: reconnect",
}


@dataclass(frozen=True)
class Subscribe:
    channels: list[str]
    since: Cursor | None  # resume: the events after it first, then live ones


@dataclass(frozen=True)
class Unsubscribe:
    channels: list[str]


@dataclass(frozen=True)
class Ping:
    pass


Request = Subscribe | Unsubscribe | Ping


def parse(message: str | bytes) -> Request:
    """One client message, checked; a `DomainError` (answered as an `error` frame) if it
    is not a valid request. The socket stays usable either way."""
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise invalid("message", "Send JSON text under 4 KiB.", "invalid_message")
    try:
        request = orjson.loads(message)
    except orjson.JSONDecodeError:
        raise invalid("message", "The message is not JSON.", "invalid_message") from None
    op = request.get("op") if isinstance(request, dict) else None
    if op == "ping":
        return Ping()
    if op == "unsubscribe":
        return Unsubscribe(_channels(request))
    if op == "subscribe":
        names = _channels(request)
        since = request.get("since")
        if since is not None and not isinstance(since, str):
            raise invalid("since", "since must be a cursor string.", "invalid_cursor")
        return Subscribe(names, Cursor.parse(since) if since is not None else None)
    raise invalid("op", "Use subscribe, unsubscribe or ping.", "unknown_op")


def _channels(request: dict[str, Any]) -> list[str]:
    names = request.get("channels")
    if not isinstance(names, list) or not 1 <= len(names) <= MAX_CHANNELS:
        raise invalid(
            "channels", f"Give a list of 1 to {MAX_CHANNELS} channel names.", "invalid_channels"
        )
    for name in names:
        channels.parse(name)
    return list(dict.fromkeys(names))


class Pace:
    """How many messages a connection may still send now: MESSAGE_BURST at once, refilled
    at MESSAGES_PER_SECOND."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens = float(MESSAGE_BURST)
        self._at = clock()

    def allows(self) -> bool:
        """Counts one message; False once the connection sends faster than allowed."""
        now = self._clock()
        self._tokens = min(MESSAGE_BURST, self._tokens + (now - self._at) * MESSAGES_PER_SECOND)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def frame(op: str, **fields: Any) -> str:
    return orjson.dumps({"op": op, **fields}).decode()


def error(exc: DomainError, **fields: Any) -> str:
    if exc.retry_after is not None:
        fields["retry_after"] = exc.retry_after
    return frame("error", code=exc.code, message=exc.message, **fields)


def event(delivery: Delivery, channel: str) -> str:
    """An event as sent on `channel`: encoded once, shared by every reader of it."""
    logged = delivery.event
    return orjson.dumps(
        {
            "op": "event",
            "id": str(logged.cursor),
            "channel": channel,
            "type": logged.type,
            "at": logged.at,
            "data": delivery.data,
        }
    ).decode()

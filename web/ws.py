"""The websocket route `/ws`: the handshake, and nothing of the protocol.

Here: the `Origin` check, who the session cookie names, the limits on anonymous
connections per address (their rate, and how many are open in this worker), and
Starlette's WebSocket adapted to the realtime transport. An address over its share of
open sockets, or refused by its rate until that resets, is refused by `EarlyRefusal`,
the app's outermost layer, before anything else.
The protocol itself (DESIGN.md, "Realtime protocol") is `realtime.connection`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from forum.db import unavailable
from forum.errors import DomainError
from realtime.connection import Disconnected
from realtime.protocol import Close
from realtime.sweep import Identity
from web import auth
from web.errors import DATABASE_ERRORS, away_response, domain_response
from web.headers import has_session_cookie
from web.shutdown import SEND_NOW

log = logging.getLogger("forum.web")

_DENIAL = "websocket.http.response"  # the ASGI extension for refusing with an HTTP answer
PATH = "/ws"
# An early refusal is answered this many seconds late: an abuser retrying at once costs
# each worker a refusal a second per connection it holds open (about 0.5 ms of CPU each)
# instead of as many as its loop can send. Idle waits, not work; browsers back off anyway.
SLOW_REFUSAL = 1.0
# At most this many refusals wait at once in a worker (sockets held); past it, the answer
# comes at once, as before, and costs what it did.
SLOW_REFUSALS_HELD = 512


class EarlyRefusal:
    """The app's outermost layer: a handshake on `/ws` without a session cookie, from an
    address already holding its share of anonymous sockets in this worker or refused by
    `FORUM_LIMIT_WS_CONNECT` until its window resets, is refused here (429,
    `Retry-After`, the envelope: what `endpoint` answers) before the middleware, the
    router, the endpoint and the database, and answered SLOW_REFUSAL late. An abuser
    retries at once and without end: bench/ws_abuse.py's crowd and oversize phases sent
    18,000 such handshakes in 12 s. A handshake with a cookie goes on: only the database
    knows whether it names a member."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._waiting = 0  # refusals waiting for SLOW_REFUSAL

    async def _slowly(self) -> None:
        if self._waiting >= SLOW_REFUSALS_HELD:
            return
        self._waiting += 1
        try:
            await asyncio.sleep(SLOW_REFUSAL)
        finally:
            self._waiting -= 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "websocket"
            and scope["path"] == PATH
            and _DENIAL in scope.get("extensions", {})
            and not has_session_cookie(scope)
        ):
            address = auth.client_address(HTTPConnection(scope))
            refused = scope["app"].state.realtime.refusal(address)
            if refused is not None:
                await self._slowly()
                answer = domain_response(refused)
                scope["app"].state.metrics.observe_refused_handshake(answer.status_code)
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def endpoint(ws: WebSocket) -> None:
    state = ws.app.state
    try:
        auth.check_origin(ws)
    except DomainError:
        # Before accepting: the handshake is refused (HTTP 403), a hijacking page gets nothing.
        state.metrics.observe_refused_handshake(403)
        await ws.close(code=Close.BAD_ORIGIN)
        return
    address = auth.client_address(ws)
    # The anonymous client's place in this worker is held from here to the socket's end.
    with contextlib.ExitStack() as seat:
        try:
            identity = await _identity(ws)
            # In memory first: a host already holding its share costs no database write.
            seat.enter_context(state.realtime.seat(identity, address))
            if not identity.actor.authenticated:
                await state.realtime.count_connection(address)
        except DomainError as exc:
            await _refuse(ws, domain_response(exc))
            return
        except DATABASE_ERRORS as exc:
            # The database is away (or no connection could be had in time, as in a storm
            # of reconnections): "try again later" (503), which the script backs off from,
            # not a failure of ours.
            if not unavailable(exc):
                raise
            log.warning("database unavailable on the websocket handshake: %s", exc)
            await _refuse(ws, away_response())
            return
        await ws.accept()
        await state.realtime.serve(_Transport(ws), identity, address)


async def _identity(ws: WebSocket) -> Identity:
    if not ws.cookies.get(auth.COOKIE):
        return Identity()
    async with ws.app.state.db.transaction() as session:
        found = await auth.current(ws, session)
    return Identity(found.actor, found.key) if found else Identity()


async def _refuse(ws: WebSocket, answer: Response) -> None:
    """Refuse the handshake itself: over a limit, or the database away, nothing is
    upgraded or kept open. The answer is the API's (429 or 503, Retry-After, the error
    envelope) where the server can send one; else a bare refusal (HTTP 403). A browser
    sees a failed connection either way and retries later, backing off (`forum.js`)."""
    ws.app.state.metrics.observe_refused_handshake(answer.status_code)
    if _DENIAL in ws.scope.get("extensions", {}):
        await ws.send_denial_response(answer)
    else:
        await ws.close()


class _Transport:
    """Starlette's WebSocket as the realtime transport (`realtime.connection.Transport`)."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        direct = ws.scope.get("extensions", {}).get(SEND_NOW)
        self._send_now: Callable[[str], bool] | None = direct["send"] if direct else None

    def send_now(self, text: str) -> bool:
        return self._send_now is not None and self._send_now(text)

    async def send(self, text: str) -> None:
        try:
            await self._ws.send_text(text)
        except (WebSocketDisconnect, OSError) as exc:
            raise Disconnected from exc

    async def receive(self) -> str | bytes | None:
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, OSError) as exc:
            raise Disconnected from exc
        if message["type"] == "websocket.disconnect":
            return None
        text: str | None = message.get("text")
        return text if text is not None else message.get("bytes", b"")

    async def close(self, code: int, reason: str) -> None:
        try:
            await self._ws.close(code, reason)
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:
            raise Disconnected from exc

"""What every request leaves behind for the operator: its id, a log line, and counts.

The outermost ASGI layer: it gives each HTTP request an id (the caller's `X-Request-ID`
when it is well formed, else a new one) and returns it in the response, times the
request, counts it in `web.metrics` by route template and status, and writes one line to
`forum.requests` (JSON with `FORUM_LOG_FORMAT=json`, see `web.logs`). It logs the path
without its query string, and never headers, cookies or bodies: a reset link's token,
a password or a post must not end up in a log file. Websockets are counted while open.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.logs import REQUESTS
from web.metrics import Metrics

HEADER = b"x-request-id"
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
# A path no route matched is counted under one name: raw paths would be unbounded labels.
UNMATCHED = "(unmatched)"
SECRET_PARAMS = frozenset({"token"})
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
_LONG_SEGMENT = re.compile(r"[^/]{24,}")
# Likewise any method but these (a client may send any token as a method).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Observability:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0] != HEADER]
                headers.append((HEADER, request_id))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._done(scope, request_id, status, time.perf_counter() - started)

    def _done(self, scope: Scope, request_id: bytes, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or UNMATCHED
        method = scope["method"] if scope["method"] in METHODS else "other"
        self.metrics.observe_request(method, route, status, seconds)
        if REQUESTS.isEnabledFor(logging.INFO):
            REQUESTS.info(
                "%s %s %d",
                scope["method"],
                route,
                status,
                extra={
                    "request_id": request_id.decode(),
                    "method": scope["method"],
                    "route": route,
                    "path": _loggable_path(scope, route),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "pid": self.pid,
                },
            )

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = False

        async def counting_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                self.metrics.websockets += 1
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                self.metrics.websockets -= 1


def _loggable_path(scope: Scope, route: str) -> str:
    """The path without the secrets some paths carry (`/password/reset/{token}`), and
    never the query string. An unmatched path hides its long segments: a mistyped or
    slash-ended emailed link is still a token."""
    if route == UNMATCHED:
        return _LONG_SEGMENT.sub("[redacted]", scope["path"])
    params = scope.get("path_params") or {}
    if SECRET_PARAMS.isdisjoint(params):
        return scope["path"]
    return _PARAM.sub(
        lambda m: "[redacted]" if m[1] in SECRET_PARAMS else str(params.get(m[1], m[0])), route
    )


def _request_id(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == HEADER and _WELL_FORMED.fullmatch(value):
            return value
    return uuid.uuid4().hex.encode()

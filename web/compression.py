"""Gzip for clients that accept it: Starlette's middleware, compressing through ISA-L.

Pages, API answers and assets travel gzip-compressed to clients that accept it: a thread
page of 20 posts goes from 27 KB of HTML to 6 (readers on slow, paid mobile links).
Answers under 1 KB are not worth a gzip header; only HTTP: the websocket route passes
through. Starlette decides what to compress (content types, partial answers, streamed
bodies, `Vary`); this module only changes the compressor: Intel's ISA-L (python-isal)
instead of zlib. zlib at level 4 took 0.4 ms of a worker's CPU for 27 KB of text, 15% of
serving a thread page (py-spy); ISA-L at its level 3 takes 0.06 ms, and a thread page
grows by 3% (5,816 to 6,008 bytes): `bench/README.md`, pages, 2026-12-02.
"""

from __future__ import annotations

from isal import isal_zlib
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Receive, Scope, Send

MINIMUM_SIZE = 1024
LEVEL = isal_zlib.ISAL_BEST_COMPRESSION  # 3, ISA-L's highest
GZIP_WBITS = 16 + isal_zlib.MAX_WBITS  # a gzip header and trailer, as zlib's 16 + 15

if not isinstance(getattr(GZipResponder, "compressor", None), property):  # pragma: no cover
    raise ImportError(
        "starlette's GZipResponder no longer takes its compressor from `compressor`: "
        "web/compression.py must follow it"
    )


class _IsalResponder(GZipResponder):
    @property
    def compressor(self):  # an isal_zlib.Compress: zlib's interface, flush modes included
        if self._compressor is None:
            self._compressor = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, GZIP_WBITS)
        return self._compressor


class Compression:
    """Starlette's `GZipMiddleware`, choosing the responder the same way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "gzip" in Headers(scope=scope).get("Accept-Encoding", ""):
            responder = _IsalResponder(self.app, MINIMUM_SIZE)
        else:
            responder = IdentityResponder(self.app, MINIMUM_SIZE)
        await responder(scope, receive, send)

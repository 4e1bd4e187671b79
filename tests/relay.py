"""A TCP relay to a server that a test takes away and brings back: while stopped,
connections are refused and those open are cut, as when the server goes down."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from tests.servers import free_port


class Relay:
    """Listens on 127.0.0.1:`port` and passes each connection on to `upstream`: a TCP
    (host, port), or the path of a Unix socket (an embedded PostgreSQL's)."""

    def __init__(self, upstream: tuple[str, int] | str) -> None:
        self._upstream = upstream
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @classmethod
    def to_http(cls, url: str) -> Relay:
        parts = urlsplit(url)
        return cls((parts.hostname or "127.0.0.1", parts.port or 80))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._open):
                writer.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if isinstance(self._upstream, str):
            return await asyncio.open_unix_connection(self._upstream)
        return await asyncio.open_connection(*self._upstream)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._connect()
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open -= {writer, up_writer}


def to_database(url: str) -> tuple[Relay, str]:
    """A relay to the PostgreSQL server of the SQLAlchemy `url` (over TCP, or the Unix
    socket of `?host=/dir`), and the URL that reaches the same database through it."""
    parsed = make_url(url)
    socket_dir = parsed.query.get("host")
    if isinstance(socket_dir, str) and socket_dir.startswith("/"):
        relay = Relay(f"{socket_dir}/.s.PGSQL.{parsed.port or 5432}")
    else:
        relay = Relay((parsed.host or "127.0.0.1", parsed.port or 5432))
    through = parsed.set(host="127.0.0.1", port=relay.port).difference_update_query(["host"])
    return relay, through.render_as_string(hide_password=False)

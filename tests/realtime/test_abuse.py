"""Websocket abuse against a real `forum serve --workers 2` (a small `bench/ws_abuse.py`):
the abuser is closed or refused with the documented code, and a well-behaved subscriber
on the same server still gets every event of the posts written meanwhile, once each.

A client that never reads is closed with 4008 while others keep receiving
(`test_live.py`); here, it is let go altogether once it misses a ping.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from forum.db import driver_dsn
from realtime.protocol import MAX_FRAME, MESSAGE_BURST, MESSAGES_PER_SECOND, REASONS, Close
from realtime.service import ANONYMOUS_RETRY, MAX_ANONYMOUS_PER_ADDRESS
from tests.metrics import series
from tests.realtime.clients import events_of, member, send, subscribe, until, until_closed, ws_url
from tests.servers import Served, forum_env, free_port
from web.app import create_app
from web.metrics import SHARE_EVERY
from web.shutdown import LINGER, GoingAway

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.usefixtures("closing_members"),
]

# The well-behaved subscriber comes through the proxy (uvicorn trusts X-Forwarded-For from
# 127.0.0.1 only, its default) from another address than the abuser's.
ELSEWHERE = {"X-Forwarded-For": "198.51.100.9"}


@pytest.fixture(scope="module")
def served(module_database_url: str) -> AsyncIterator[Served]:
    env = forum_env(
        FORUM_DATABASE_URL=driver_dsn(module_database_url),
        FORUM_SECRET_KEY="k" * 40,
        # Only the cap on open sockets is under test, not the rate of new ones.
        FORUM_LIMIT_WS_CONNECT="1000000/1m",
    )
    server = Served(env, "--workers", "2")
    yield server
    server.stop()


def created(frames: list[dict]) -> list[int]:
    return [f["data"]["post"]["id"] for f in events_of(frames) if f["type"] == "post.created"]


async def watched(served: Served, abuse: Callable[[], Awaitable[Any]]) -> Any:
    """Runs `abuse` while a member posts replies that a subscriber from another address
    reads; checks the subscriber got each of them once, in order; returns what `abuse`
    returned."""
    writer = await member(served)
    tid = await writer.thread()
    async with connect(ws_url(served), additional_headers=ELSEWHERE) as ws:
        await subscribe(ws, f"thread:{tid}")
        abusing = asyncio.create_task(abuse())
        posted = []
        for n in range(5):
            posted.append((await writer.reply(tid, f"during the abuse {n}"))["id"])
            await asyncio.sleep(0.05)
        outcome = await abusing
        last = (await writer.reply(tid, "after the abuse"))["id"]
        frames = await until(ws, lambda f: last in created([f]), 30)
    assert created(frames) == [*posted, last]
    return outcome


async def test_a_flood_of_subscribe_and_unsubscribe_is_closed_with_1008(served):
    tid = await (await member(served)).thread()
    channel = [f"thread:{tid}"]

    async def flood() -> tuple[list[dict], int | None, str]:
        async with connect(ws_url(served)) as ws:
            with contextlib.suppress(websockets.ConnectionClosed):
                for n in range(2000):
                    await send(ws, op="unsubscribe" if n % 2 else "subscribe", channels=channel)
            frames, code = await until_closed(ws)
            return frames, code, ws.close_reason or ""

    frames, code, reason = await watched(served, flood)
    assert code == Close.TOO_MANY_MESSAGES == 1008 and reason == REASONS[code]
    # What came within the burst was answered; nothing after it was.
    answers = [f for f in frames if f["op"] in ("subscribed", "unsubscribed")]
    assert 0 < len(answers) <= MESSAGE_BURST + 5


async def test_a_flooder_that_never_answers_the_close_is_let_go_at_once(served):
    # A raw client: it floods, reads the server's frames, and never answers the close
    # frame (as a flooder need not). The server reads nothing more after its 1008: it
    # ends its stream right after the close frame instead of reading on for the answer.
    client = ClientProtocol(parse_uri(ws_url(served)))
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    client.send_request(client.connect())
    writer.write(b"".join(client.data_to_send()))
    ping = Frame(Opcode.TEXT, b'{"op":"ping"}').serialize(mask=True, extensions=[])
    closed_at, code = None, None
    try:
        async with asyncio.timeout(30):
            while not reader.at_eof():
                if closed_at is None:
                    with contextlib.suppress(ConnectionError):
                        writer.write(ping * 50)
                        await writer.drain()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.01):
                        client.receive_data(await reader.read(65536))
                if closed_at is None and client.close_rcvd is not None:
                    closed_at = time.monotonic()
                    code = client.close_rcvd.code
            ended = time.monotonic() - closed_at
    finally:
        writer.transport.abort()
    assert code == Close.TOO_MANY_MESSAGES == 1008
    # uvicorn alone waits 10 s (its close timeout) for an answer, reading all the while.
    assert ended < LINGER + 1


async def test_a_burst_then_a_steady_pace_is_never_closed(served):
    async with connect(ws_url(served)) as ws:
        sent = 0
        for _ in range(MESSAGE_BURST):
            await send(ws, op="ping")
            sent += 1
        for _ in range(10):  # then a little slower than the refill
            await asyncio.sleep(1.5 / MESSAGES_PER_SECOND)
            await send(ws, op="ping")
            sent += 1
        pongs = 0
        async with asyncio.timeout(10):
            while pongs < sent:
                pongs += orjson.loads(await ws.recv())["op"] == "pong"


async def test_an_oversize_frame_is_closed_with_1009_without_being_read_whole(served):
    async def oversize() -> list[int | None]:
        codes = []
        # Over MAX_FRAME: closed at once.
        async with connect(ws_url(served), max_size=None) as ws:
            await ws.send("x" * (MAX_FRAME + 1))
            codes.append((await until_closed(ws))[1])
        # A header announcing a gigabyte, followed by a few bytes and then nothing: the
        # close comes from the header alone, not after waiting for the payload.
        async with connect(ws_url(served)) as ws:
            mask = os.urandom(4)
            ws.transport.write(struct.pack("!BBQ", 0x81, 0x80 | 127, 2**30) + mask + b"abcd")
            codes.append((await until_closed(ws))[1])
        return codes

    assert await watched(served, oversize) == [Close.MESSAGE_TOO_BIG] * 2 == [1009] * 2
    # Over MAX_MESSAGE but within MAX_FRAME: an error, and the socket stays usable.
    async with connect(ws_url(served)) as ws:
        await ws.send("x" * (MAX_FRAME - 10))
        assert (await until(ws, lambda f: f["op"] == "error"))[-1]["code"] == "invalid_message"
        await send(ws, op="ping")
        await until(ws, lambda f: f["op"] == "pong")


async def _open_until_refused(served: Served, sockets: list[ClientConnection]) -> Any:
    # Each worker holds its own places: the refusal comes once the worker that takes the
    # connection is full, after MAX_ANONYMOUS_PER_ADDRESS at least, twice that at most.
    for _ in range(2 * MAX_ANONYMOUS_PER_ADDRESS + 1):
        try:
            sockets.append(await connect(ws_url(served)))
        except websockets.InvalidStatus as refused:
            return refused.response
    raise AssertionError("never refused")


async def test_anonymous_sockets_per_address_are_capped_per_worker(served):
    sockets: list[ClientConnection] = []

    async def crowd() -> Any:
        return await _open_until_refused(served, sockets)

    try:
        answer = await watched(served, crowd)
        assert MAX_ANONYMOUS_PER_ADDRESS <= len(sockets) <= 2 * MAX_ANONYMOUS_PER_ADDRESS
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) == ANONYMOUS_RETRY
        assert orjson.loads(answer.body)["error"]["code"] == "too_many_connections"
        # Operators see the refusals (every worker's, shared every SHARE_EVERY seconds).
        await _soon(lambda: _refusals(served, "429"), 3 * SHARE_EVERY)
        # The sockets it holds still work.
        await send(sockets[0], op="ping")
        await until(sockets[0], lambda f: f["op"] == "pong")
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))
    # Places are given back as sockets close.
    async with connect(ws_url(served)) as ws:
        await send(ws, op="ping")
        await until(ws, lambda f: f["op"] == "pong")


async def test_a_client_that_never_reads_is_let_go_once_it_misses_a_ping(settings, database_url):
    # The app under uvicorn in this process, with `forum serve`'s websocket protocol and
    # pings a second apart (`forum serve` sends them every 20 s), so the test can watch
    # the worker's count of open sockets.
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=free_port(), ws=GoingAway, ws_ping_interval=1,
            ws_ping_timeout=1, ws_per_message_deflate=False, log_level="warning",
        )
    )  # fmt: skip
    serving = asyncio.create_task(server.serve())
    raw = socket.socket()
    ws = None
    try:
        await _soon(lambda: server.started, 30)
        # A small receive window, no reading and no answer to pings: the server's
        # buffer for it fills and stays full.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        raw.connect(("127.0.0.1", server.config.port))
        port = server.config.port
        ws = await connect(f"ws://127.0.0.1:{port}/ws", sock=raw, max_queue=1, ping_interval=None)
        await subscribe(ws, "region:africa")
        assert app.state.metrics.websockets == 1
        conn = await asyncpg.connect(driver_dsn(database_url))
        try:
            await conn.execute(
                """
                WITH e AS (
                    INSERT INTO events (type, channels, visibility, payload)
                    SELECT 'test.bulk', ARRAY['region:africa'], 'public',
                           jsonb_build_object('n', g, 'pad', repeat('x', 4000))
                    FROM generate_series(1, 2000) g
                    RETURNING id
                )
                SELECT pg_notify('forum_events', max(id)::text) FROM e
                """
            )
        finally:
            await conn.close()
        # Closed as too slow, then, with its close frame stuck behind what it does not
        # read, dropped once a ping goes unanswered: nothing of it is kept.
        await _soon(lambda: app.state.metrics.websockets == 0, 15)
    finally:
        if ws is not None:
            ws.transport.abort()
        raw.close()
        server.should_exit = True
        await serving


async def _refusals(served: Served, status: str) -> bool:
    async with httpx.AsyncClient() as scraper:
        scraped = (await scraper.get(served.url + "/metrics")).text
    return (series(scraped, "forum_websocket_refusals_total", status=status) or 0) > 0


async def _soon(done: Callable[[], bool | Awaitable[bool]], within: float) -> None:
    async def now() -> bool:
        found = done()
        return await found if inspect.isawaitable(found) else found

    for _ in range(int(within / 0.1)):
        if await now():
            return
        await asyncio.sleep(0.1)
    assert await now()

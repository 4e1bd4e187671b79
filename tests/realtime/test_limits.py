"""The websocket's rate limits, set low through settings on a real server: anonymous
connections per address (`FORUM_LIMIT_WS_CONNECT`) and backlog requests, i.e. subscribes
with `since` (`FORUM_LIMIT_WS_BACKLOG`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import websockets
from websockets.asyncio.client import connect

from forum.db import driver_dsn
from tests.realtime.clients import member, post_ids, send, subscribe, until, ws_url
from tests.servers import Served, forum_env
from web.ws import SLOW_REFUSAL

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.usefixtures("closing_members"),
]


@pytest.fixture(scope="module")
def served(module_database_url: str) -> AsyncIterator[Served]:
    env = forum_env(
        FORUM_DATABASE_URL=driver_dsn(module_database_url),
        FORUM_SECRET_KEY="k" * 40,
        FORUM_LIMIT_WS_CONNECT="3/1h",
        FORUM_LIMIT_WS_BACKLOG="2/1h",
    )
    server = Served(env)
    yield server
    server.stop()


async def test_anonymous_connections_per_address_are_refused_at_the_handshake(served):
    # Every test of this module connects from 127.0.0.1: this one alone connects anonymously.
    for _ in range(3):
        async with connect(ws_url(served)) as ws:
            await send(ws, op="ping")
            await until(ws, lambda f: f["op"] == "pong")
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(ws_url(served)):
            pass
    answer = refused.value.response
    assert answer.status_code == 429
    assert 0 < int(answer.headers["Retry-After"]) <= 3600
    assert b'"code":"rate_limited"' in answer.body
    # Refused again, from memory (`Realtime.count_connection`), until the window resets,
    # and a second late: a client retrying at once gets a refusal a second, not thousands.
    asked = time.monotonic()
    with pytest.raises(websockets.InvalidStatus) as again:
        async with connect(ws_url(served)):
            pass
    assert time.monotonic() - asked >= SLOW_REFUSAL
    assert again.value.response.status_code == 429
    assert b'"code":"rate_limited"' in again.value.response.body
    assert (
        0 < int(again.value.response.headers["Retry-After"]) <= int(answer.headers["Retry-After"])
    )
    # Members are not counted per address (they are capped per member instead).
    me = await member(served)
    async with connect(ws_url(served), additional_headers={"Cookie": me.cookie}) as ws:
        await send(ws, op="ping")
        await until(ws, lambda f: f["op"] == "pong")


async def test_backlog_requests_past_the_limit_get_an_error_and_nothing_else(served):
    me, writer = await member(served), await member(served)
    tid = await writer.thread()
    missed = await writer.reply(tid, "Missed while away")
    headers = {"Cookie": me.cookie}
    for _ in range(2):
        async with connect(ws_url(served), additional_headers=headers) as ws:
            await subscribe(ws, f"thread:{tid}", since="0-0")
            frames = await until(ws, lambda f: missed["id"] in post_ids([f]))
            assert frames[-1]["type"] == "post.created"
    async with connect(ws_url(served), additional_headers=headers) as ws:
        await send(ws, op="subscribe", channels=[f"thread:{tid}"], since="0-0")
        await send(ws, op="unsubscribe", channels=[f"thread:{tid}"])
        await send(ws, op="ping")
        error, left, _ = await until(ws, lambda f: f["op"] == "pong")
        assert error["op"] == "error" and error["code"] == "rate_limited"
        assert 0 < error["retry_after"] <= 3600
        # Nothing from the backlog, and nothing joined: live events alone would leave a
        # gap the client could not see.
        assert left == {"op": "unsubscribed", "channels": []}
        # Without `since`, a subscription is no backlog request: live events come as usual.
        await subscribe(ws, f"thread:{tid}")
        later = await writer.reply(tid, "Written later")
        frames = await until(ws, lambda f: f["op"] == "event")
    assert post_ids(frames) == [later["id"]]

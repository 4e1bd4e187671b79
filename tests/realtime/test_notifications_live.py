"""Notifications live, through real servers: a member's socket on their own channel
(`user:<id>`) hears of a notification written by the fan-out of another worker, and
another member's socket hears nothing of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect

from forum.db import driver_dsn
from tests.realtime.clients import events_of, member, send, subscribe, until, ws_url
from tests.servers import Served, forum_env

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.usefixtures("closing_members"),
]


@pytest.fixture(scope="module")
def servers(module_database_url: str) -> AsyncIterator[tuple[Served, Served]]:
    env = forum_env(FORUM_DATABASE_URL=driver_dsn(module_database_url), FORUM_SECRET_KEY="k" * 40)
    a, b = Served(env), Served(env)
    yield a, b
    a.stop()
    b.stop()


async def test_a_notification_reaches_its_member_live_and_nobody_else(servers):
    a, b = servers
    author, reader, other = await member(b), await member(b), await member(a)
    r = await reader.http.put("/api/v1/follows/region:africa", json={"level": "watching"})
    assert r.status_code == 200, r.text
    async with (
        connect(ws_url(a), additional_headers={"Cookie": reader.cookie}) as mine,
        connect(ws_url(a), additional_headers={"Cookie": other.cookie}) as theirs,
    ):
        await subscribe(mine, f"user:{reader.user_id}")
        await subscribe(theirs, f"user:{other.user_id}")
        tid = await author.thread()
        frames = await until(mine, lambda f: f.get("type") == "notification.created", within=20)
        event = frames[-1]
        assert event["channel"] == f"user:{reader.user_id}"
        count = await reader.http.get("/api/v1/notifications/count")
        assert count.json() == {"unread": 1}
        listed = (await reader.http.get("/api/v1/notifications")).json()["notifications"]
        assert listed[0]["url"] == f"/threads/{tid}"
        # Reading it tells the member's other pages too.
        await reader.http.post("/api/v1/notifications/read", json={"ids": [listed[0]["id"]]})
        await until(mine, lambda f: f.get("type") == "notification.read", within=10)
        # The other member, on their own channel, heard of none of it (whatever the hub
        # sent them came before the answer to this ping).
        await send(theirs, op="ping")
        heard = await until(theirs, lambda f: f["op"] == "pong")
        assert events_of(heard) == []
    # A socket may not listen to someone else's notifications.
    async with connect(ws_url(a), additional_headers={"Cookie": other.cookie}) as ws:
        await send(ws, op="subscribe", channels=[f"user:{reader.user_id}"])
        frames = await until(ws, lambda f: f["op"] in ("error", "subscribed"))
        assert frames[-1]["op"] == "error"

"""Ending one's other sessions closes their sockets: two `forum serve` workers on one
database; a member ends a session on one, its sockets close on both (4401), nothing
written after that reaches them, and the session that did it keeps its own socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from forum.db import driver_dsn
from realtime.protocol import Close
from tests.realtime.clients import (
    PASSWORD,
    Member,
    events_of,
    member,
    post_ids,
    subscribe,
    until,
    until_closed,
    ws_url,
)
from tests.servers import Served, forum_env

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.usefixtures("closing_members"),
]


@pytest.fixture(scope="module")
def servers(module_database_url: str) -> Iterator[tuple[Served, Served]]:
    env = forum_env(FORUM_DATABASE_URL=driver_dsn(module_database_url), FORUM_SECRET_KEY="k" * 40)
    a, b = Served(env), Served(env)
    yield a, b
    a.stop()
    b.stop()


async def another_login(served: Served, who: Member, email: str, agent: str) -> Member:
    """The same member logged in from another browser."""
    async with httpx.AsyncClient(base_url=served.url, headers={"User-Agent": agent}) as c:
        r = await c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        cookie = f"forum_session={r.cookies['forum_session']}"
        return Member(served, cookie, r.json()["csrf_token"], who.user_id)


async def email_of(who: Member) -> str:
    return (await who.http.get("/api/v1/auth/me")).json()["user"]["email"]


async def watching(served: Served, who: Member, thread_id: int, writer: Member):
    ws = await connect(ws_url(served), additional_headers={"Cookie": who.cookie})
    await subscribe(ws, f"thread:{thread_id}")
    post = await writer.reply(thread_id, "Seen while the login holds")
    await until(ws, lambda f: f["op"] == "event" and post["id"] in post_ids([f]))
    return ws


async def test_ending_one_session_closes_its_sockets_only(servers):
    a, b = servers
    me, writer = await member(a), await member(b)
    phone = await another_login(a, me, await email_of(me), "Phone")
    tid = await writer.thread(region="staff-room")
    on_phone_a = await watching(a, phone, tid, writer)
    on_phone_b = await watching(b, phone, tid, writer)
    on_laptop = await watching(b, me, tid, writer)
    try:
        listed = (await me.http.get("/api/v1/auth/sessions")).json()["sessions"]
        [target] = [s["id"] for s in listed if s["user_agent"] == "Phone"]
        r = await me.http.delete(f"/api/v1/auth/sessions/{target}")
        assert r.status_code == 200, r.text
        after = await writer.reply(tid, "Written after the phone's session ended")
        for ws in (on_phone_a, on_phone_b):
            frames, code = await until_closed(ws)
            assert code == Close.SESSION_CHANGED
            assert after["id"] not in post_ids(frames)
        # The session that ended the other one reads on.
        frames = await until(on_laptop, lambda f: after["id"] in post_ids([f]))
        assert after["id"] in post_ids(events_of(frames))
    finally:
        for ws in (on_phone_a, on_phone_b, on_laptop):
            await ws.close()
        await phone.http.aclose()


async def test_ending_the_others_closes_their_sockets_on_every_worker(servers):
    a, b = servers
    me, writer = await member(a), await member(b)
    email = await email_of(me)
    others = [await another_login(a, me, email, f"Browser {n}") for n in range(2)]
    tid = await writer.thread(region="staff-room")
    theirs = [await watching(s, o, tid, writer) for o, s in zip(others, (a, b), strict=True)]
    mine = await watching(a, me, tid, writer)
    try:
        r = await me.http.post("/api/v1/auth/sessions/end-others")
        assert r.json() == {"ended": 2}
        after = await writer.reply(tid, "Written after the others ended")
        for ws in theirs:
            frames, code = await until_closed(ws)
            assert code == Close.SESSION_CHANGED
            assert after["id"] not in post_ids(frames)
        await until(mine, lambda f: after["id"] in post_ids([f]))
    finally:
        for ws in (*theirs, mine):
            await ws.close()
        for o in others:
            await o.http.aclose()

"""Sockets follow the login they were opened with: two `forum serve` workers on one
database; a login ends or changes on one, its sockets close on both (4401), and nothing
written after that reaches them. Region `staff-room` is members-only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from websockets.asyncio.client import ClientConnection, connect

from forum import moderation
from forum.db import Database, driver_dsn
from forum.models import Role
from forum.permissions import Actor
from realtime.protocol import Close
from tests.factories import MAILER
from tests.realtime.clients import (
    PASSWORD,
    Member,
    events_of,
    member,
    post_ids,
    send,
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
def servers(module_database_url: str) -> AsyncIterator[tuple[Served, Served]]:
    env = forum_env(FORUM_DATABASE_URL=driver_dsn(module_database_url), FORUM_SECRET_KEY="k" * 40)
    a, b = Served(env), Served(env)
    yield a, b
    a.stop()
    b.stop()


def as_member(served: Served, who: Member, cookie: str | None = None) -> connect:
    return connect(ws_url(served), additional_headers={"Cookie": cookie or who.cookie})


async def reading(ws: ClientConnection, thread_id: int, writer: Member) -> str:
    """Subscribe to a members-only thread and see a post arrive; the last event's id."""
    await subscribe(ws, f"thread:{thread_id}")
    post = await writer.reply(thread_id, "Seen while the login holds")
    frames = await until(ws, lambda f: f["op"] == "event" and post["id"] in post_ids([f]))
    return events_of(frames)[-1]["id"]


async def refused_now(served: Served, cookie: str, thread_id: int, since: str) -> None:
    """A new socket with the same cookie reads as whoever it names now: the thread is
    refused with an error, never joined, and resuming delivers nothing of it."""
    async with connect(ws_url(served), additional_headers={"Cookie": cookie}) as ws:
        await send(ws, op="subscribe", channels=[f"thread:{thread_id}"], since=since)
        frames = await until(ws, lambda f: f["op"] == "subscribed")
    assert [(f["op"], f.get("code")) for f in frames] == [
        ("error", "channel_not_found"),
        ("subscribed", None),
    ]
    assert frames[-1]["channels"] == []


async def test_logout_closes_the_sessions_sockets_on_every_worker_and_no_one_elses(servers):
    a, b = servers
    me, other, writer = await member(a), await member(a), await member(b)
    tid = await writer.thread(region="staff-room")
    async with (
        as_member(a, me) as mine_a,
        as_member(b, me) as mine_b,
        as_member(b, other) as theirs,
        connect(ws_url(b)) as anonymous,
    ):
        await reading(mine_a, tid, writer)
        seen = await reading(mine_b, tid, writer)
        await subscribe(theirs, f"thread:{tid}")
        await subscribe(anonymous, "topic:public-procurement")

        r = await me.http.post("/api/v1/auth/logout")
        assert r.status_code == 200, r.text
        after = await writer.reply(tid, "Written after the logout")

        for mine in (mine_a, mine_b):
            frames, code = await until_closed(mine)
            assert code == Close.SESSION_CHANGED
            assert after["id"] not in post_ids(frames)
        # Another member's socket, and an anonymous one, are left alone.
        await until(theirs, lambda f: after["id"] in post_ids([f]))
        public = await writer.thread()
        got = await until(anonymous, lambda f: f.get("type") == "thread.created")
        assert got[-1]["data"]["thread"]["id"] == public
        assert after["id"] not in post_ids(got)
        await send(anonymous, op="ping")
        await until(anonymous, lambda f: f["op"] == "pong")
    # The page reconnects with its cookie, now naming no one, and resumes.
    await refused_now(b, me.cookie, tid, seen)


async def test_a_password_change_closes_old_sockets_and_the_new_login_resumes_without_gap(
    servers,
):
    a, b = servers
    me, writer = await member(a), await member(b)
    tid = await writer.thread(region="staff-room")
    async with as_member(b, me) as mine:
        seen = await reading(mine, tid, writer)
        r = await me.http.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "another long password"},
        )
        assert r.status_code == 200, r.text
        after = await writer.reply(tid, "Written after the password change")
        frames, code = await until_closed(mine)
    assert code == Close.SESSION_CHANGED
    assert after["id"] not in post_ids(frames)
    # The new session (this browser's new cookie) may read it: resuming brings it, once.
    new_cookie = f"forum_session={r.cookies['forum_session']}"
    async with as_member(b, me, new_cookie) as again:
        await send(again, op="subscribe", channels=[f"thread:{tid}"], since=seen)
        frames = await until(again, lambda f: after["id"] in post_ids([f]))
    assert post_ids(frames) == [after["id"]]
    await refused_now(a, me.cookie, tid, seen)  # the old cookie names no one


async def test_a_suspension_closes_the_members_sockets(servers, module_database_url):
    a, b = servers
    me, writer = await member(a), await member(b)
    tid = await writer.thread(region="staff-room")
    async with as_member(a, me) as mine_a, as_member(b, me) as mine_b:
        await reading(mine_a, tid, writer)
        seen = await reading(mine_b, tid, writer)
        db = Database(module_database_url, pool_size=1)
        try:
            async with db.transaction() as session:
                moderator = Actor(user_id=writer.user_id, role=Role.MODERATOR)
                await moderation.set_suspended(
                    session, moderator, MAILER, me.user_id, suspended=True, reason="Spam"
                )
        finally:
            await db.dispose()
        after = await writer.reply(tid, "Written after the suspension")
        for mine in (mine_a, mine_b):
            frames, code = await until_closed(mine)
            assert code == Close.SESSION_CHANGED
            assert after["id"] not in post_ids(frames)
    # Still logged in, but suspended: reads like a visitor.
    await refused_now(b, me.cookie, tid, seen)


async def test_an_expired_session_closes_its_sockets_within_seconds(servers, module_database_url):
    a, b = servers
    me, writer = await member(a), await member(b)
    tid = await writer.thread(region="staff-room")
    async with as_member(a, me) as mine_a, as_member(b, me) as mine_b:
        await reading(mine_a, tid, writer)
        seen = await reading(mine_b, tid, writer)
        # Expiry writes nothing anywhere: the regular sweep notices it.
        conn = await asyncpg.connect(driver_dsn(module_database_url))
        try:
            await conn.execute(
                "UPDATE sessions SET expires_at = now() WHERE user_id = $1", me.user_id
            )
        finally:
            await conn.close()
        for mine in (mine_a, mine_b):
            _, code = await until_closed(mine)
            assert code == Close.SESSION_CHANGED
    await refused_now(a, me.cookie, tid, seen)


async def test_a_suspension_that_runs_its_course_frees_the_members_sockets(
    servers, module_database_url
):
    a, _ = servers
    me, writer = await member(a), await member(a)
    tid = await writer.thread(region="staff-room")
    conn = await asyncpg.connect(driver_dsn(module_database_url))
    try:
        await conn.execute(
            "UPDATE users SET suspended_at = now(), suspended_until = now() + interval '4 seconds'"
            " WHERE id = $1",
            me.user_id,
        )
        # Suspended: the members-only thread is refused; the socket runs as the suspended
        # account until the period ends, which writes nothing: the sweep notices it.
        async with as_member(a, me) as mine:
            await send(mine, op="subscribe", channels=[f"thread:{tid}"])
            frames = await until(mine, lambda f: f["op"] == "subscribed")
            assert frames[0].get("code") == "channel_not_found"
            _, code = await until_closed(mine)
        assert code == Close.SESSION_CHANGED
        async with as_member(a, me) as again:  # a member in good standing again
            assert (await subscribe(again, f"thread:{tid}"))["channels"] == [f"thread:{tid}"]
    finally:
        await conn.close()

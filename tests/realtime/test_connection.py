"""The protocol as a session API, without a web server: the app's running realtime serves a
transport of the test's own (`realtime.connection.Transport`), on a real database."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy import text

from forum import sessions
from forum.db import driver_dsn
from forum.permissions import Actor
from realtime.connection import Disconnected
from realtime.protocol import Close
from realtime.sweep import Identity, Sweep
from tests.relay import to_database
from web.app import create_app


class Pipe:
    """A transport whose other end is the test."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def send(self, text: str) -> None:
        if self.closed.done():
            raise Disconnected
        self.frames.put_nowait(orjson.loads(text))

    def send_now(self, text: str) -> bool:
        return False  # no fast path: every frame goes through the connection's queue

    async def receive(self) -> str | bytes | None:
        return await self.inbox.get()

    async def close(self, code: int, reason: str) -> None:
        self.closed.set_result(code)

    def request(self, **message: Any) -> None:
        self.inbox.put_nowait(orjson.dumps(message).decode())

    async def until(self, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        async with asyncio.timeout(10):
            while not got or not done(got[-1]):
                got.append(await self.frames.get())
        return got


@asynccontextmanager
async def served(app: Any, identity: Identity | None = None) -> AsyncIterator[Pipe]:
    pipe = Pipe()
    serving = asyncio.create_task(
        app.state.realtime.serve(pipe, identity or Identity(), "192.0.2.7")
    )
    try:
        yield pipe
    finally:
        pipe.inbox.put_nowait(None)  # the client leaves
        await asyncio.wait_for(serving, 10)


async def test_resuming_past_an_empty_log_is_told_to_resync(app):
    # The log is empty (a new forum): a cursor naming an event comes from elsewhere.
    async with served(app) as pipe:
        pipe.request(op="subscribe", channels=["topic:public-procurement"], since="77-5")
        pipe.request(op="ping")
        frames = await pipe.until(lambda f: f["op"] == "pong")
        assert [f["op"] for f in frames] == ["subscribed", "resync", "pong"]
        assert frames[1]["reason"] == "backlog_expired"
        # START, where a page rendered on this empty log resumes from, has missed nothing.
        pipe.request(op="subscribe", channels=["region:africa"], since="0-0")
        pipe.request(op="ping")
        frames = await pipe.until(lambda f: f["op"] == "pong")
        assert [f["op"] for f in frames] == ["subscribed", "pong"]


async def test_a_subscribe_on_an_ended_login_closes_the_socket_and_joins_nothing(app, make):
    user = await make.user()
    policy = app.state.policy
    async with make.db.transaction() as s:
        login = await sessions.open(s, policy, user["id"])
    identity = Identity(user["actor"], policy.digest(login.token))
    async with served(app, identity) as pipe:
        pipe.request(op="subscribe", channels=["region:staff-room"])
        assert (await pipe.until(lambda f: f["op"] == "subscribed"))[-1]["channels"] == [
            "region:staff-room"
        ]
        # Ended without a word to anyone (as expiry does): the sweep would notice within
        # seconds; the subscribe asks at once.
        async with make.db.transaction() as s:
            await s.execute(text("DELETE FROM sessions WHERE user_id = :u"), {"u": user["id"]})
        pipe.request(op="subscribe", channels=[f"user:{user['id']}"], since="0-0")
        assert await asyncio.wait_for(pipe.closed, 10) == Close.SESSION_CHANGED
    assert app.state.realtime.hub.listeners("region:staff-room") == 0
    assert app.state.realtime.hub.listeners(f"user:{user['id']}") == 0
    leftover = []
    while not pipe.frames.empty():
        leftover.append(pipe.frames.get_nowait())
    assert "subscribed" not in [f["op"] for f in leftover]


async def test_a_request_while_the_database_is_away_closes_1013_and_nothing_stays_joined(
    settings,
):
    # The app reaches its database through a relay the test takes away, as when the
    # server goes down: open connections are cut and new ones refused.
    relay, through = to_database(settings.database_url)
    await relay.start()
    application = create_app(dataclasses.replace(settings, database_url=through))
    try:
        async with application.router.lifespan_context(application):
            hub = application.state.realtime.hub
            async with served(application) as pipe:
                pipe.request(op="subscribe", channels=["region:africa"])
                await pipe.until(lambda f: f["op"] == "subscribed")
                await relay.stop()
                pipe.request(op="subscribe", channels=["topic:public-procurement"], since="0-0")
                # Try again later (not a bare drop): the client backs off and resumes.
                assert await asyncio.wait_for(pipe.closed, 10) == Close.TRY_AGAIN
            assert hub.listeners("region:africa") == hub.listeners("topic:public-procurement") == 0
            # The database is back: the next socket is served as if nothing happened.
            await relay.start()
            async with served(application) as pipe:
                pipe.request(op="subscribe", channels=["topic:public-procurement"], since="0-0")
                pipe.request(op="ping")
                frames = await pipe.until(lambda f: f["op"] == "pong")
                assert [f["op"] for f in frames] == ["subscribed", "pong"]
    finally:
        await relay.stop()


class Lookups:
    """Session lookups as the sweep asks for them, answered from a dict."""

    def __init__(self, live: dict[bytes, Actor]) -> None:
        self.live = live
        self.asked: list[set[bytes]] = []

    async def __call__(self, keys: Collection[bytes]) -> Mapping[bytes, Actor]:
        self.asked.append(set(keys))
        return {k: self.live[k] for k in keys if k in self.live}


async def test_the_sweep_checks_every_socket_in_one_lookup_and_ends_only_changed_ones():
    alice, bob = Actor(1, None), Actor(2, None)
    lookups = Lookups({b"a": alice, b"b": bob})
    sweep = Sweep(lookups)
    assert await sweep.check() == 0 and lookups.asked == []  # nothing watched: no query
    ended: list[str] = []
    for n in range(50):
        sweep.watch(Identity(alice, b"a"), lambda n=n: ended.append(f"alice {n}"))
    sweep.watch(Identity(bob, b"b"), lambda: ended.append("bob"))
    sweep.watch(Identity(), lambda: ended.append("anonymous"))  # never checked
    stop = sweep.watch(Identity(bob, b"b"), lambda: ended.append("bob, closed"))
    stop()
    assert await sweep.check() == 0
    assert lookups.asked == [{b"a", b"b"}]
    lookups.live[b"b"] = Actor(2, None, suspended=True)
    del lookups.live[b"a"]
    assert await sweep.check() == 51
    assert sorted(ended) == sorted([f"alice {n}" for n in range(50)] + ["bob"])
    assert len(lookups.asked) == 2
    assert await sweep.check() == 0 and len(lookups.asked) == 2  # ended ones are forgotten


async def test_notices_sent_at_once_share_the_listeners_connection(app, database_url, caplog):
    """Presence notices go out on the listener's own connection, which also runs its
    liveness checks: several at once must queue, not break the connection."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    witness = await asyncpg.connect(driver_dsn(database_url))
    await witness.add_listener("forum_test", lambda *args: heard.put_nowait(args[-1]))
    listener = app.state.realtime.listener
    try:
        async with asyncio.timeout(10):
            for _ in range(1000):  # the listener connects as the app starts
                if listener.connected:
                    break
                await asyncio.sleep(0.01)
            await asyncio.gather(*(listener.notify("forum_test", str(n)) for n in range(50)))
            received = {await heard.get() for _ in range(50)}
    finally:
        await witness.close()
    assert received == {str(n) for n in range(50)}
    assert "lost its connection" not in caplog.text

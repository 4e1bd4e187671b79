"""Real clients of real servers (`tests.servers`): members over HTTP, websocket frames."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import websockets
from sqlalchemy import text
from websockets.asyncio.client import ClientConnection, connect

from forum.db import Database
from forum.events import START, Cursor
from tests.servers import Served, admit

PASSWORD = "long enough pw"
# httpx waits 5 s by default: on a loaded 2-core machine a password change (two argon2
# hashes beside four test suites) once took longer, and the test failed on the wait.
PATIENCE = httpx.Timeout(30)


class Member:
    def __init__(self, served: Served, cookie: str, csrf: str, user_id: int) -> None:
        self.served, self.cookie, self.csrf, self.user_id = served, cookie, csrf, user_id
        self.http = httpx.AsyncClient(
            base_url=served.url,
            headers={"X-CSRF-Token": csrf, "Cookie": cookie},
            timeout=PATIENCE,
        )

    async def thread(self, region: str = "africa") -> int:
        r = await self.http.post(
            "/api/v1/threads",
            json={"region": region, "topic": "public-procurement", "title": "Live", "body": "x"},
        )
        assert r.status_code == 201, r.text
        return r.json()["thread"]["id"]

    async def reply(self, thread_id: int, body: str) -> dict[str, Any]:
        r = await self.http.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body})
        assert r.status_code == 201, r.text
        return r.json()


_emails = iter(range(10**6))
_open: list[Member] = []


async def member(served: Served) -> Member:
    async with httpx.AsyncClient(base_url=served.url, timeout=PATIENCE) as c:
        n = next(_emails)
        r = await c.post(
            "/api/v1/auth/register",
            json={"email": f"live{n}@example.org", "display_name": f"Live {n}",
                  "password": PASSWORD},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        await admit(served, f"live{n}@example.org")
        cookie = f"forum_session={r.cookies['forum_session']}"
        found = Member(served, cookie, r.json()["csrf_token"], r.json()["user"]["id"])
    _open.append(found)
    return found


async def close_members() -> None:
    while _open:
        await _open.pop().http.aclose()


def ws_url(served: Served) -> str:
    return served.url.replace("http://", "ws://") + "/ws"


async def send(ws: ClientConnection, **message: Any) -> None:
    await ws.send(orjson.dumps(message).decode())


async def until(
    ws: ClientConnection, done: Callable[[dict], bool], within: float = 5
) -> list[dict]:
    """Frames received until one satisfies `done` (included)."""
    frames: list[dict] = []
    async with asyncio.timeout(within):
        while True:
            frame = orjson.loads(await ws.recv())
            frames.append(frame)
            if done(frame):
                return frames


_NEWEST_EVENT = text(
    "SELECT xid::text::bigint AS xid, id FROM events ORDER BY xid DESC, id DESC LIMIT 1"
)


async def replay(
    db: Database, served: Served, cookie: str | None, channels: list[str]
) -> list[dict]:
    """Every frame a fresh socket gets subscribing to `channels` from the log's start, up
    to the pong that follows the backlog.

    A backlog ends at the worker's head, the newest event its listener has read; later
    events come live, after the pong. So this subscribes again until that head covers
    every event committed when it was called (the caller's own, just made): the listener
    can be a moment behind, or held short by a transaction still running
    (`forum.events`). Without that, a check that something is absent from the replay
    could pass only because it had not been replayed yet."""
    async with db.transaction() as s:
        newest = (await s.execute(_NEWEST_EVENT)).first()
    made = Cursor(newest.xid, newest.id) if newest else START
    headers = {"Cookie": cookie} if cookie else {}
    for _ in range(100):
        async with connect(ws_url(served), additional_headers=headers) as ws:
            await send(ws, op="subscribe", channels=channels, since="0-0")
            await send(ws, op="ping")
            # A long backlog on a busy machine: more than the usual 5 s.
            frames = await until(ws, lambda f: f["op"] == "pong", within=30)
        joined = next(f for f in frames if f["op"] == "subscribed")
        if Cursor.parse(joined["head"]) >= made:
            return frames
        await asyncio.sleep(0.1)
    raise AssertionError(f"the worker's head stayed before {made}: {joined}")


async def until_closed(ws: ClientConnection, within: float = 10) -> tuple[list[dict], int | None]:
    """Every frame received until the server closes the socket, and its close code."""
    frames: list[dict] = []
    try:
        async with asyncio.timeout(within):
            while True:
                frames.append(orjson.loads(await ws.recv()))
    except websockets.ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd is not None else None


async def subscribe(ws: ClientConnection, *channels: str, since: str | None = None) -> dict:
    await send(ws, op="subscribe", channels=list(channels), **({"since": since} if since else {}))
    frames = await until(ws, lambda f: f["op"] == "subscribed")
    return frames[-1]


def events_of(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["op"] == "event"]


def post_ids(frames: list[dict]) -> list[int]:
    return [f["data"]["post"]["id"] for f in events_of(frames) if "post" in f["data"]]

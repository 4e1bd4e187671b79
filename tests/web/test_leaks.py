"""The leak matrix: a canary word in content that a change takes away from a reader, and
every channel that reader has.

Channels: the thread, region and front pages, the thread and thread-list API, revisions
(API and page), a post's address, the reply form quoting it, its edit and delete pages,
search hits and snippets, facets and totals, "did you mean", the search page, region and
topic counts, the websocket live and on resume, and the stores behind them (the event log,
search documents). Changes: the post deleted, edited, hidden by a moderator; its region
made members-only by an operator's SQL; its thread moved into a members-only region; the
reader logged out; the reader's session ended from another of their browsers; the reader
suspended.

Before the change every channel shows the canary to the reader (so each check can fail);
after it none does. A real `forum serve`, real HTTP and websocket clients; changes go
through the API, or through the core's actions (moderators') and SQL (operators') on the
same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert, text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from forum import catalog, moderation, sessions
from forum.catalog import CatalogCache
from forum.config import Settings
from forum.db import Database, driver_dsn
from forum.models import Country, Region, Role, Topic, User
from forum.permissions import Actor
from search.service import Search
from tests.factories import MAILER
from tests.realtime import clients
from tests.servers import Served, forum_env

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "s" * 40
_numbers = itertools.count(1)


@dataclass
class World:
    served: Served
    db: Database
    policy: sessions.Policy
    search: Search
    sync_thread: int = 0  # a public thread whose replies mark "everything before has arrived"
    author: Reader | None = None
    clients: list[httpx.AsyncClient] = field(default_factory=list)  # closed at the end


@pytest.fixture(scope="module")
async def world(module_database_url: str, tmp_path_factory) -> AsyncIterator[World]:
    env = forum_env(
        FORUM_DATABASE_URL=driver_dsn(module_database_url),
        FORUM_SECRET_KEY=SECRET,
        # This module makes many members and posts from one address.
        FORUM_LIMIT_REGISTER="100000/1m",
        FORUM_LIMIT_POST="100000/1m",
        FORUM_LIMIT_EDIT="100000/1m",
    )
    served = Served(env)
    db = Database(module_database_url, pool_size=4)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("leaks"),
        secret_key=SECRET,
        database_url=module_database_url,
    )
    policy = sessions.Policy(SECRET.encode(), timedelta(days=1), timedelta(days=2))
    world = World(served, db, policy, Search(db, settings, CatalogCache(db)))
    try:
        world.author = await reader(world)
        world.sync_thread = await world.author.thread("africa", "public-procurement", "Sync", "x")
        yield world
    finally:
        for client in world.clients:
            await client.aclose()
        await world.search.stop()
        await db.dispose()
        served.stop()


class Reader:
    """Someone reading the forum: anonymous, or a member with a live session."""

    def __init__(self, world: World, token: str | None, csrf: str = "", user_id: int = 0):
        self.world = world
        self.user_id = user_id
        self.cookie = f"forum_session={token}" if token else ""
        headers = {"X-CSRF-Token": csrf, "Cookie": self.cookie} if token else {}
        self.http = httpx.AsyncClient(base_url=world.served.url, headers=headers, timeout=30)
        world.clients.append(self.http)

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, Role.MEMBER)

    def ws(self) -> Any:
        url = self.world.served.url.replace("http://", "ws://") + "/ws"
        headers = {"Cookie": self.cookie} if self.cookie else None
        return connect(url, additional_headers=headers)

    async def thread(
        self, region: str, topic: str, title: str, body: str, country: str | None = None
    ) -> int:
        wanted = {"region": region, "topic": topic, "title": title, "body": body}
        r = await self.http.post("/api/v1/threads", json={**wanted, "countries": [country]}
                                 if country else wanted)  # fmt: skip
        assert r.status_code == 201, r.text
        return r.json()["thread"]["id"]

    async def reply(self, thread_id: int, body: str) -> int:
        r = await self.http.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body})
        assert r.status_code == 201, r.text
        return r.json()["id"]


async def reader(world: World, role: Role = Role.MEMBER) -> Reader:
    n = next(_numbers)
    async with world.db.transaction() as s:
        user_id = await s.scalar(
            insert(User)
            .values(
                email=f"leak{n}@example.org",
                display_name=f"Leak reader {n}",
                password_hash="unused: sessions are opened directly",
                role=role.value,
            )
            .returning(User.id)
        )
        assert user_id is not None
        login = await sessions.open(s, world.policy, user_id)
    return Reader(world, login.token, login.csrf_token, user_id)


def anonymous(world: World) -> Reader:
    return Reader(world, None)


def word() -> str:
    """A canary: a made-up word of letters (the vocabulary skips words with digits) whose
    last two letters differ, so that swapping them misspells it."""
    first, second = random.sample("bcdfghjklmnprstvz", 2)
    return "zorv" + "".join(random.choices("bcdfghjklmnprstvz", k=5)) + first + second


def misspelt(canary: str) -> str:
    return canary[:-2] + canary[-1] + canary[-2]  # the last two letters swapped


# The websocket


async def frames_until(ws: ClientConnection, done: Callable[[dict], bool], within: float = 10):
    frames: list[dict] = []
    async with asyncio.timeout(within):
        while True:
            frame = orjson.loads(await ws.recv())
            frames.append(frame)
            if done(frame):
                return frames


async def subscribe(ws: ClientConnection, channels: list[str], since: str | None = None) -> None:
    message: dict[str, Any] = {"op": "subscribe", "channels": channels}
    if since:
        message["since"] = since
    await ws.send(orjson.dumps(message).decode())
    await frames_until(ws, lambda f: f["op"] == "subscribed")


async def replay(who: Reader, channels: list[str]) -> str:
    """Everything a fresh socket gets resuming from the start of the log, as text."""
    frames = await clients.replay(who.world.db, who.world.served, who.cookie, channels)
    return orjson.dumps(frames).decode()


@dataclass
class Live:
    """A socket subscribed before the change, and what it received after it."""

    ws: ClientConnection
    after_change: list[dict] = field(default_factory=list)
    closed_with: int | None = None

    async def drain(self, until: Callable[[dict], bool], within: float = 15) -> None:
        """Keep what arrives until a frame satisfies `until`, or the server closes."""
        try:
            async with asyncio.timeout(within):
                while True:
                    frame = orjson.loads(await self.ws.recv())
                    self.after_change.append(frame)
                    if until(frame):
                        return
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "the connection broke without a close frame"
            self.closed_with = closed.rcvd.code


# One case of the matrix


@dataclass
class Case:
    world: World
    change: str
    canary: str
    region: str
    topic: str
    country: str
    thread_id: int = 0
    canary_posts: list[int] = field(default_factory=list)

    @property
    def channels(self) -> list[str]:
        return [f"thread:{self.thread_id}", f"region:{self.region}", f"topic:{self.topic}"]


async def new_place(world: World, visibility: str = "public") -> tuple[str, str, str]:
    """A region, a topic and a country (in the region) of the case's own, so counts,
    facets and the country's page are the case's. Its code is one ISO 3166 leaves to
    users (Q and X followed by a letter), so no real country's."""
    n = next(_numbers)
    region, topic = f"leak-region-{n}", f"leak-topic-{n}"
    country = "QX"[n // 26 % 2] + chr(ord("A") + n % 26)
    async with world.db.transaction() as s:
        made = await s.execute(
            insert(Region)
            .values(slug=region, name=f"Leak region {n}", visibility=visibility)
            .returning(Region.id)
        )
        await s.execute(insert(Topic).values(slug=topic, name=f"Leak topic {n}"))
        await s.execute(
            insert(Country).values(code=country, name=f"Leak country {n}", region_id=made.scalar())
        )
    await wait_for(lambda: regions_known(world, region))
    return region, topic, country


async def regions_known(world: World, region: str) -> bool:
    """Whether the served app's catalog has taken in a new region (its listener heard)."""
    assert world.author is not None
    found = (await world.author.http.get("/api/v1/regions")).json()["regions"]
    return any(r["slug"] == region for r in found)


async def wait_for(condition: Callable[[], Awaitable[bool]], within: float = 10) -> None:
    """Poll another process's state (there is no event to wait on)."""
    for _ in range(int(within / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not so within {within} s")


async def everything(who: Reader, case: Case) -> dict[str, str]:
    """What `who` receives now through every request channel, by channel name."""
    get = who.http.get
    seen: dict[str, str] = {}
    seen["thread page"] = (await get(f"/threads/{case.thread_id}")).text
    seen["region page"] = (await get(f"/regions/{case.region}")).text
    seen["front page"] = (await get("/")).text
    seen["country page"] = (await get(f"/countries/{case.country}")).text
    seen["thread API"] = (await get(f"/api/v1/threads/{case.thread_id}")).text
    seen["region threads API"] = (await get("/api/v1/threads", params={"region": case.region})).text
    seen["topic threads API"] = (await get("/api/v1/threads", params={"topic": case.topic})).text
    seen["threads API"] = (await get("/api/v1/threads")).text
    seen["revisions API"] = " ".join(
        [(await get(f"/api/v1/posts/{p}/revisions")).text for p in case.canary_posts]
    )
    # The writing pages: a post's address (followed to its page), the reply form quoting
    # it, and the pages only its author (or a moderator) may open.
    for name, path in (
        ("post addresses", "/posts/{}"),
        ("quote forms", f"/threads/{case.thread_id}/reply?quote={{}}"),
        ("revisions pages", "/posts/{}/revisions"),
        ("edit pages", "/posts/{}/edit"),
        ("delete pages", "/posts/{}/delete"),
    ):
        seen[name] = " ".join(
            [(await followed(who, path.format(p))).text for p in case.canary_posts]
        )
    seen["search hits"] = (await get("/api/v1/search", params={"q": case.canary})).text
    seen["search of the place"] = (
        await get("/api/v1/search", params={"q": "testimony", "topic": case.topic})
    ).text
    seen["did you mean"] = (await get("/api/v1/search", params={"q": misspelt(case.canary)})).text
    # (The page shows what was typed: it is asked for words around the canary instead.)
    seen["search page"] = (await get("/search", params={"q": "bribe", "topic": case.topic})).text
    seen["search page's did you mean"] = (
        await get("/search", params={"q": misspelt(case.canary)})
    ).text
    seen["regions API"] = (await get("/api/v1/regions")).text
    seen["topics API"] = (await get("/api/v1/topics")).text
    seen["websocket replay"] = await replay(who, case.channels)
    return seen


async def followed(who: Reader, path: str) -> httpx.Response:
    """GET, following a redirect within the forum with the reader's cookie (httpx drops
    a Cookie header set by hand when it follows one itself)."""
    r = await who.http.get(path)
    if r.status_code in (302, 303) and r.headers["location"].startswith("/"):
        r = await who.http.get(r.headers["location"])
    return r


async def topic_count(who: Reader, topic: str) -> int:
    topics = (await who.http.get("/api/v1/topics")).json()["topics"]
    return next(t["thread_count"] for t in topics if t["slug"] == topic)


async def stores(world: World, canary: str) -> dict[str, int]:
    """Rows of the stores behind the channels that still hold the canary."""
    async with world.db.transaction() as s:
        return {
            "event log": await s.scalar(
                text("SELECT count(*) FROM events WHERE payload::text ILIKE :w"),
                {"w": f"%{canary}%"},
            ),
            "search documents": await s.scalar(
                text("SELECT count(*) FROM search_documents WHERE tsv @@ to_tsquery('simple', :w)"),
                {"w": canary},
            ),
        }


# The changes


async def delete(case: Case, who: Reader) -> None:
    for post_id in case.canary_posts:
        assert (await case.world.author.http.delete(f"/api/v1/posts/{post_id}")).status_code == 200


async def edit(case: Case, who: Reader) -> None:
    for post_id in case.canary_posts:
        r = await case.world.author.http.patch(
            f"/api/v1/posts/{post_id}", json={"body": "Rewritten: the testimony stands."}
        )
        assert r.status_code == 200, r.text


async def hide(case: Case, who: Reader) -> None:
    moderator = Actor(0, Role.ADMIN)  # a case's region is new: an admin acts there
    async with case.world.db.transaction() as s:
        known = await catalog.load(s)
        for post_id in case.canary_posts:
            await moderation.set_post_hidden(s, moderator, known, post_id, hidden=True)


async def close_region(case: Case, who: Reader) -> None:
    async with case.world.db.transaction() as s:  # as an operator would, in psql
        await s.execute(text("UPDATE regions SET visibility = 'members' WHERE slug = :r"),
                        {"r": case.region})  # fmt: skip
    await wait_for(lambda: gone_for_visitors(case.world, case.region))


async def gone_for_visitors(world: World, region: str) -> bool:
    """Whether the served app's catalog has taken in that the region is closed now."""
    async with anonymous(world).http as http:
        found = (await http.get("/api/v1/regions")).json()["regions"]
    return all(r["slug"] != region for r in found)


async def move(case: Case, who: Reader) -> None:
    moderator = Actor(0, Role.ADMIN)
    async with case.world.db.transaction() as s:
        await moderation.move_thread(
            s, moderator, await catalog.load(s), case.thread_id,
            region="staff-room", topic=case.topic,
        )  # fmt: skip


async def log_out(case: Case, who: Reader) -> None:
    assert (await who.http.post("/api/v1/auth/logout")).status_code == 200


async def ended_elsewhere(case: Case, who: Reader) -> None:
    """The member ends this session from another browser of theirs (the sessions page's
    "end all other sessions")."""
    async with case.world.db.transaction() as s:
        login = await sessions.open(s, case.world.policy, who.user_id)
    elsewhere = Reader(case.world, login.token, login.csrf_token, who.user_id)
    r = await elsewhere.http.post("/api/v1/auth/sessions/end-others")
    assert r.status_code == 200 and r.json() == {"ended": 1}, r.text


async def suspend(case: Case, who: Reader) -> None:
    async with case.world.db.transaction() as s:
        await moderation.set_suspended(
            s, Actor(0, Role.MODERATOR), MAILER, who.user_id, suspended=True, reason="Spam"
        )


@dataclass(frozen=True)
class Change:
    name: str
    apply: Callable[[Case, Reader], Awaitable[None]]
    # The canary is in the thread's title and every post (the change takes the whole
    # thread away), or only in replies (the change takes those replies away).
    whole_thread: bool
    reader: str  # "member" or "anonymous" (who may see the canary before the change)
    region_visibility: str = "public"

    @property
    def ends_session(self) -> bool:
        return self.apply in (log_out, ended_elsewhere, suspend)


CHANGES = [
    Change("post deleted", delete, whole_thread=False, reader="member"),
    Change("post edited", edit, whole_thread=False, reader="member"),
    Change("post hidden", hide, whole_thread=False, reader="member"),
    Change("region made members-only", close_region, whole_thread=True, reader="anonymous"),
    Change("thread moved to a members-only region", move, whole_thread=True, reader="anonymous"),
    Change("reader logged out", log_out, whole_thread=True, reader="member",
           region_visibility="members"),
    Change("reader's session ended from another browser", ended_elsewhere, whole_thread=True,
           reader="member", region_visibility="members"),
    Change("reader suspended", suspend, whole_thread=True, reader="member",
           region_visibility="members"),
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=[c.name for c in CHANGES])
async def test_nothing_reaches_a_reader_who_may_no_longer_see_it(world: World, change: Change):
    canary = word()
    region, topic, country = await new_place(world, change.region_visibility)
    case = Case(world, change.name, canary, region, topic, country)
    who = await reader(world) if change.reader == "member" else anonymous(world)
    author = world.author
    assert author is not None
    title = f"Testimony about {canary}" if change.whole_thread else "Testimony about a tender"
    opening = f"The testimony names {canary}." if change.whole_thread else "The testimony."

    async with who.ws() as socket:
        live = Live(socket)
        case.thread_id = await author.thread(region, topic, title, opening, country)
        await subscribe(socket, [*case.channels, f"thread:{world.sync_thread}"])
        # Three posts: "did you mean" proposes only words at least three posts hold.
        for n in range(3):
            case.canary_posts.append(
                await author.reply(case.thread_id, f"Witness {n} saw {canary} take the bribe.")
            )
        await world.search.keep_up()  # the vocabulary takes in the new posts

        # Before the change: the reader sees the canary everywhere (the checks can fail).
        received = await frames_until(
            socket, lambda f: f.get("data", {}).get("post", {}).get("id") == case.canary_posts[-1]
        )
        assert canary in orjson.dumps(received).decode()
        before = await everything(who, case)
        for channel in ("thread page", "thread API", "search hits", "search page",
                        "websocket replay"):  # fmt: skip
            assert canary in before[channel], channel
        if change.whole_thread:
            assert canary in before["country page"]
        assert misspelt(canary) not in before["did you mean"]
        assert f'"suggestion":"{canary}"' in before["did you mean"]
        if change.reader == "member":  # quoting is for members
            assert canary in before["quote forms"] and canary in before["post addresses"]
        if change.whole_thread:
            assert canary in before["front page"] and canary in before["threads API"]
            assert await topic_count(who, topic) == 1

        await change.apply(case, who)
        if change.ends_session:  # the socket must not outlive the session it ran as
            with contextlib.suppress(TimeoutError):
                await live.drain(lambda frame: False, within=15)
            assert live.closed_with is not None, "the socket outlived the reader's session"
        if change.whole_thread:  # new words the reader may not see either
            case.canary_posts.append(await author.reply(case.thread_id, f"Later: {canary} again."))
        await world.search.keep_up()
        if not change.ends_session:
            marker = word()
            await author.reply(world.sync_thread, f"marker {marker}")
            await live.drain(lambda frame: marker in orjson.dumps(frame).decode())

    after = await everything(who, case)
    leaks = [channel for channel, seen in after.items() if canary in seen]
    assert leaks == [], f"{change.name}: the canary reached the reader through {leaks}"
    assert canary not in orjson.dumps(live.after_change).decode(), "websocket live"
    held = await stores(world, canary)
    assert held["event log"] == 0
    if not change.whole_thread:  # the thread stays; the posts' words left search for good
        assert held["search documents"] == 0
    if change.whole_thread:
        assert await topic_count(who, topic) == 0
        found = await who.http.get("/api/v1/search", params={"q": "testimony", "topic": topic})
        assert (found.json()["total"], found.json()["facets"]["region"]) == (0, {})


# A member leaving (`forum.leaving`): with their posts, every word of theirs is gone;
# keeping them, their name is.

LEAVING_PASSWORD = "a leaving member's passphrase"


async def leaving_member(world: World, display_name: str) -> Reader:
    from argon2 import PasswordHasher

    n = next(_numbers)
    async with world.db.transaction() as s:
        user_id = await s.scalar(
            insert(User)
            .values(
                email=f"leaving{n}@example.org",
                display_name=display_name,
                password_hash=PasswordHasher().hash(LEAVING_PASSWORD),
            )
            .returning(User.id)
        )
        assert user_id is not None
        login = await sessions.open(s, world.policy, user_id)
    return Reader(world, login.token, login.csrf_token, user_id)


@pytest.mark.parametrize("keep_posts", [False, True], ids=["posts deleted", "posts kept"])
async def test_nothing_of_a_member_who_left_reaches_anyone(world: World, keep_posts: bool):
    canary = word()
    # Deleting posts: the canary is in every post of theirs. Keeping them: it is their name.
    name = f"Leaving {canary}" if keep_posts else f"Leaving {word()}"
    said = "the bribe" if keep_posts else canary
    region, topic, country = await new_place(world)
    case = Case(world, "member left", canary, region, topic, country)
    leaving = await leaving_member(world, name)
    who = await reader(world)
    other = world.author
    assert other is not None

    async with who.ws() as socket:
        live = Live(socket)
        case.thread_id = await leaving.thread(
            region, topic, "Testimony about a tender", f"The testimony names {said}.", country
        )
        await subscribe(socket, [*case.channels, f"thread:{world.sync_thread}"])
        for n in range(3):
            case.canary_posts.append(
                await leaving.reply(case.thread_id, f"Witness {n} saw {said} take the bribe.")
            )
        answer = await other.reply(case.thread_id, "An answer that stays.")
        await world.search.keep_up()
        await frames_until(socket, lambda f: f.get("data", {}).get("post", {}).get("id") == answer)
        before = await everything(who, case)
        search = "search of the place" if keep_posts else "search hits"  # author names
        for channel in ("thread page", "thread API", search, "websocket replay"):
            assert canary in before[channel], channel
        if not keep_posts:
            assert f'"suggestion":"{canary}"' in before["did you mean"]

        r = await leaving.http.request(
            "DELETE", "/api/v1/auth/me",
            json={"password": LEAVING_PASSWORD, "keep_posts": keep_posts},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        await world.search.keep_up()
        marker = word()
        await other.reply(world.sync_thread, f"marker {marker}")
        await live.drain(lambda frame: marker in orjson.dumps(frame).decode())

    after = await everything(who, case)
    after["anonymous thread page"] = (await anonymous(world).http.get(
        f"/threads/{case.thread_id}")).text  # fmt: skip
    leaks = [channel for channel, seen in after.items() if canary in seen]
    assert leaks == [], f"the canary reached a reader through {leaks}"
    assert canary not in orjson.dumps(live.after_change).decode(), "websocket live"
    assert "An answer that stays." in after["thread page"]
    held = await stores(world, canary)
    assert held == {"event log": 0, "search documents": 0}
    if keep_posts:  # the posts stay, under no name
        assert "testimony" in after["search of the place"]
        assert "A former member" in after["thread page"]


# Registering makes an applicant (`forum.applications`): nothing members-only reaches
# them on any channel until an approver admits them; then everything does.


async def test_an_applicant_reads_members_only_content_only_once_approved(world: World):
    canary = word()
    region, topic, country = await new_place(world, "members")
    case = Case(world, "applicant", canary, region, topic, country)
    author, admin = world.author, await reader(world, Role.ADMIN)
    assert author is not None
    who = await reader(world, Role.APPLICANT)
    async with who.ws() as socket:
        live = Live(socket)
        case.thread_id = await author.thread(
            region, topic, f"Testimony about {canary}", f"The testimony names {canary}.", country
        )
        await subscribe(socket, [*case.channels, f"thread:{world.sync_thread}"])
        for n in range(3):
            case.canary_posts.append(
                await author.reply(case.thread_id, f"Witness {n} saw {canary} take the bribe.")
            )
        await world.search.keep_up()
        marker = word()
        await author.reply(world.sync_thread, f"marker {marker}")
        await live.drain(lambda frame: marker in orjson.dumps(frame).decode())
    assert canary not in orjson.dumps(live.after_change).decode(), "websocket live"
    before = await everything(who, case)
    leaks = [channel for channel, seen in before.items() if canary in seen]
    assert leaks == [], f"the canary reached an applicant through {leaks}"
    refused = await who.http.post(f"/api/v1/threads/{case.thread_id}/posts", json={"body": "x"})
    assert refused.status_code in (403, 404)
    refused = await who.http.post(
        "/api/v1/threads", json={"region": "africa", "topic": "public-procurement",
                                 "title": "An applicant's thread", "body": "Not yet."},
    )  # fmt: skip
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_approved")

    async with world.db.transaction() as s:
        await s.execute(text("UPDATE users SET email_verified_at = now() WHERE id = :u"),
                        {"u": who.user_id})  # fmt: skip
    applied = await who.http.put("/api/v1/auth/me/application", json={
        "country": "SN", "organisation_name": "Leak watchers", "motivation": "I monitor tenders.",
    })  # fmt: skip
    assert applied.status_code == 200, applied.text
    r = await admin.http.post(f"/api/v1/applications/{applied.json()['id']}/approve")
    assert r.status_code == 200, r.text
    after = await everything(who, case)
    for channel in ("thread page", "thread API", "search hits", "websocket replay"):
        assert canary in after[channel], channel

"""Trust canaries for experiences: an experience whose organisation works in a
members-only region, and a phrase edited away, reach no visitor (nor, for the phrase,
any reader but the organisation's members and moderators) on any channel: pages, API,
the websocket on resume. Each check is first shown able to fail.

A real `forum serve`, real HTTP and websocket clients, changes through the API.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from forum import sessions
from forum.db import Database, driver_dsn
from forum.models import Country, Role
from tests.servers import Served, forum_env
from tests.web.test_leaks import (
    World,
    anonymous,
    gone_for_visitors,
    new_place,
    reader,
    replay,
    wait_for,
    word,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "e" * 40
API = "/api/v1/experiences"
_codes = itertools.count(0)


@pytest.fixture(scope="module")
async def world(module_database_url: str) -> AsyncIterator[World]:
    served = Served(forum_env(FORUM_DATABASE_URL=driver_dsn(module_database_url),
                              FORUM_SECRET_KEY=SECRET))  # fmt: skip
    db = Database(module_database_url, pool_size=2)
    policy = sessions.Policy(SECRET.encode(), timedelta(days=1), timedelta(days=2))
    world = World(served, db, policy, None)  # type: ignore[arg-type]  # no search here
    try:
        world.author = await reader(world)
        yield world
    finally:
        for client in world.clients:
            await client.aclose()
        await db.dispose()
        served.stop()


async def _organisation(world: World, region: str | None = None) -> tuple[str, str]:
    """An organisation (in a country of `region`, or Senegal) with a writer; answers its
    slug and the region's channel."""
    n = next(_codes)
    country, channel = "SN", "region:africa"
    if region is not None:
        country = f"Q{chr(ord('A') + n)}"
        async with world.db.transaction() as s:
            region_id = await s.scalar(text("SELECT id FROM regions WHERE slug = :r"),
                                       {"r": region})  # fmt: skip
            await s.execute(insert(Country).values(code=country, name=f"Q {n}",
                                                   region_id=region_id))  # fmt: skip
        channel = f"region:{region}"

        async def known() -> bool:
            assert world.author is not None
            found = (await world.author.http.get("/api/v1/countries")).json()["countries"]
            return any(c["code"] == country for c in found)

        await wait_for(known)
    admin = await reader(world, Role.ADMIN)
    slug = f"canary-org-{n}"
    r = await admin.http.post("/api/v1/organisations", json={
        "slug": slug, "name": f"Canary Org {n}", "country": country, "kind": "ngo"})  # fmt: skip
    assert r.status_code == 201, r.text
    return slug, channel


async def _channels(who, experience_id: int, slug: str, channel: str) -> dict[str, str]:
    get = who.http.get
    return {
        "list page": (await get("/experiences")).text,
        "experience page": (await get(f"/experiences/{experience_id}")).text,
        "revisions page": (await get(f"/experiences/{experience_id}/revisions")).text,
        "profile page": (await get(f"/organisations/{slug}")).text,
        "list API": (await get(API)).text,
        "experience API": (await get(f"{API}/{experience_id}")).text,
        "revisions API": (await get(f"{API}/{experience_id}/revisions")).text,
        "websocket replay": await replay(who, [channel]),
    }


def _holding(seen: dict[str, str], canary: str) -> set[str]:
    return {name for name, body in seen.items() if canary in body}


def _replayed(seen: dict[str, str], experience_id: int) -> bool:
    return f'"experience_id":{experience_id}' in seen["websocket replay"]


async def test_an_experience_in_a_region_closed_to_visitors_reaches_no_visitor(world):
    region, _, _ = await new_place(world)
    slug, channel = await _organisation(world, region)
    writer, member = await reader(world), await reader(world)
    admin = await reader(world, Role.ADMIN)
    r = await admin.http.post(f"/api/v1/organisations/{slug}/affiliations",
                              json={"user_id": writer.user_id})  # fmt: skip
    assert r.status_code == 200
    canary = word()
    r = await writer.http.post(API, json={"organisation": slug, "title": f"Story {canary}",
                                          "context": f"About {canary}."})  # fmt: skip
    assert r.status_code == 201, r.text
    story = r.json()["id"]
    visitor = anonymous(world)
    # Public for now: the visitor sees it everywhere a reader would (the checks can fail).
    before = await _channels(visitor, story, slug, channel)
    assert _holding(before, canary) == {"list page", "experience page", "profile page",
                                        "list API", "experience API"}  # fmt: skip
    assert _replayed(before, story)

    async with world.db.transaction() as s:  # as an operator would, in psql
        await s.execute(text("UPDATE regions SET visibility = 'members' WHERE slug = :r"),
                        {"r": region})  # fmt: skip
    await wait_for(lambda: gone_for_visitors(world, region))
    after = await _channels(anonymous(world), story, slug, channel)
    assert _holding(after, canary) == set()
    assert not _replayed(after, story)
    assert (await visitor.http.get(f"{API}/{story}")).status_code == 404
    # Members still read it, on every channel a member reads.
    seen = await _channels(member, story, slug, channel)
    assert {"list page", "experience page", "list API", "experience API"} <= _holding(seen, canary)
    assert _replayed(seen, story)


async def test_a_phrase_edited_away_reaches_only_the_organisations_members(world):
    slug, channel = await _organisation(world)
    writer, outsider = await reader(world), await reader(world)
    admin = await reader(world, Role.ADMIN)
    r = await admin.http.post(f"/api/v1/organisations/{slug}/affiliations",
                              json={"user_id": writer.user_id})  # fmt: skip
    assert r.status_code == 200
    canary = word()
    body = {"organisation": slug, "title": "A quiet story",
            "outcome": f"The official {canary} took money."}  # fmt: skip
    r = await writer.http.post(API, json=body)
    assert r.status_code == 201, r.text
    story = r.json()["id"]
    assert canary in (await anonymous(world).http.get(f"/experiences/{story}")).text
    r = await writer.http.patch(f"{API}/{story}", json={"outcome": "An official took money."})
    assert r.status_code == 200 and canary not in r.text
    for who in (anonymous(world), outsider):
        assert _holding(await _channels(who, story, slug, channel), canary) == set()
    # The organisation's own members keep the earlier version (so the check can fail).
    assert _holding(await _channels(writer, story, slug, channel), canary) == {
        "revisions API",
        "revisions page",
    }
    # Nothing written for readers holds it: events carry the id only.
    async with world.db.transaction() as s:
        held = await s.scalar(text("SELECT count(*) FROM events WHERE payload::text ILIKE :c"),
                              {"c": f"%{canary}%"})  # fmt: skip
    assert held == 0

"""Trust canaries for organisations: a private phone number and a members-only email
reach nobody else, on any channel (pages, API, the websocket live and on resume, the
event log, search), and a member who leaves stops seeing the private phone at once.

A real `forum serve`, real HTTP and websocket clients, changes through the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from forum import sessions
from forum.db import Database, driver_dsn
from forum.models import Role
from tests.servers import Served, forum_env
from tests.web.test_leaks import World, anonymous, frames_until, reader, replay, subscribe

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "o" * 40
PHONE = "+221 77 913 2846"
PHONE_DIGITS = "913 2846"
EMAIL = "zorvkqt-desk@forum-civil.example.org"
ORG = "/api/v1/organisations/forum-civil"


@pytest.fixture(scope="module")
async def world(module_database_url: str) -> AsyncIterator[World]:
    served = Served(forum_env(FORUM_DATABASE_URL=driver_dsn(module_database_url),
                              FORUM_SECRET_KEY=SECRET))  # fmt: skip
    db = Database(module_database_url, pool_size=2)
    policy = sessions.Policy(SECRET.encode(), timedelta(days=1), timedelta(days=2))
    world = World(served, db, policy, None)  # type: ignore[arg-type]  # no search here
    try:
        yield world
    finally:
        for client in world.clients:
            await client.aclose()
        await db.dispose()
        served.stop()


def _leaks(seen: dict[str, str]) -> list[str]:
    return [name for name, body in seen.items() if PHONE_DIGITS in body or EMAIL in body]


async def _channels(who) -> dict[str, str]:
    get = who.http.get
    own = [f"user:{who.user_id}"] if who.user_id else []
    return {
        "profile page": (await get("/organisations/forum-civil")).text,
        "edit page": (await get("/organisations/forum-civil/edit")).text,
        "directory page": (await get("/organisations")).text,
        "directory API": (await get("/api/v1/organisations")).text,
        "profile API": (await get(ORG)).text,
        "search API": (await get("/api/v1/search", params={"q": "zorvkqt"})).text,
        "search page": (await get("/search", params={"q": "913"})).text,
        "websocket replay": await replay(who, ["region:africa", *own]),
    }


async def test_a_private_phone_and_a_members_only_email_reach_nobody_else(world):
    admin = await reader(world, Role.ADMIN)
    rep, staff, outsider = await reader(world), await reader(world), await reader(world)
    visitor = anonymous(world)
    r = await admin.http.post("/api/v1/organisations", json={
        "slug": "forum-civil", "name": "Forum Civil", "country": "SN", "kind": "ngo",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    for who, role in ((rep, "representative"), (staff, "member")):
        r = await admin.http.post(f"{ORG}/affiliations",
                                  json={"user_id": who.user_id, "role": role})  # fmt: skip
        assert r.status_code == 200, r.text

    # Subscribed before the contact fields are written: what arrives live is checked too.
    live = {}
    for name, who in (("visitor", visitor), ("outsider", outsider)):
        ws = await who.ws().__aenter__()
        await subscribe(ws, ["region:africa"])
        live[name] = ws
    r = await rep.http.patch(ORG, json={"phone": PHONE, "phone_visibility": "private",
                                        "email": EMAIL, "email_visibility": "members"})  # fmt: skip
    assert r.status_code == 200 and r.json()["phone"] == PHONE
    for name, ws in live.items():
        frames = await frames_until(ws, lambda f: f.get("type") == "organisation.updated")
        assert PHONE_DIGITS not in str(frames) and EMAIL not in str(frames), name
        await ws.close()

    visitor_seen = await _channels(visitor)
    outsider_seen = await _channels(outsider)
    staff_seen = await _channels(staff)
    admin_seen = await _channels(admin)
    assert _leaks(visitor_seen) == []
    # A member sees the members-only email (profile page and API), never the phone.
    assert all(PHONE_DIGITS not in body for body in outsider_seen.values())
    assert {n for n, b in outsider_seen.items() if EMAIL in b} == {"profile page", "profile API"}
    # The organisation's own members and admins see both (each check above can fail).
    for seen in (staff_seen, admin_seen):
        assert PHONE_DIGITS in seen["profile page"] and PHONE_DIGITS in seen["profile API"]
    assert PHONE_DIGITS in admin_seen["edit page"]
    # Nothing written for readers holds them: events carry the slug only.
    async with world.db.transaction() as s:
        held = await s.scalar(
            text("SELECT count(*) FROM events WHERE payload::text ILIKE :p OR payload::text "
                 "ILIKE :e"), {"p": f"%{PHONE_DIGITS}%", "e": f"%{EMAIL}%"},
        )  # fmt: skip
    assert held == 0

    # The member leaves: the private phone is gone from what they get, at once.
    r = await staff.http.delete(f"{ORG}/affiliations/{staff.user_id}")
    assert r.status_code == 200
    after = await _channels(staff)
    assert all(PHONE_DIGITS not in body for body in after.values())
    # The email turned private: members who are not of the organisation lose it too.
    r = await rep.http.patch(ORG, json={"email_visibility": "private"})
    assert r.status_code == 200
    assert _leaks(await _channels(outsider)) == []


async def test_an_affiliation_hidden_since_is_not_replayed_to_others(world):
    admin = await reader(world, Role.ADMIN)
    member, visitor = await reader(world), anonymous(world)
    r = await admin.http.post("/api/v1/organisations", json={
        "slug": "quiet-org", "name": "Quiet Org", "country": "KE", "kind": "media",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    api = "/api/v1/organisations/quiet-org/affiliations"
    assert (await member.http.post(api, json={"shown": True})).status_code == 200

    def about_member(frames: str) -> bool:
        return f'"user_id":{member.user_id}' in frames

    # Shown: anyone resuming on the region hears of it (so the check below can fail).
    assert about_member(await replay(visitor, ["region:africa"]))
    assert (await member.http.patch(api + "/me", json={"shown": False})).status_code == 200
    assert not about_member(await replay(visitor, ["region:africa"]))
    assert not about_member(await replay(admin, ["region:africa"]))
    # The member still hears of their own affiliation, as it is now.
    own = await replay(member, [f"user:{member.user_id}"])
    assert about_member(own) and '"shown":true' not in own

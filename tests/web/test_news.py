"""News: editors publish, members propose; a proposal's canary reaches only its proposer,
editors, admins and its region's moderators (item, lists, status filter) until approved;
declining deletes it; refusals and bad input change nothing; `news.published` goes to the
region's channel with ids only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from forum import sessions
from forum.db import Database, driver_dsn
from forum.models import Event, NewsItem, Role
from tests.pages import field_errors, submit
from tests.servers import Served, forum_env
from tests.web.test_leaks import World, anonymous, frames_until, replay, subscribe
from tests.web.test_leaks import reader as leak_reader
from web import schemas

API = "/api/v1/news"
SECRET = "n" * 40
CANARY = "zebracanary"
ITEM = {
    "title": "CSOs join Senegal's review",
    "summary": "Civil society took part in the country visit.",
    "source_name": "Le Quotidien",
    "source_url": "https://example.org/article",
    "published_on": "2018-05-20",
    "region": "africa",
    "countries": ["SN"],
    "topics": ["public-procurement"],
    "language": "en",
}


async def _moderator(make, db, slug: str):
    user = await make.user(Role.MODERATOR)
    async with db.transaction() as s:
        await s.execute(
            text("INSERT INTO moderated_regions SELECT :u, id FROM regions WHERE slug = :r"),
            {"u": user["id"], "r": slug},
        )
    return await make.logged_in(user)


async def _count(db) -> int:
    async with db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(NewsItem))


async def test_an_editor_publishes_at_once(make, client, db):
    editor = await make.logged_in(await make.user(Role.EDITOR))
    r = await editor.post(API, json=ITEM)
    assert r.status_code == 201, r.text
    made = schemas.NewsOut.model_validate(r.json())
    assert made.status == "published" and made.may_edit and not made.may_decide
    assert (await client.get(f"{API}/{made.id}")).json()["title"] == ITEM["title"]
    listed = (await client.get(API, params={"region": "africa"})).json()
    schemas.NewsList.model_validate(listed)
    assert [n["id"] for n in listed["news"]] == [made.id]
    assert (await client.get(API, params={"country": "KE"})).json()["news"] == []
    r = await editor.patch(f"{API}/{made.id}", json={"title": "Renamed"})
    assert r.status_code == 200 and r.json()["title"] == "Renamed"
    async with db.transaction() as s:
        found = (await s.execute(select(Event.type, Event.channels, Event.visibility,
                                        Event.payload).where(Event.type.like("news.%"))
                                 .order_by(Event.id))).all()  # fmt: skip
    assert [tuple(e) for e in found] == [
        ("news.published", ["region:africa"], "public", {"id": made.id}),
        ("news.updated", ["region:africa"], "public", {"id": made.id}),
    ]


async def test_a_proposals_canary_reaches_only_those_who_may_see_it(make, client, db):
    proposer = await make.logged_in()
    other = await make.logged_in()
    editor = await make.logged_in(await make.user(Role.EDITOR))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    here = await _moderator(make, db, "africa")
    elsewhere = await _moderator(make, db, "south-east-asia")
    r = await proposer.post(API, json={**ITEM, "title": f"About {CANARY}"})
    assert r.status_code == 201 and r.json()["status"] == "proposed"
    nid = r.json()["id"]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Event)
                              .where(Event.type.like("news.%"))) == 0  # fmt: skip
    for reader in (proposer, editor, admin, here):
        assert CANARY in (await reader.get(f"{API}/{nid}")).text
        assert CANARY in (await reader.get(API)).text
        assert CANARY in (await reader.get(API, params={"status": "proposed"})).text
    for reader in (client, other, elsewhere):
        r = await reader.get(f"{API}/{nid}")
        assert r.status_code == 404 and CANARY not in r.text
        for params in ({}, {"status": "proposed"}, {"region": "africa"}, {"country": "SN"}):
            r = await reader.get(API, params=params)
            assert r.status_code == 200 and CANARY not in r.text and r.json()["news"] == []
    assert (await proposer.get(f"{API}/{nid}")).json()["may_decide"] is False
    assert (await here.get(f"{API}/{nid}")).json()["may_decide"] is True
    r = await proposer.post(f"{API}/{nid}/approve")
    assert r.status_code == 403
    r = await elsewhere.post(f"{API}/{nid}/approve")
    assert r.status_code == 404  # it does not exist for them
    r = await here.post(f"{API}/{nid}/approve")
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert CANARY in (await client.get(f"{API}/{nid}")).text
    assert (await here.post(f"{API}/{nid}/approve")).status_code == 409
    assert (await editor.post(f"{API}/{nid}/decline")).status_code == 409


async def test_decline_deletes_and_refusals_change_nothing(make, client, db):
    proposer = await make.logged_in()
    editor = await make.logged_in(await make.user(Role.EDITOR))
    nid = (await proposer.post(API, json=ITEM)).json()["id"]
    assert (await client.post(API, json=ITEM)).status_code == 401
    assert (await proposer.patch(f"{API}/{nid}", json={"title": "X"})).status_code == 403
    for bad in (
        {**ITEM, "source_url": "javascript:alert(1)"},
        {**ITEM, "region": "nowhere"},
        {**ITEM, "countries": ["ID"]},  # not a country of the region
        {**ITEM, "published_on": "2999-01-01"},
        {**ITEM, "published_on": "yesterday"},
        {**ITEM, "title": " "},
        {**ITEM, "source_name": ""},
        # PostgreSQL text holds no NUL: these were a 500 at the insert.
        {**ITEM, "source_name": "nul\x00inside"},
        {**ITEM, "source_name": "escape\x1b[2J"},
        {**ITEM, "summary": "nul\x00inside"},
        {**ITEM, "source_url": "https://example.org/nul\x00inside"},
        {**ITEM, "language": "english"},
        {k: v for k, v in ITEM.items() if k != "region"},
    ):
        r = await editor.post(API, json=bad)
        assert r.status_code == 422 and "error" in r.json(), (bad, r.text)
    assert await _count(db) == 1
    r = await editor.post(f"{API}/{nid}/decline")
    assert r.status_code == 200 and r.json() == {"declined": True}
    assert await _count(db) == 0
    assert (await proposer.get(f"{API}/{nid}")).status_code == 404
    assert (await editor.post(f"{API}/{nid}/decline")).status_code == 404
    for bad in ({"status": "draft"}, {"region": "nowhere"}, {"country": "ZZ"}, {"cursor": "x"}):
        assert (await client.get(API, params=bad)).status_code in (404, 422)


async def test_members_only_regions_stay_closed(make, client, db):
    editor = await make.logged_in(await make.user(Role.EDITOR))
    member = await make.logged_in()
    nid = (await editor.post(API, json={**ITEM, "region": "staff-room", "countries": [],
                                         "title": CANARY})).json()["id"]  # fmt: skip
    assert (await client.get(f"{API}/{nid}")).status_code == 404
    assert CANARY not in (await client.get(API)).text
    assert CANARY in (await member.get(API)).text
    async with db.transaction() as s:
        visibility = await s.scalar(select(Event.visibility).where(Event.type == "news.published"))
    assert visibility == "members"


FORM = {
    "title": f"Saly workshop {CANARY}",
    "summary": "CSOs and officials met in Saly in May 2018.",
    "source_name": "Le Soleil",
    "source_url": "https://example.org/saly",
    "published_on": "2018-05-25",
    "region": "africa",
    "language": "fr",
}


async def _everywhere(reader, nid: int) -> dict[str, str]:
    """What a reader gets on every path that could show the item."""
    return {
        "item": (await reader.get(f"/news/{nid}")).text,
        "list": (await reader.get("/news")).text,
        "region": (await reader.get("/news?region=africa")).text,
        "country": (await reader.get("/countries/SN")).text,
        "atom": (await reader.get("/regions/africa/news.atom")).text,
        "api": (await reader.get(API)).text,
    }


async def test_pages_a_proposal_through_forms_then_approved(make, client, db):
    import xml.etree.ElementTree as ET

    proposer_user = await make.user()
    proposer = await make.logged_in(proposer_user)
    other = await make.logged_in()
    here = await _moderator(make, db, "africa")
    bad = await submit(proposer, "/news/new", "/news/new", {**FORM, "source_url": "nope"})
    assert bad.status_code == 422 and "source_url" in field_errors(bad.text)
    assert await _count(db) == 0
    r = await submit(proposer, "/news/new", "/news/new", [*FORM.items(), ("countries", "SN")])
    assert r.status_code == 303, r.text
    nid = int(r.headers["location"].split("/")[2].split("?")[0])
    assert CANARY in (await proposer.get(r.headers["location"])).text
    for reader in (client, other):
        seen = await _everywhere(reader, nid)
        assert all(CANARY not in page for page in seen.values()), reader
    assert "Approve and publish" in (await here.get(f"/news/{nid}")).text
    assert "Approve and publish" not in (await proposer.get(f"/news/{nid}")).text
    r = await submit(here, f"/news/{nid}", f"/news/{nid}/decide", {"do": "approve"})
    assert r.status_code == 303
    seen = await _everywhere(client, nid)
    assert all(CANARY in page for page in seen.values()), seen
    feed = ET.fromstring((await client.get("/regions/africa/news.atom")).content)
    atom = "{http://www.w3.org/2005/Atom}"
    assert [e.findtext(f"{atom}title") for e in feed.iter(f"{atom}entry")] == [FORM["title"]]


async def test_pages_decline_and_refusals(make, client, db):
    proposer = await make.logged_in()
    editor = await make.logged_in(await make.user(Role.EDITOR))
    member = await make.logged_in()
    nid = (await proposer.post(API, json={**ITEM, "title": CANARY})).json()["id"]
    assert (await client.get("/news/new")).status_code == 404
    assert (await member.get(f"/news/{nid}")).status_code == 404
    r = await submit(editor, f"/news/{nid}", f"/news/{nid}/decide", {"do": "decline"})
    assert r.status_code == 303 and await _count(db) == 0
    assert (await client.get("/regions/staff-room/news.atom")).status_code == 404
    assert (await member.get("/regions/staff-room/news.atom")).status_code == 404
    assert (await client.get("/regions/nowhere/news.atom")).status_code == 404
    assert (await client.get("/news?region=nowhere")).status_code == 404
    assert (await client.get("/news/abc")).status_code == 404


async def test_the_demo_publishes_its_news_once(db, client):
    from forum import demo, demo_news

    await demo.load(db)
    await demo.load(db)  # idempotent
    listed = (await client.get(API, params={"limit": 100})).json()["news"]
    assert sorted(n["title"] for n in listed) == sorted(a.title for a in demo_news.NEWS)
    assert all(n["status"] == "published" and "Demonstration" in n["summary"] for n in listed)
    assert "Saly" in (await client.get("/countries/SN")).text
    assert "Sarajevo" in (await client.get("/regions/south-east-europe/news.atom")).text


async def test_decisions_are_audited_with_ids_only(make, db):
    proposer = await make.logged_in()
    admin = await make.logged_in(await make.user(Role.ADMIN))
    here = await _moderator(make, db, "africa")
    kept, dropped = [
        (await proposer.post(API, json={**ITEM, "title": f"{CANARY} {n}"})).json()["id"]
        for n in (1, 2)
    ]
    assert (await here.post(f"{API}/{kept}/approve")).status_code == 200
    assert (await here.post(f"{API}/{dropped}/decline")).status_code == 200
    r = await admin.get("/api/v1/audit")
    assert r.status_code == 200
    entries = [e for e in r.json()["entries"] if e["action"].startswith("news.")]
    assert sorted((e["action"], e["target_id"]) for e in entries) == [
        ("news.approve", kept), ("news.decline", dropped)
    ]  # fmt: skip
    assert CANARY not in r.text
    assert "News item declined" in (await admin.get("/audit?action=news.decline")).text


def test_the_policy_for_proposals():
    from forum.permissions import (
        ANONYMOUS,
        Actor,
        allows,
        can_read_proposal,
        check_can_decide_proposal,
    )

    proposer, member = Actor(1, Role.MEMBER), Actor(2, Role.MEMBER)
    editor, admin, moderator = Actor(3, Role.EDITOR), Actor(4, Role.ADMIN), Actor(5, Role.MODERATOR)
    suspended_editor = Actor(6, Role.EDITOR, suspended=True)
    suspended_proposer = Actor(1, Role.MEMBER, suspended=True)
    # (actor, moderates the region) -> reads the proposal, may decide
    cases = {
        (ANONYMOUS, False): (False, False),
        (proposer, False): (True, False),
        (member, False): (False, False),
        (editor, False): (True, True),
        (admin, False): (True, True),
        (moderator, True): (True, True),
        (moderator, False): (False, False),
        (suspended_editor, False): (False, False),
        (suspended_proposer, False): (False, False),
    }
    for (actor, moderates), (reads, decides) in cases.items():
        region_ids = [7] if moderates else []
        assert can_read_proposal(actor, proposer.user_id, 7, region_ids) is reads, actor
        assert allows(check_can_decide_proposal, actor, 7, region_ids) is decides, actor


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


async def test_websockets_carry_ids_only_and_nothing_before_approval(world):
    proposer, editor = await leak_reader(world), await leak_reader(world, Role.EDITOR)
    visitor = anonymous(world)
    ws = await visitor.ws().__aenter__()
    await subscribe(ws, ["region:africa"])
    r = await proposer.http.post(API, json={**ITEM, "title": f"Live {CANARY}"})
    assert r.status_code == 201, r.text
    nid = r.json()["id"]
    assert CANARY not in await replay(visitor, ["region:africa"])
    r = await editor.http.post(f"{API}/{nid}/approve")
    assert r.status_code == 200, r.text
    frames = await frames_until(ws, lambda f: f.get("type") == "news.published")
    await ws.close()
    assert frames[-1]["data"] == {"id": nid} and CANARY not in str(frames)
    backlog = await replay(visitor, ["region:africa"])
    assert "news.published" in backlog and CANARY not in backlog

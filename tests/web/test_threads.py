"""Threads through the API: starting, listing with filters and pages, reading."""

from __future__ import annotations

from sqlalchemy import text

NEW = {
    "region": "africa",
    "topic": "public-procurement",
    "title": "  Open contracting in Senegal  ",
    "body": "We compared **tender notices** with awards.",
    "countries": ["sn", "KE", "SN"],
}


async def test_start_a_thread_with_its_first_post(make):
    c = await make.logged_in()
    r = await c.post("/api/v1/threads", json=NEW)
    assert r.status_code == 201, r.text
    thread, post = r.json()["thread"], r.json()["post"]
    assert thread["title"] == "Open contracting in Senegal"
    assert thread["countries"] == ["KE", "SN"]
    assert thread["author"] == {"id": c.user["id"], "name": c.user["display_name"]}
    assert (thread["post_count"], thread["reply_count"]) == (1, 0)
    assert post["position"] == 1 and post["thread_id"] == thread["id"]
    assert post["body_html"] == "<p>We compared <strong>tender notices</strong> with awards.</p>\n"

    regions = {r["slug"]: r for r in (await c.get("/api/v1/regions")).json()["regions"]}
    assert regions["africa"]["thread_count"] == 1
    topics = {t["slug"]: t for t in (await c.get("/api/v1/topics")).json()["topics"]}
    assert topics["public-procurement"]["thread_count"] == 1


async def test_anonymous_readers_cannot_write(client):
    r = await client.post("/api/v1/threads", json=NEW)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "login_required"


async def test_listing_puts_pinned_first_then_newest_activity(make, db, client):
    old = await make.thread(title="old")
    newer = await make.thread(title="newer")
    pinned = await make.thread(title="pinned")
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET pinned = true WHERE id = :id"), pinned["thread"])
    await make.reply(old["thread"]["id"])  # activity moves "old" up
    titles = [t["title"] for t in (await client.get("/api/v1/threads")).json()["threads"]]
    assert titles == ["pinned", "old", "newer"]
    assert newer  # listed last


async def test_keyset_pages_cover_every_thread_once(make, client):
    for i in range(7):
        await make.thread(title=f"t{i}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/v1/threads", params=params)).json()
        seen += [t["title"] for t in body["threads"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"t{i}" for i in reversed(range(7))]


async def test_filters_by_region_topic_and_country(make, client):
    await make.thread(title="sn", countries=("SN",))
    await make.thread(title="ke-whistle", topic="whistleblower-protection", countries=("KE",))
    await make.thread(title="asia", region="south-east-asia", countries=("ID",))

    async def titles(**params):
        r = await client.get("/api/v1/threads", params=params)
        assert r.status_code == 200, r.text
        return sorted(t["title"] for t in r.json()["threads"])

    assert await titles(region="africa") == ["ke-whistle", "sn"]
    assert await titles(topic="whistleblower-protection") == ["ke-whistle"]
    assert await titles(country="id") == ["asia"]
    assert await titles(region="africa", country="ID") == []


async def test_unknown_filters_are_clear_errors(client):
    assert (await client.get("/api/v1/threads?region=atlantis")).status_code == 404
    assert (await client.get("/api/v1/threads?topic=nothing")).status_code == 404
    r = await client.get("/api/v1/threads?country=ZZ")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "unknown_country"


async def test_read_a_thread_with_pages_of_posts_in_order(make, client):
    started = await make.thread()
    tid = started["thread"]["id"]
    for i in range(4):
        await make.reply(tid, body=f"reply {i}")
    first = (await client.get(f"/api/v1/threads/{tid}", params={"limit": 3})).json()
    assert [p["position"] for p in first["posts"]] == [1, 2, 3]
    assert first["thread"]["reply_count"] == 4
    rest = (
        await client.get(f"/api/v1/threads/{tid}", params={"cursor": first["next_cursor"]})
    ).json()
    assert [p["body"] for p in rest["posts"]] == ["reply 2", "reply 3"]
    assert rest["next_cursor"] is None


async def test_unknown_thread_is_404(client):
    for path in ["/api/v1/threads/999", "/api/v1/threads/abc", "/api/v1/threads/0"]:
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "thread_not_found"


async def test_members_only_region_is_invisible_to_anonymous_readers(make, client):
    private = await make.thread(title="internal", region="staff-room")
    tid = private["thread"]["id"]
    assert "staff-room" not in [
        r["slug"] for r in (await client.get("/api/v1/regions")).json()["regions"]
    ]
    assert (await client.get("/api/v1/threads")).json()["threads"] == []
    assert (await client.get(f"/api/v1/threads/{tid}")).status_code == 404
    assert (await client.get("/api/v1/threads?region=staff-room")).status_code == 404

    member = await make.logged_in()
    assert (await member.get(f"/api/v1/threads/{tid}")).status_code == 200
    listed = (await member.get("/api/v1/threads?region=staff-room")).json()["threads"]
    assert [t["title"] for t in listed] == ["internal"]


async def test_hidden_thread_is_seen_only_by_moderators(make, db, client):
    from forum.models import Role

    hidden = await make.thread(title="under review")
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :id"), hidden["thread"])
    tid = hidden["thread"]["id"]
    member = await make.logged_in()
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    assert (await client.get(f"/api/v1/threads/{tid}")).status_code == 404
    assert (await member.get(f"/api/v1/threads/{tid}")).status_code == 404
    assert (await member.get("/api/v1/threads")).json()["threads"] == []
    assert (await moderator.get(f"/api/v1/threads/{tid}")).status_code == 200
    r = await member.post(f"/api/v1/threads/{tid}/posts", json={"body": "hello?"})
    assert r.status_code == 404


async def test_catalog_lists_countries_with_regions(client):
    countries = (await client.get("/api/v1/countries")).json()["countries"]
    assert {"code": "SN", "name": "Senegal", "region": "africa"} in countries

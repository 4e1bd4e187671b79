"""Browsing in a browser without JavaScript: regions, topics and countries by name, thread
lists paged by cursor, "3 new" for members, opening a thread at the first unread post."""

from __future__ import annotations

import asyncio
import html
import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select, text

from forum import reading
from forum.models import ReadPosition


async def _positions(db) -> list[tuple[int, int, int]]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(ReadPosition.user_id, ReadPosition.thread_id, ReadPosition.position)
        )
        return sorted(tuple(r) for r in rows)


def _row(page: str, tid: int) -> str:
    """The list item of thread `tid` on a list page."""
    found = re.search(
        rf'<li class="thread[^"]*">\s*<a href="/threads/{tid}(?:/unread)?">.*?</li>', page, re.S
    )
    assert found, f"thread {tid} is not listed"
    return found.group(0)


def _marker(page: str, tid: int) -> str | None:
    found = re.search(r'<span class="tag new">(.*?)</span>', _row(page, tid))
    return html.unescape(found.group(1)) if found else None


async def test_markers_appear_for_members_and_clear_after_reading(make, db):
    author = await make.user()
    tid = (await make.thread(author, countries=("KE",)))["thread"]["id"]
    member = await make.logged_in()
    for place in ("/", "/regions/africa", "/topics/public-procurement", "/countries/KE"):
        page = (await member.get(place)).text
        assert _marker(page, tid) == "new", place
        assert f'href="/threads/{tid}/unread"' in _row(page, tid)

    assert (await member.get(f"/threads/{tid}")).status_code == 200
    assert await _positions(db) == [(member.user["id"], tid, 1)]
    page = (await member.get("/regions/africa")).text
    assert _marker(page, tid) is None
    assert f'href="/threads/{tid}"' in _row(page, tid)

    for n in range(3):
        await make.reply(tid, author, body=f"reply {n}")
    for place in ("/", "/regions/africa", "/topics/public-procurement", "/countries/KE"):
        page = (await member.get(place)).text
        assert _marker(page, tid) == "3 new", place
        assert 'class="thread unread"' in _row(page, tid)
    await member.get(f"/threads/{tid}")
    assert _marker((await member.get("/regions/africa")).text, tid) is None


async def test_a_visitor_sees_no_markers_and_writes_nothing(make, client, db):
    tid = (await make.thread())["thread"]["id"]
    await make.reply(tid)
    for place in ("/", "/regions/africa", "/topics/public-procurement", f"/threads/{tid}"):
        r = await client.get(place)
        assert r.status_code == 200, place
        assert 'class="tag new"' not in r.text and "/unread" not in r.text
        assert "new-divider" not in r.text
    r = await client.get(f"/threads/{tid}/unread")
    assert (r.status_code, r.headers["location"]) == (303, f"/threads/{tid}")
    assert await _positions(db) == []


async def test_unread_opens_the_thread_at_the_first_unread_post(make, db):
    author = await make.user()
    started = await make.thread(author)
    tid = started["thread"]["id"]
    ids = [started["post"]["id"]]
    for n in range(59):
        ids.append((await make.reply(tid, author, body=f"reply {n}"))["id"])
    member = await make.logged_in()
    # Never opened: the start.
    r = await member.get(f"/threads/{tid}/unread")
    assert (r.status_code, r.headers["location"]) == (303, f"/threads/{tid}#post-{ids[0]}")
    first = await member.get(r.headers["location"])
    assert first.status_code == 200 and f'id="post-{ids[49]}"' in first.text
    assert await _positions(db) == [(member.user["id"], tid, 50)]
    # Read 50 of 60: the 51st, on the second page, with its anchor.
    r = await member.get(f"/threads/{tid}/unread")
    where = urlsplit(r.headers["location"])
    assert r.status_code == 303 and where.fragment == f"post-{ids[50]}"
    later = await member.get(f"{where.path}?{where.query}")
    assert f'id="post-{ids[50]}"' in later.text
    # The divider stands before the first post that was new on this visit.
    divider = rf'class="new-divider"[^<]*>[^<]*</p>\s*<article class="post" id="post-{ids[50]}"'
    assert re.search(divider, later.text)
    assert await _positions(db) == [(member.user["id"], tid, 60)]
    # Everything read: the last post.
    r = await member.get(f"/threads/{tid}/unread")
    assert r.headers["location"].endswith(f"#post-{ids[59]}")
    again = await member.get(f"{where.path}?{where.query}")
    assert "new-divider" not in again.text


async def test_unread_of_a_thread_one_may_not_read_is_not_found(make, db):
    member = await make.logged_in()
    hidden = (await make.thread())["thread"]["id"]
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :id"), {"id": hidden})
    for path in (f"/threads/{hidden}/unread", "/threads/999999/unread", "/threads/x/unread",
                 f"/threads/{hidden}"):  # fmt: skip
        r = await member.get(path)
        assert r.status_code == 404, path
    assert await _positions(db) == []


async def test_lists_page_by_cursor_and_keep_their_filters(make):
    author = await make.user()
    made = []
    for n in range(32):
        topic = "whistleblower-protection" if n % 2 else "public-procurement"
        countries = ("SN",) if n % 4 == 1 else ()
        started = await make.thread(author, title=f"Thread {n}", topic=topic, countries=countries)
        made.append(started["thread"]["id"])
    member = await make.logged_in()
    first = (await member.get("/regions/africa")).text
    assert first.count('<li class="thread') == 30
    [older] = re.findall(r'<a rel="next" href="([^"]+)">Older threads</a>', first)
    second = (await member.get("/regions/africa" + html.unescape(older))).text
    assert second.count('<li class="thread') == 2
    assert "Older threads" not in second
    assert f"/threads/{made[0]}/unread" in second  # the oldest, last

    # Filtered: 16 whistleblower threads in Africa, one page; 8 in Senegal.
    page = (await member.get("/regions/africa", params={"topic": "whistleblower-protection"})).text
    assert page.count('<li class="thread') == 16
    assert '<option value="whistleblower-protection" selected>' in page
    page = (await member.get("/topics/whistleblower-protection", params={"country": "SN"})).text
    assert page.count('<li class="thread') == 8
    # A filter is kept on the next page's link.
    for n in range(30):
        await make.thread(author, title=f"More {n}", topic="whistleblower-protection")
    page = (await member.get("/regions/africa", params={"topic": "whistleblower-protection"})).text
    [older] = re.findall(r'<a rel="next" href="([^"]+)">', page)
    query = parse_qs(urlsplit(html.unescape(older)).query)
    assert query["topic"] == ["whistleblower-protection"] and "cursor" in query
    second = (await member.get("/regions/africa" + html.unescape(older))).text
    assert second.count('<li class="thread') == 16
    assert "More" not in second


async def test_names_not_slugs(make, client):
    await make.thread(topic="whistleblower-protection", countries=("KE", "SN"))
    region = (await client.get("/regions/africa")).text
    assert ">Whistleblower protection</a>" in region
    assert '>Kenya</a>, <a href="/countries/SN">Senegal</a>' in region
    topics = (await client.get("/topics")).text
    assert '<a href="/topics/whistleblower-protection">Whistleblower protection</a>' in topics
    assert "1 thread" in topics
    countries = (await client.get("/countries")).text
    assert re.search(
        r"Africa</a></h2>\s*<ul class=\"countries\">\s*<li><a href=\"/countries/KE\">Kenya",
        countries,
    )
    assert "South-East Asia" in countries and "Indonesia" in countries
    country = (await client.get("/countries/KE")).text
    assert "<h1>Kenya</h1>" in country and ">Africa</a>" in country
    home = (await client.get("/")).text
    assert 'href="/topics"' in home and 'href="/countries"' in home


async def test_counts_and_lists_only_hold_what_the_reader_may_read(make, client):
    await make.thread(region="staff-room", topic="whistleblower-protection", title="Closed door")
    member = await make.logged_in()
    assert "1 thread" in (await member.get("/topics")).text
    topics = (await client.get("/topics")).text
    assert "0 threads" in topics and "1 thread" not in topics
    assert "Closed door" not in (await client.get("/topics/whistleblower-protection")).text
    assert "Closed door" in (await member.get("/topics/whistleblower-protection")).text
    r = await client.get("/topics/whistleblower-protection", params={"region": "staff-room"})
    assert r.status_code == 404


async def test_unknown_places_and_bad_filters(client):
    for path in ("/topics/atlantis", "/countries/ZZ", "/countries/x", "/regions/atlantis"):
        assert (await client.get(path)).status_code == 404, path
    r = await client.get("/regions/africa", params={"country": "ZZ"})
    assert r.status_code == 422
    r = await client.get("/regions/africa", params={"cursor": "not a cursor"})
    assert r.status_code == 422


async def test_a_suspended_member_reads_like_a_visitor(make, db):
    tid = (await make.thread())["thread"]["id"]
    suspended = await make.logged_in(await make.user(suspended_at=func.now()))
    page = (await suspended.get("/regions/africa")).text
    assert _marker(page, tid) is None
    assert (await suspended.get(f"/threads/{tid}")).status_code == 200
    r = await suspended.get(f"/threads/{tid}/unread")
    assert r.headers["location"] == f"/threads/{tid}"
    assert await _positions(db) == []


async def test_many_new_posts_read_as_more_than_counted(make, monkeypatch):
    monkeypatch.setattr(reading, "MAX_COUNTED", 3)
    author = await make.user()
    tid = (await make.thread(author))["thread"]["id"]
    member = await make.logged_in()
    await member.get(f"/threads/{tid}")
    for _ in range(4):
        await make.reply(tid, author)
    assert _marker((await member.get("/regions/africa")).text, tid) == "3+ new"


async def test_markers_in_french_and_spanish(make):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in(await make.user(language="fr"))
    assert _marker((await member.get("/regions/africa")).text, tid) == "nouvelle"
    member = await make.logged_in(await make.user(language="es"))
    assert _marker((await member.get("/regions/africa")).text, tid) == "nuevo"


async def test_a_country_of_a_members_only_region_is_not_shown_to_visitors(make, db, client):
    async with db.transaction() as s:
        await s.execute(
            text("INSERT INTO countries (code, name, region_id) "
                 "SELECT 'XM', 'Membersland', id FROM regions WHERE slug = 'staff-room'")
        )  # fmt: skip
    member = await make.logged_in()
    for _ in range(200):  # the app's catalog takes the change in from its event
        if (await member.get("/countries/XM")).status_code == 200:
            break
        await asyncio.sleep(0.05)
    assert "Membersland" in (await member.get("/countries")).text
    assert (await client.get("/countries/XM")).status_code == 404
    assert "Membersland" not in (await client.get("/countries")).text
    assert "Membersland" not in (await client.get("/regions/africa")).text


async def test_each_place_offers_the_filters_that_narrow_it(client):
    selects = {}
    for path in ("/regions/africa", "/topics/public-procurement", "/countries/KE"):
        page = (await client.get(path)).text
        selects[path] = re.findall(r'<select id="(\w+)" name="\1"', page.split("<main", 1)[1])
    assert selects == {
        "/regions/africa": ["topic", "country"],
        "/topics/public-procurement": ["region", "country"],
        "/countries/KE": ["topic"],
    }

"""Calendar events: members propose, editors and the region's moderators publish or
decline; lists, pages and iCalendar feeds in the reader's and the event's time; a
proposal's canary reaches nobody but its proposer and those who may decide it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import text

from forum.models import Role
from tests.pages import field_errors, submit
from web import schemas

API = "/api/v1/events"
CANARY = "zanquoribelt"
NEXT_YEAR = datetime.now(UTC).year + 1
EVENT = {
    "title": "Saly workshop on UNCAC reviews",
    "region": "africa",
    "starts": f"{NEXT_YEAR}-05-14T09:00",
    "ends": f"{NEXT_YEAR}-05-16T17:00",
    "time_zone": "Africa/Dakar",
    "description": "Three days on *parallel reports*.",
    "place": "Saly",
    "country": "SN",
    "language": "fr",
    "registration_url": "https://example.org/saly",
}


async def _region_id(db, slug: str) -> int:
    async with db.transaction() as s:
        return await s.scalar(text("SELECT id FROM regions WHERE slug = :s"), {"s": slug})


async def _moderator(make, db, *regions: str):
    user = await make.user(Role.MODERATOR)
    async with db.transaction() as s:
        for slug in regions:
            await s.execute(text("INSERT INTO moderated_regions VALUES (:u, :r)"),
                            {"u": user["id"], "r": await _region_id(db, slug)})  # fmt: skip
    return await make.logged_in(user)


async def _count(db, sql: str) -> int:
    async with db.transaction() as s:
        return await s.scalar(text(sql))


async def test_a_member_proposes_and_a_moderator_publishes(make, db, client):
    member = await make.logged_in()
    r = await member.post(API, json=EVENT)
    assert r.status_code == 201, r.text
    made = schemas.EventOut.model_validate(r.json())
    assert made.status == "proposed" and "<em>parallel reports</em>" in made.description_html
    # 09:00 in Dakar (UTC+0) is 09:00 UTC; the zone is kept.
    assert made.starts_at == datetime(NEXT_YEAR, 5, 14, 9, tzinfo=UTC)
    assert made.time_zone == "Africa/Dakar" and made.local_start.startswith(f"{NEXT_YEAR}-05-14T09")
    assert not made.may_decide and made.proposer == member.user["display_name"]
    assert (await client.get(f"{API}/{made.id}")).status_code == 404
    moderator = await _moderator(make, db, "africa")
    r = await moderator.post(f"{API}/{made.id}/publish")
    assert r.status_code == 200 and r.json()["status"] == "published", r.text
    assert r.json()["proposer"] is None
    read = schemas.EventOut.model_validate((await client.get(f"{API}/{made.id}")).json())
    assert read.title == EVENT["title"] and not read.may_decide
    listed = schemas.EventList.model_validate((await client.get(API)).json())
    assert [e.id for e in listed.events] == [made.id]
    assert (await moderator.post(f"{API}/{made.id}/publish")).status_code == 409
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'event.publish'") == 1
    async with db.transaction() as s:
        logged = (await s.execute(text(
            "SELECT channels, visibility, payload FROM events WHERE type = 'event.published'"
        ))).all()  # fmt: skip
    assert logged == [(["region:africa"], "public", {"event_id": made.id})]


async def test_times_convert_from_the_events_zone(make, db):
    member = await make.logged_in()
    body = {**EVENT, "region": "staff-room", "time_zone": "Europe/Sarajevo",
            "starts": f"{NEXT_YEAR}-09-20T09:00", "ends": f"{NEXT_YEAR}-09-21T18:00"}  # fmt: skip
    made = (await member.post(API, json=body)).json()
    assert made["starts_at"].startswith(f"{NEXT_YEAR}-09-20T07:00")  # CEST is UTC+2
    assert made["local_end"] == f"{NEXT_YEAR}-09-21T18:00:00+02:00"


async def test_a_moderator_of_another_region_may_not_decide(make, db):
    member = await make.logged_in()
    made = (await member.post(API, json=EVENT)).json()
    elsewhere = await _moderator(make, db, "south-east-asia")
    assert (await elsewhere.get(f"{API}/{made['id']}")).status_code == 404
    assert (await elsewhere.post(f"{API}/{made['id']}/publish")).status_code == 404
    r = await member.post(f"{API}/{made['id']}/publish")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "moderators_only")
    assert await _count(db, "SELECT count(*) FROM calendar_events WHERE status = 'proposed'") == 1


async def test_decline_with_a_reason_the_proposer_reads(make, db, client):
    member = await make.logged_in()
    made = (await member.post(API, json=EVENT)).json()
    admin = await make.logged_in(await make.user(Role.ADMIN))
    r = await admin.post(f"{API}/{made['id']}/decline", json={"reason": "   "})
    assert r.status_code == 422
    r = await admin.post(f"{API}/{made['id']}/decline", json={"reason": "Already listed."})
    assert r.status_code == 200 and r.json()["status"] == "declined"
    mine = (await member.get(f"{API}/{made['id']}")).json()
    assert mine["decline_reason"] == "Already listed."
    assert (await client.get(f"{API}/{made['id']}")).status_code == 404
    declined = (await member.get(API, params={"status": "declined"})).json()["events"]
    assert [e["id"] for e in declined] == [made["id"]]
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'event.decline'") == 1


async def test_editing_keeps_what_is_left_out(make, db):
    member = await make.logged_in()
    made = (await member.post(API, json=EVENT)).json()
    assert (await member.patch(f"{API}/{made['id']}", json={"title": "Mine"})).status_code == 403
    moderator = await _moderator(make, db, "africa")
    change = {"online": True, "place": "", "time_zone": "Europe/Paris"}
    r = await moderator.patch(f"{API}/{made['id']}", json=change)
    assert r.status_code == 200, r.text
    now = r.json()
    assert now["online"] and now["title"] == EVENT["title"]
    assert now["local_start"].startswith(f"{NEXT_YEAR}-05-14T09:00")  # local time kept
    r = await moderator.patch(f"{API}/{made['id']}", json={"region": "south-east-asia"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_region")
    assert (await moderator.get(f"{API}/{made['id']}")).json()["region"] == "africa"


async def test_bad_input_is_refused_and_changes_nothing(make, db, client):
    member = await make.logged_in()
    assert (await client.post(API, json=EVENT)).status_code == 401
    bad = [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"ends": f"{NEXT_YEAR}-05-13T09:00"}, "ends"),
        ({"registration_url": "javascript:alert(1)"}, "registration_url"),
        ({"registration_url": "ftp://example.org/x"}, "registration_url"),
        ({"region": "nowhere"}, "region"),
        ({"country": "ZZ"}, "country"),
        ({"place": "", "online": False}, "place"),
        # PostgreSQL text holds no NUL: the place was a 500 at the insert.
        ({"place": "nul\x00inside"}, "place"),
        ({"place": "line\nbreak"}, "place"),
        ({"description": "nul\x00inside"}, "description"),
        ({"registration_url": "https://example.org/nul\x00inside"}, "registration_url"),
        ({"organisation": "nobody"}, "organisation"),
        ({"starts": "not a time"}, "starts"),
    ]
    for change, field in bad:
        r = await member.post(API, json={**EVENT, **change})
        assert r.status_code == 422, (change, r.text)
        assert field in r.json()["error"]["fields"], (change, r.text)
    assert (await client.get(f"{API}/999999")).status_code == 404
    assert (await client.get(API, params={"status": "nonsense"})).status_code == 422
    assert (await client.get(API, params={"cursor": "garbage"})).status_code == 422
    assert await _count(db, "SELECT count(*) FROM calendar_events") == 0


async def test_upcoming_and_past_lists(make, db, client):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    year = datetime.now(UTC).year
    ids = []
    for starts in [f"{year - 1}-05-14T09:00", f"{year + 1}-12-09T09:00", f"{year + 1}-03-01T09:00"]:
        end = (datetime.fromisoformat(starts) + timedelta(hours=8)).isoformat()
        made = (await admin.post(API, json={**EVENT, "starts": starts, "ends": end})).json()
        assert (await admin.post(f"{API}/{made['id']}/publish")).status_code == 200
        ids.append(made["id"])
    upcoming = (await client.get(API)).json()["events"]
    assert [e["id"] for e in upcoming] == [ids[2], ids[1]]
    first = (await client.get(API, params={"limit": 1})).json()
    rest = (await client.get(API, params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert [e["id"] for e in rest["events"]] == [ids[1]]
    past = (await client.get(API, params={"when": "past"})).json()["events"]
    assert [e["id"] for e in past] == [ids[0]]
    assert (await client.get(API, params={"region": "south-east-asia"})).json()["events"] == []
    by_country = (await client.get(API, params={"country": "SN"})).json()["events"]
    assert len(by_country) == 2


async def test_a_proposals_canary_reaches_only_its_proposer_and_deciders(make, db, client):
    member = await make.logged_in()
    made = (await member.post(API, json={**EVENT, "title": f"Meeting {CANARY}"})).json()
    moderator = await _moderator(make, db, "africa")
    admin = await make.logged_in(await make.user(Role.ADMIN))
    other = await make.logged_in()
    elsewhere = await _moderator(make, db, "south-east-asia")
    one = made["id"]
    paths = [API, f"{API}/{one}", f"{API}?status=proposed", "/events", f"/events/{one}",
             f"/events/{one}.ics", "/regions/africa/events.ics", "/events/past"]  # fmt: skip

    async def seen(who) -> bool:
        pages = [(await who.get(p)).text for p in paths]
        return any(CANARY in page for page in pages)

    assert await seen(member) and await seen(moderator) and await seen(admin)
    for outsider in (client, other, elsewhere):
        assert not await seen(outsider)
    # Nothing in the event log (the websocket's source) before it is published.
    assert await _count(db, "SELECT count(*) FROM events WHERE type LIKE 'event.%'") == 0


async def test_pages_and_calendar_files_in_both_zones(make, db, client):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    body = {**EVENT, "time_zone": "Europe/Sarajevo", "region": "africa"}
    made = (await admin.post(API, json=body)).json()
    assert (await admin.post(f"{API}/{made['id']}/publish")).status_code == 200
    page = await client.get("/events")
    assert page.status_code == 200 and EVENT["title"] in page.text
    assert f"May {NEXT_YEAR}" in page.text  # the month heading
    assert f'datetime="{NEXT_YEAR}-05-14T07:00:00+00:00"' in page.text  # UTC for the script
    assert "(Europe/Sarajevo)" in page.text  # and the event's own zone
    one = await client.get(f"/events/{made['id']}", headers={"Accept-Language": "fr"})
    assert one.status_code == 200 and "<em>parallel reports</em>" in one.text
    assert "mai" in one.text  # written in the reader's language
    ics = await client.get(f"/events/{made['id']}.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(ics.content)
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["summary"]) == EVENT["title"]
    assert vevent.decoded("dtstart") == datetime(NEXT_YEAR, 5, 14, 7, tzinfo=UTC)
    assert calendar.walk("VTIMEZONE")  # the zone travels with it
    feed = Calendar.from_ical((await client.get("/regions/africa/events.ics")).content)
    assert [str(v["summary"]) for v in feed.walk("VEVENT")] == [EVENT["title"]]
    assert (await client.get("/regions/staff-room/events.ics")).status_code == 404
    assert (await client.get("/events/past")).status_code == 200
    assert EVENT["title"] not in (await client.get("/events/past")).text
    assert (await client.get("/events/nope")).status_code == 404
    assert (await client.get("/events?country=ZZ")).status_code == 404


async def test_the_demo_lists_past_workshops_and_anti_corruption_day(db, client):
    from forum import demo

    await demo.load(db)
    await demo.load(db)  # idempotent
    upcoming = (await client.get(API, params={"region": "global"})).json()["events"]
    assert upcoming[0]["title"].startswith("International Anti-Corruption Day")
    assert upcoming[0]["local_start"].endswith("-12-09T00:00:00+00:00")
    past = [e["title"] for e in (await client.get(API, params={"when": "past"})).json()["events"]]
    assert len(past) == 3 and "Saly" in past[0] and "Sarajevo" not in past[0]
    assert await _count(db, "SELECT count(*) FROM calendar_events") == 4
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'event.publish'") == 4


async def test_publishing_reaches_the_regions_live_readers_with_the_id_only(served):
    import asyncpg
    from websockets.asyncio.client import connect

    from tests.realtime.clients import close_members, member, send, subscribe, until, ws_url

    proposer, decider = await member(served), await member(served)
    operator = await asyncpg.connect(served.env["FORUM_DATABASE_URL"])
    try:
        await operator.execute("UPDATE users SET role = 'editor' WHERE id = $1", decider.user_id)
    finally:
        await operator.close()
    try:
        async with connect(ws_url(served)) as ws:
            await subscribe(ws, "region:africa")
            r = await proposer.http.post(API, json={**EVENT, "title": f"Live {CANARY}"})
            assert r.status_code == 201, r.text
            await send(ws, op="ping")  # answered after anything already sent
            frames = await until(ws, lambda f: f["op"] == "pong")
            assert not [f for f in frames if f["op"] == "event"]
            made = r.json()["id"]
            assert (await decider.http.post(f"{API}/{made}/publish")).status_code == 200
            frames = await until(ws, lambda f: f.get("type") == "event.published")
        assert frames[-1]["data"] == {"event_id": made}
        assert frames[-1]["channel"] == "region:africa"
        assert CANARY not in str(frames)
    finally:
        await close_members()


async def test_the_country_page_lists_its_published_events_only(make, client):
    member = await make.logged_in()
    proposed = (await member.post(API, json={**EVENT, "title": f"Proposed {CANARY}"})).json()
    admin = await make.logged_in(await make.user(Role.ADMIN))
    made = (await admin.post(API, json=EVENT)).json()
    assert (await admin.post(f"{API}/{made['id']}/publish")).status_code == 200
    page = (await client.get("/countries/SN")).text
    assert f'href="/events/{made["id"]}"' in page and CANARY not in page
    assert CANARY not in (await member.get("/countries/SN")).text
    assert proposed["status"] == "proposed"
    assert "/events/" not in (await client.get("/countries/KE")).text


async def test_deciders_publish_and_decline_through_forms(make, db, client):
    member = await make.logged_in()
    made = (await member.post(API, json=EVENT)).json()
    page = f"/events/{made['id']}"
    assert "/publish" not in (await member.get(page)).text
    moderator = await _moderator(make, db, "africa")
    r = await submit(moderator, page, f"{page}/decline", {"reason": " "})
    assert r.status_code == 422 and "reason" in field_errors(r.text)
    assert (await moderator.get(f"{API}/{made['id']}")).json()["status"] == "proposed"
    r = await submit(moderator, page, f"{page}/publish", {})
    assert r.status_code == 303 and r.headers["location"] == f"{page}?decided=1"
    assert EVENT["title"] in (await client.get(page)).text
    r = await submit(moderator, page, f"{page}/decline", {"reason": "Cancelled."})
    assert r.status_code == 303
    assert "Cancelled." in (await member.get(page)).text
    assert (await client.get(page)).status_code == 404
    other = await make.logged_in()
    r = await submit(other, "/events", f"{page}/publish", {})
    assert r.status_code == 404
    assert (await member.get(f"{API}/{made['id']}")).json()["status"] == "declined"


FORM = {
    "title": "Anti-Corruption Day in Dakar",
    "region": "africa",
    "starts": f"{NEXT_YEAR}-12-09T10:00",
    "ends": f"{NEXT_YEAR}-12-09T16:00",
    "time_zone": "Africa/Dakar",
    "place": "Dakar",
    "country": "SN",
    "description": "A *public* debate.",
    "registration_url": "",
    "language": "fr",
}


async def test_a_member_proposes_through_the_form(make, db, client):
    assert (await client.get("/events/new")).status_code == 404
    member = await make.logged_in()
    assert "/events/new" in (await member.get("/events")).text
    for bad, field in [({"time_zone": "Nowhere/Else"}, "time_zone"),
                       ({"registration_url": "javascript:x"}, "registration_url"),
                       ({"starts": "soon"}, "starts"), ({"region": ""}, "region")]:  # fmt: skip
        r = await submit(member, "/events/new", "/events/new", {**FORM, **bad})
        assert r.status_code == 422, (bad, r.text[:300])
        assert field in field_errors(r.text), bad
        assert 'value="Anti-Corruption Day in Dakar"' in r.text
    assert await _count(db, "SELECT count(*) FROM calendar_events") == 0
    r = await submit(member, "/events/new", "/events/new", {**FORM, "online": "on"})
    assert r.status_code == 303, r.text
    page = await member.get(r.headers["location"])
    assert "<em>public</em>" in page.text and "only its proposer" in page.text
    assert (await client.get(r.headers["location"])).status_code == 404
    made = (await member.get(API, params={"status": "proposed"})).json()["events"]
    assert made[0]["online"] and made[0]["starts_at"].startswith(f"{NEXT_YEAR}-12-09T10:00")

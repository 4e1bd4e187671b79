"""Members flag posts; open flags on a post gather into one case that the region's
moderators and admins take, annotate and resolve (through the API and the pages): who
may, what each step changes, its events and audit entries, the reporters told in general
terms, refusals changing nothing, and a reason's text reaching nobody else."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect

from forum import catalog, moderators
from forum.models import Role
from realtime.protocol import Close
from tests import mail
from tests.factories import Factory
from tests.pages import field_errors, submit
from tests.realtime.clients import (
    close_members,
    events_of,
    member,
    send,
    subscribe,
    until,
    until_closed,
    ws_url,
)
from tests.web.test_audit import _moderator

CANARY = "okapi-canary-7731"


async def _count(db, sql: str, **params) -> int:  # type: ignore[no-untyped-def]
    async with db.transaction() as s:
        return await s.scalar(text(sql), params)


async def _flag(c, post_id: int, reason: str = "spam", body: str | None = None):  # type: ignore[no-untyped-def]
    sent = {"reason": reason, **({"text": body} if body is not None else {})}
    return await c.post(f"/api/v1/posts/{post_id}/flags", json=sent)


async def _flag_events(db) -> list[tuple[str, list[str], str, dict]]:  # type: ignore[no-untyped-def]
    async with db.transaction() as s:
        rows = await s.execute(text("SELECT type, channels, visibility, payload FROM events "
                                    "WHERE type LIKE 'flag.%' ORDER BY id"))  # fmt: skip
    return [(r.type, r.channels, r.visibility, r.payload) for r in rows]


async def test_open_flags_on_a_post_gather_into_one_case(make, db):
    made = await make.thread()
    tid, pid = made["thread"]["id"], made["post"]["id"]
    one, two = await make.logged_in(), await make.logged_in()
    r = await _flag(one, pid, "spam")
    assert r.status_code == 201, r.text
    assert r.json() | {"id": 0} == {"id": 0, "post_id": pid, "reason": "spam", "status": "open"}
    r = await _flag(two, pid, "other", "It names a witness")
    assert r.status_code == 201, r.text
    again = await _flag(one, pid, "abuse")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_flagged")
    assert await _count(db, "SELECT count(*) FROM flag_cases") == 1
    assert await _count(db, "SELECT count(*) FROM flags") == 2
    [opened, flagged] = await _flag_events(db)
    case_id = opened[3]["case_id"]
    ids = {"case_id": case_id, "post_id": pid, "thread_id": tid}
    assert opened == ("flag.case_opened", ["mod:africa"], "staff", ids)
    assert flagged == ("flag.case_flagged", ["mod:africa"], "staff", ids)
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    listed = (await moderator.get("/api/v1/regions/africa/flags")).json()
    [case] = listed["cases"]
    assert (case["id"], case["post_id"], case["thread_id"], case["assigned_to"]) == (
        case_id, pid, tid, None)  # fmt: skip
    assert case["counts"] == {"spam": 1, "abuse": 0, "off_topic": 0, "personal_data": 0,
                              "other": 1}  # fmt: skip
    assert listed["next_cursor"] is None


async def test_members_flagging_at_once_make_one_case(make, db):
    """Concurrent reports on one post, racing a resolution: one open case at a time,
    never an open report in a closed case."""
    pid = (await make.thread())["post"]["id"]
    members = [await make.logged_in() for _ in range(6)]
    answers = await asyncio.gather(*(_flag(c, pid) for c in members[:3]))
    assert [r.status_code for r in answers] == [201] * 3
    case_id = (await _flag_events(db))[0][3]["case_id"]
    admin = await make.logged_in(await make.user(Role.ADMIN))
    resolution = admin.post(f"/api/v1/flag-cases/{case_id}/resolve",
                            json={"outcome": "dismiss", "reason": "Fine"})  # fmt: skip
    answers = await asyncio.gather(resolution, *(_flag(c, pid) for c in members[3:]))
    assert [r.status_code for r in answers] == [200] + [201] * 3
    assert await _count(db, "SELECT count(*) FROM flag_cases WHERE resolved_at IS NULL") <= 1
    orphans = ("SELECT count(*) FROM flags f JOIN flag_cases c ON c.id = f.case_id "
               "WHERE f.closed_at IS NULL AND c.resolved_at IS NOT NULL")  # fmt: skip
    assert await _count(db, orphans) == 0
    assert await _count(db, "SELECT count(*) FROM flags") == 6


async def test_the_queue_is_oldest_first_in_pages(make, db):
    member = await make.logged_in()
    posts = [(await make.thread(title=f"T{n}"))["post"]["id"] for n in range(3)]
    for pid in posts:
        assert (await _flag(member, pid)).status_code == 201
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    r = await moderator.get("/api/v1/regions/africa/flags", params={"limit": 2})
    assert [c["post_id"] for c in r.json()["cases"]] == posts[:2]
    r = await moderator.get("/api/v1/regions/africa/flags",
                            params={"cursor": r.json()["next_cursor"]})  # fmt: skip
    assert [c["post_id"] for c in r.json()["cases"]] == posts[2:]
    assert (await moderator.get("/api/v1/regions/south-east-asia/flags")).status_code == 403
    r = await moderator.get("/api/v1/regions/africa/flags", params={"cursor": "junk"})
    assert r.status_code == 422


async def test_who_may_flag_and_refusals_change_nothing(make, db, client):
    author = await make.user()
    made = await make.thread(author)
    pid = made["post"]["id"]
    members_only = (await make.thread(region="staff-room"))["post"]["id"]
    hidden = (await make.thread())["post"]["id"]
    async with db.transaction() as s:
        await s.execute(text("UPDATE posts SET hidden = true WHERE id = :p"), {"p": hidden})
    suspended = await make.user()
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET suspended_at = now() WHERE id = :id"), suspended)
    applicant = await make.logged_in(await make.user(Role.APPLICANT))
    member = await make.logged_in()
    cases = [
        (client, pid, {"reason": "spam"}, 401, "login_required"),
        (applicant, pid, {"reason": "spam"}, 403, "not_approved"),
        (await make.logged_in(suspended), pid, {"reason": "spam"}, 403, "account_suspended"),
        (await make.logged_in(author), pid, {"reason": "spam"}, 403, "own_post"),
        (applicant, members_only, {"reason": "spam"}, 404, "post_not_found"),
        (member, hidden, {"reason": "spam"}, 404, "post_not_found"),
        (member, 999999, {"reason": "spam"}, 404, "post_not_found"),
        (member, pid, {"reason": "other"}, 422, "text_required"),
        (member, pid, {"reason": "other", "text": "  "}, 422, "validation_failed"),
        (member, pid, {"reason": "other", "text": "x" * 1001}, 422, "validation_failed"),
        (member, pid, {"reason": "rude"}, 422, "validation_failed"),
        (member, pid, {"reason": "spam", "extra": 1}, 422, "validation_failed"),
    ]
    assert (await member.get(f"/posts/{hidden}/flag")).status_code == 404
    assert (await applicant.get(f"/posts/{members_only}/flag")).status_code == 404
    # The form says why before anything is sent, as `/threads/new` does; visitors log in.
    for c, why in ((applicant, "not been approved"), (await make.logged_in(suspended),
                   "suspended"), (await make.logged_in(author), "your own post")):  # fmt: skip
        page = await c.get(f"/posts/{pid}/flag")
        assert page.status_code == 403 and why in page.text, page.text
        assert 'name="reason"' not in page.text
    r = await client.get(f"/posts/{pid}/flag")
    assert (r.status_code, r.headers["location"]) == (303, f"/login?next=/posts/{pid}/flag")
    for c, post_id, body, status, code in cases:
        r = await c.post(f"/api/v1/posts/{post_id}/flags", json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
    assert await _count(db, "SELECT count(*) FROM flags") == 0
    assert await _count(db, "SELECT count(*) FROM flag_cases") == 0
    assert await _flag_events(db) == []


async def _case(make, db, *, author: dict | None = None) -> tuple[int, int, int, list]:  # type: ignore[no-untyped-def]
    """A post flagged by two members: (case id, post id, thread id, the reporters)."""
    made = await make.thread(author)
    reporters = [await make.user(language="fr"), await make.user(language="es")]
    for who, reason in zip(reporters, ("spam", "abuse"), strict=True):
        assert (
            await _flag(await make.logged_in(who), made["post"]["id"], reason)
        ).status_code == 201
    case_id = (await _flag_events(db))[-2][3]["case_id"]
    return case_id, made["post"]["id"], made["thread"]["id"], reporters


async def test_who_may_handle_a_case(make, db, client):
    case_id, _, _, reporters = await _case(make, db)
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    paths = [("GET", f"/api/v1/flag-cases/{case_id}", None),
             ("GET", "/api/v1/regions/africa/flags", None),
             ("POST", f"/api/v1/flag-cases/{case_id}/assign", {"to": "me"}),
             ("POST", f"/api/v1/flag-cases/{case_id}/notes", {"body": "Looks bad"}),
             ("POST", f"/api/v1/flag-cases/{case_id}/resolve",
              {"outcome": "hide", "reason": "Spam"})]  # fmt: skip
    for c, status, code in (
        (client, 401, "login_required"),
        (await make.logged_in(reporters[0]), 403, "moderators_only"),
        (elsewhere, 403, "not_your_region"),
    ):
        for method, path, body in paths:
            r = await c.request(method, path, json=body)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
    admin = await make.logged_in(await make.user(Role.ADMIN))
    assert (await admin.get(f"/api/v1/flag-cases/{case_id}")).status_code == 200
    r = await admin.get("/api/v1/flag-cases/999999")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "case_not_found")
    assert (await admin.get("/api/v1/regions/atlantis/flags")).status_code == 404
    assert await _count(db, "SELECT count(*) FROM flag_notes") == 0
    assert await _count(db, "SELECT count(*) FROM flag_cases WHERE assigned_to IS NOT NULL "
                            "OR resolved_at IS NOT NULL") == 0  # fmt: skip


async def test_assigning_and_notes(make, db):
    case_id, _, _, _ = await _case(make, db)
    first = await make.logged_in(await _moderator(make, db, "africa"))
    second = await make.logged_in(await _moderator(make, db, "africa"))
    url = f"/api/v1/flag-cases/{case_id}"
    r = await first.post(f"{url}/assign", json={"to": "me"})
    assert r.status_code == 200, r.text
    assert r.json()["assigned_to"]["id"] == first.user["id"]  # type: ignore[attr-defined]
    # Shown to the others, in the queue too; one takes it over.
    listed = (await second.get("/api/v1/regions/africa/flags")).json()["cases"]
    assert listed[0]["assigned_to"]["name"] == first.user["display_name"]  # type: ignore[attr-defined]
    r = await second.post(f"{url}/assign", json={"to": "me"})
    assert r.json()["assigned_to"]["id"] == second.user["id"]  # type: ignore[attr-defined]
    r = await second.post(f"{url}/assign", json={"to": None})
    assert r.json()["assigned_to"] is None
    bad = await second.post(f"{url}/assign", json={"to": "someone"})
    assert bad.status_code == 422
    entries = (await second.get("/api/v1/audit", params={"action": "flag.assign"})).json()
    changes = [(e["target_type"], e["before"], e["after"]) for e in reversed(entries["entries"])]
    f, s = first.user["id"], second.user["id"]  # type: ignore[attr-defined]
    assert changes == [
        ("flag_case", {"assigned_to": None}, {"assigned_to": f}),
        ("flag_case", {"assigned_to": f}, {"assigned_to": s}),
        ("flag_case", {"assigned_to": s}, {"assigned_to": None}),
    ]
    assert [e[0] for e in await _flag_events(db)].count("flag.case_assigned") == 3
    # Notes: appended, with who and when; not audited.
    await first.post(f"{url}/notes", json={"body": "Same account spammed before"})
    r = await second.post(f"{url}/notes", json={"body": "Agreed"})
    assert r.status_code == 201, r.text
    notes = r.json()["notes"]
    assert [(n["by"]["id"], n["body"]) for n in notes] == [
        (f, "Same account spammed before"), (s, "Agreed")]  # fmt: skip
    r = await second.post(f"{url}/notes", json={"body": " "})
    assert r.status_code == 422
    assert await _count(db, "SELECT count(*) FROM flag_notes") == 2
    assert (
        await _count(db, "SELECT count(*) FROM audit_log WHERE action NOT LIKE 'flag.assign'") == 0
    )


async def test_resolving_acts_closes_the_case_and_tells_the_reporters(smtp_app, db, inbox):
    make = Factory(smtp_app, db)
    case_id, pid, tid, reporters = await _case(make, db)
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    url = f"/api/v1/flag-cases/{case_id}"
    r = await moderator.post(f"{url}/resolve", json={"outcome": "hide", "reason": "Spam links"})
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["resolution"]) == ("hide", "Spam links")
    assert r.json()["resolved_at"] is not None and r.json()["post"]["hidden"] is True
    assert all(not f["open"] for f in r.json()["flags"])
    assert await _count(db, "SELECT count(*) FROM posts WHERE id = :p AND hidden", p=pid) == 1
    assert (await moderator.get("/api/v1/regions/africa/flags")).json()["cases"] == []
    actions = [e["action"] for e in (await moderator.get("/api/v1/audit")).json()["entries"]]
    assert actions == ["flag.resolve", "post.hide"]
    entry = (await moderator.get("/api/v1/audit")).json()["entries"][0]
    assert entry["before"] == {"status": "open", "assigned_to": None}
    assert entry["after"] == {"status": "resolved", "outcome": "hide"}
    assert (await _flag_events(db))[-3][0] == "flag.case_resolved"
    for who in reporters:
        async with db.transaction() as s:
            told = (await s.execute(text(
                "SELECT type, visibility, payload FROM events WHERE channels = :c"),
                {"c": [f"user:{who['id']}"]})).one()  # fmt: skip
        assert (told.type, told.visibility) == ("flag.reviewed", f"user:{who['id']}")
        assert set(told.payload) == {"flag_id", "post_id", "outcome"}
        assert told.payload["outcome"] == "action_taken"
    await mail.settle(smtp_app)
    [fr] = inbox.to(reporters[0]["email"])
    assert "a pris des mesures" in mail.text_of(fr)
    [es] = inbox.to(reporters[1]["email"])
    body = mail.text_of(es)
    assert "tomó medidas" in body
    assert moderator.user["display_name"] not in body  # type: ignore[attr-defined]
    assert reporters[0]["display_name"] not in body and "Spam links" not in body
    again = await moderator.post(f"{url}/resolve", json={"outcome": "dismiss", "reason": "x"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "case_closed")
    assigned = await moderator.post(f"{url}/assign", json={"to": "me"})
    assert assigned.status_code == 409
    # A new report after resolution opens a new case.
    assert (await _flag(await make.logged_in(reporters[0]), pid)).status_code == 404  # hidden
    assert tid


@pytest.mark.parametrize("outcome", ["dismiss", "delete", "suspend"])
async def test_each_outcome(make, db, outcome):
    author = await make.user()
    case_id, pid, _, reporters = await _case(make, db, author=author)
    admin = await make.logged_in(await make.user(Role.ADMIN))
    sent = {"outcome": outcome, "reason": "Reviewed"}
    r = await admin.post(f"/api/v1/flag-cases/{case_id}/resolve", json=sent)
    assert r.status_code == 200, r.text
    deleted = await _count(db, "SELECT count(*) FROM posts WHERE id = :p AND deleted_at IS NOT "
                               "NULL", p=pid)  # fmt: skip
    suspended = await _count(db, "SELECT count(*) FROM users WHERE id = :u AND suspended_at IS "
                                 "NOT NULL", u=author["id"])  # fmt: skip
    assert (deleted, suspended) == (outcome == "delete", outcome == "suspend")
    told = await _count(db, "SELECT count(*) FROM events WHERE type = 'flag.reviewed' AND "
                            "payload->>'outcome' = :o",
                        o="no_breach" if outcome == "dismiss" else "action_taken")  # fmt: skip
    assert told == 2
    if outcome == "dismiss":
        # The post stays; a member may report it again: a new case.
        assert (await _flag(await make.logged_in(reporters[0]), pid)).status_code == 201
        assert await _count(db, "SELECT count(*) FROM flag_cases WHERE post_id = :p", p=pid) == 2


async def test_bad_resolutions_change_nothing(make, db):
    case_id, pid, _, _ = await _case(make, db, author=await make.user(Role.MODERATOR))
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    url = f"/api/v1/flag-cases/{case_id}/resolve"
    for c, body, status, code in (
        (moderator, {"outcome": "ban", "reason": "x"}, 422, "validation_failed"),
        (moderator, {"outcome": "hide"}, 422, "validation_failed"),
        (moderator, {"outcome": "hide", "reason": "  "}, 422, "validation_failed"),
        (admin, {"outcome": "suspend", "reason": "x", "until": "2001-01-01"}, 422,
         "until_not_future"),
        (moderator, {"outcome": "suspend", "reason": "x"}, 403, "staff_account"),
    ):  # fmt: skip
        r = await c.post(url, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
    assert await _count(db, "SELECT count(*) FROM flag_cases WHERE resolved_at IS NULL") == 1
    assert await _count(db, "SELECT count(*) FROM flags WHERE closed_at IS NULL") == 2
    assert await _count(db, "SELECT count(*) FROM posts WHERE id = :p AND hidden", p=pid) == 0
    assert await _count(db, "SELECT count(*) FROM audit_log") == 0
    assert await _count(db, "SELECT count(*) FROM users WHERE suspended_at IS NOT NULL") == 0


async def test_a_reasons_text_reaches_only_the_regions_moderators(make, db, client):
    author = await make.user()
    made = await make.thread(author)
    tid, pid = made["thread"]["id"], made["post"]["id"]
    reporter = await make.user(display_name="Whistle Reporter")
    c = await make.logged_in(reporter)
    r = await _flag(c, pid, "other", f"Names my colleague {CANARY}")
    assert r.status_code == 201 and CANARY not in r.text
    case_id = (await _flag_events(db))[-1][3]["case_id"]
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    seen = (await moderator.get(f"/api/v1/flag-cases/{case_id}")).text
    assert CANARY in seen and "Whistle Reporter" in seen  # so the checks below can fail
    assert CANARY in (await moderator.get(f"/flag-cases/{case_id}")).text
    await moderator.post(f"/api/v1/flag-cases/{case_id}/resolve",
                         json={"outcome": "dismiss", "reason": "Nothing wrong"})  # fmt: skip
    readers = [client, await make.logged_in(author), await make.logged_in(),
               await make.logged_in(await _moderator(make, db, "south-east-asia"))]  # fmt: skip
    for reader in readers:
        for path in (f"/api/v1/flag-cases/{case_id}", "/api/v1/regions/africa/flags",
                     f"/api/v1/threads/{tid}", f"/threads/{tid}", f"/flag-cases/{case_id}",
                     "/regions/africa/flags", f"/api/v1/posts/{pid}/revisions",
                     "/api/v1/audit", "/audit", f"/api/v1/search?q={CANARY}"):  # fmt: skip
            r = await reader.get(path)
            assert CANARY not in r.text and "Whistle Reporter" not in r.text, path
    # No store a reader's channel draws on holds it: events (live and replay), the
    # audit log, the outbox, search.
    for table, column in (("events", "payload"), ("audit_log", "reason"),
                          ("audit_log", "before"), ("outbox", "params"),
                          ("search_documents", "tsv")):  # fmt: skip
        found = await _count(db, f"SELECT count(*) FROM {table} WHERE {column}::text LIKE :c",
                             c=f"%{CANARY}%")  # fmt: skip
        assert found == 0, table


async def _make_moderator(db, user_id: int, *regions: str) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as s:
        await moderators.assign(s, None, await catalog.load(s), user_id, list(regions))


async def test_a_regions_queue_channel_is_its_moderators_and_follows_their_regions(served, db):
    """Live: a new case reaches the region's moderators on `mod:<slug>` (ids only); a
    moderator of another region may not join; one removed from the region is closed out
    at once and refused on rejoining, replay included."""
    try:
        ours, theirs, reporter, writer = [await member(served) for _ in range(4)]
        await _make_moderator(db, ours.user_id, "africa", "south-east-asia")
        await _make_moderator(db, theirs.user_id, "south-east-asia")
        post = await writer.reply(await writer.thread(), f"Flag me {CANARY}")
        async with connect(ws_url(served), additional_headers={"Cookie": theirs.cookie}) as ws:
            await send(ws, op="subscribe", channels=["mod:africa"], since="0-0")
            frames = await until(ws, lambda f: f["op"] == "subscribed")
            assert [(f["op"], f.get("code")) for f in frames] == [
                ("error", "channel_forbidden"), ("subscribed", None)]  # fmt: skip
        async with connect(ws_url(served), additional_headers={"Cookie": ours.cookie}) as ws:
            await subscribe(ws, "mod:africa")
            r = await reporter.http.post(f"/api/v1/posts/{post['id']}/flags",
                                         json={"reason": "other", "text": CANARY})  # fmt: skip
            assert r.status_code == 201, r.text
            frames = await until(ws, lambda f: f["op"] == "event")
            [event] = events_of(frames)
            assert (event["channel"], event["type"]) == ("mod:africa", "flag.case_opened")
            assert set(event["data"]) == {"case_id", "post_id", "thread_id"}
            seen = event["id"]
            # Removed from africa (still a moderator, of south-east-asia): closed at once.
            await _make_moderator(db, ours.user_id, "south-east-asia")
            _, code = await until_closed(ws)
            assert code == Close.SESSION_CHANGED
        async with connect(ws_url(served), additional_headers={"Cookie": ours.cookie}) as ws:
            await send(ws, op="subscribe", channels=["mod:africa"], since=seen)
            frames = await until(ws, lambda f: f["op"] == "subscribed")
            assert [(f["op"], f.get("code")) for f in frames] == [
                ("error", "channel_forbidden"), ("subscribed", None)]  # fmt: skip
        # The reporter's own channel, replayed: the outcome, none of the case's text.
        async with connect(ws_url(served), additional_headers={"Cookie": reporter.cookie}) as ws:
            admin = await member(served)
            await _make_moderator(db, admin.user_id, "africa")
            case = (await admin.http.get("/api/v1/regions/africa/flags")).json()["cases"][0]
            r = await admin.http.post(f"/api/v1/flag-cases/{case['id']}/resolve",
                                      json={"outcome": "dismiss", "reason": "Fine"})  # fmt: skip
            assert r.status_code == 200, r.text
            await send(ws, op="subscribe", channels=[f"user:{reporter.user_id}"], since="0-0")
            frames = await until(ws, lambda f: f["op"] == "event" and f["type"] == "flag.reviewed")
            assert events_of(frames)[-1]["data"]["outcome"] == "no_breach"
            assert all(CANARY not in str(f) for f in frames)
    finally:
        await close_members()


async def test_the_pages_report_take_note_and_resolve_without_javascript(make, db):
    author = await make.user()
    made = await make.thread(author, title="Tender watch")
    tid, pid = made["thread"]["id"], made["post"]["id"]
    reporter = await make.logged_in()
    thread_page = (await reporter.get(f"/threads/{tid}")).text
    assert f'href="/posts/{pid}/flag"' in thread_page
    own = (await (await make.logged_in(author)).get(f"/threads/{tid}")).text
    assert f'href="/posts/{pid}/flag"' not in own
    form = f"/posts/{pid}/flag"
    bad = await submit(reporter, form, form, {"reason": "other", "text": ""})
    assert bad.status_code == 422 and "text" in field_errors(bad.text)
    assert 'value="other" checked' in bad.text
    done = await submit(reporter, form, form, {"reason": "spam", "text": ""})
    assert (done.status_code, done.headers["location"]) == (303, f"{form}?done=1")
    again = await submit(reporter, form, form, {"reason": "spam", "text": ""})
    assert again.status_code == 409 and "reported this post already" in again.text
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    home = (await moderator.get("/moderation")).text
    assert 'href="/regions/africa/flags"' in home and "1 open case" in home
    assert 'href="/regions/south-east-asia/flags"' not in home
    queue = (await moderator.get("/regions/africa/flags")).text
    case_id = (await _flag_events(db))[-1][3]["case_id"]
    assert f'href="/flag-cases/{case_id}"' in queue and "Tender watch" in queue
    assert 'data-live-queue="africa"' in queue and '<template id="case-row">' in queue
    page = f"/flag-cases/{case_id}"
    r = await submit(moderator, page, f"{page}/assign", {"to": "me"})
    assert (r.status_code, r.headers["location"]) == (303, page)
    shown = (await moderator.get(page)).text
    assert "is handling this case" in shown and "Let it go" in shown
    r = await submit(moderator, page, f"{page}/notes", {"body": "Known spammer"})
    assert r.status_code == 303
    r = await submit(moderator, page, f"{page}/resolve", {"outcome": "delete", "reason": ""})
    assert r.status_code == 422 and "reason" in field_errors(r.text)
    assert "Known spammer" in r.text
    r = await submit(moderator, page, f"{page}/resolve",
                     {"outcome": "delete", "reason": "Advertising", "until": ""})  # fmt: skip
    assert r.status_code == 303, r.text
    shown = (await moderator.get(page)).text
    assert "Advertising" in shown and "Resolve the case" not in shown
    assert await _count(db, "SELECT count(*) FROM posts WHERE id = :p AND deleted_at IS NOT "
                            "NULL", p=pid) == 1  # fmt: skip
    # Others: the member is refused, the moderator of another region too.
    assert (await reporter.get(page)).status_code == 403
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    assert (await elsewhere.get("/regions/africa/flags")).status_code == 403
    assert (await reporter.get("/moderation")).status_code == 403

"""The approval queue (issue 12): a region's admin turns it on; a new member's reply or
new thread there is held, seen only by its author and moderators, until a moderator of
the region (or an admin) approves it, edited or not, or rejects it with a reason the
author is emailed. Every action through the API with its event and audit entry, and
every refusal changing nothing."""

from __future__ import annotations

import orjson
from sqlalchemy import insert, text

from forum import threads
from forum.models import Country, Region, Role, Topic
from tests.pages import field_errors, submit
from tests.web.test_audit import _moderator
from tests.web.test_leaks import (
    Case,
    Live,
    Reader,
    World,
    _numbers,
    anonymous,
    everything,
    reader,
    regions_known,
    replay,
    stores,
    subscribe,
    topic_count,
    wait_for,
    word,
    world,  # noqa: F401 (the served forum the canary test runs against)
)
from web.mail import renderer

API = "/api/v1"


async def _queue_on(db, region: str = "africa", on: bool = True) -> None:
    async with db.transaction() as s:
        await s.execute(text("UPDATE regions SET approve_new_members = :on WHERE slug = :r"),
                        {"on": on, "r": region})  # fmt: skip


async def _rows(db, sql: str, **params) -> list:
    async with db.transaction() as s:
        return list(await s.execute(text(sql), params))


async def _post(db, post_id: int):
    (row,) = await _rows(
        db, "SELECT position, pending, hidden, deleted_at, body_source, revision "
        "FROM posts WHERE id = :p", p=post_id,
    )  # fmt: skip
    return row


async def _state(db) -> tuple:
    """Everything an approval or a rejection changes, to assert a refusal changed nothing."""
    return (
        await _rows(db, "SELECT id, position, pending, hidden, deleted_at, body_source "
                    "FROM posts ORDER BY id"),
        await _rows(db, "SELECT id, post_count, pending, hidden, title FROM threads ORDER BY id"),
        await _rows(db, "SELECT count(*) FROM events"),
        await _rows(db, "SELECT count(*) FROM audit_log"),
        await _rows(db, "SELECT count(*) FROM outbox"),
        await _rows(db, "SELECT id, trusted_at FROM users ORDER BY id"),
    )  # fmt: skip


async def _held_reply(make, db, body: str = "Held words") -> tuple[int, int, object]:
    """A thread by a trusted member, and a new member's reply held in it."""
    tid = (await make.thread())["thread"]["id"]
    await _queue_on(db)
    newbie = await make.logged_in()
    r = await newbie.post(f"{API}/threads/{tid}/posts", json={"body": body})
    assert r.status_code == 201, r.text
    assert (r.json()["pending"], r.json()["position"]) == (True, None)
    return tid, r.json()["id"], newbie


async def test_admins_change_a_regions_settings_audited(make, db):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    change = {"approve_new_members": True, "description": "West and East"}
    r = await admin.patch(f"{API}/regions/africa", json=change)
    assert r.status_code == 200, r.text
    assert (r.json()["approve_new_members"], r.json()["description"]) == (True, "West and East")
    listed = (await admin.get(f"{API}/regions/settings")).json()["regions"]
    assert next(x for x in listed if x["slug"] == "africa")["approve_new_members"] is True
    entry = (await admin.get(f"{API}/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_type"], entry["region"]) == (
        "region.settings", "region", "africa")  # fmt: skip
    assert entry["before"] == {"approve_new_members": False, "description_changed": False}
    assert entry["after"] == {"approve_new_members": True, "description_changed": True}
    # The same again changes and records nothing.
    r = await admin.patch(f"{API}/regions/africa", json={"approve_new_members": True})
    assert r.status_code == 200
    assert len((await admin.get(f"{API}/audit")).json()["entries"]) == 1


async def test_only_admins_change_settings_and_bad_input_changes_nothing(make, db, client):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    member = await make.logged_in()
    before = await _state(db)
    on = {"approve_new_members": True}
    for who, path, body, status, code in (
        (client, "africa", on, 401, "login_required"),
        (member, "africa", on, 403, "admin_only"),
        (moderator, "africa", on, 403, "admin_only"),
        (admin, "atlantis", on, 404, "region_not_found"),
        (admin, "africa", {"approve_new_members": "yes"}, 422, None),
        (admin, "africa", {"colour": "red"}, 422, None),
        (admin, "africa", {"description": "x" * 2001}, 422, None),
    ):
        r = await who.patch(f"{API}/regions/{path}", json=body)
        assert r.status_code == status, (path, body, r.text)
        if code:
            assert r.json()["error"]["code"] == code
    assert (await client.get(f"{API}/regions/settings")).status_code == 401
    assert (await member.get(f"{API}/regions/settings")).status_code == 403
    assert await _state(db) == before


async def test_a_held_reply_is_seen_by_its_author_and_moderators_only(make, db, client):
    tid, pid, newbie = await _held_reply(make, db)
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    other = await make.logged_in()
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    for who in (client, other, elsewhere):
        page = (await who.get(f"{API}/threads/{tid}")).json()
        assert [p["id"] for p in page["posts"]] == [page["posts"][0]["id"]]
        assert page["pending"] == [] and page["thread"]["post_count"] == 1
        assert (await who.get(f"/threads/{tid}")).text.count("Held words") == 0
    for who in (other, elsewhere):
        assert (await who.get(f"{API}/posts/{pid}/revisions")).status_code == 404
    mine = (await newbie.get(f"{API}/threads/{tid}")).json()["pending"]
    assert [(p["id"], p["body"]) for p in mine] == [(pid, "Held words")]
    assert "Awaiting a moderator" in (await newbie.get(f"/threads/{tid}")).text
    seen = (await moderator.get(f"{API}/threads/{tid}")).json()["pending"]
    assert [p["id"] for p in seen] == [pid]
    # Only on the moderators' channel, for staff.
    events = await _rows(db, "SELECT type, channels, visibility FROM events "
                         "WHERE payload->>'post_id' = :p", p=str(pid))  # fmt: skip
    assert [(e.type, e.channels, e.visibility) for e in events] == [
        ("approval.held", ["mod:africa"], "staff")]  # fmt: skip
    assert await _rows(db, "SELECT 1 FROM search_documents WHERE post_id = :p", p=pid) == []
    # A moderator cannot just show it: it is approved or rejected.
    r = await moderator.post(f"{API}/posts/{pid}/show")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "post_pending")


async def test_approving_an_edited_reply_publishes_it_as_if_just_written(make, db):
    tid, pid, newbie = await _held_reply(make, db)
    mod_user = await _moderator(make, db, "africa")
    moderator = await make.logged_in(mod_user)
    queue = (await moderator.get(f"{API}/regions/africa/approvals")).json()
    assert [(h["post"]["id"], h["thread_id"], h["new_thread"]) for h in queue["posts"]] == [
        (pid, tid, False)]  # fmt: skip
    r = await moderator.post(f"{API}/posts/{pid}/approve", json={"body": "Held words, tidied"})
    assert r.status_code == 200, r.text
    assert (r.json()["position"], r.json()["pending"], r.json()["body"]) == (
        2, False, "Held words, tidied")  # fmt: skip
    page = (await make.logged_in()).get(f"{API}/threads/{tid}")
    page = (await page).json()
    assert page["thread"]["post_count"] == 2 and page["posts"][1]["body"] == "Held words, tidied"
    (rev,) = await _rows(db, "SELECT body_source, editor_id FROM post_revisions WHERE post_id = :p",
                         p=pid)  # fmt: skip
    assert (rev.body_source, rev.editor_id) == ("Held words", mod_user["id"])
    events = await _rows(db, "SELECT type, channels, visibility FROM events "
                         "WHERE payload->>'post_id' = :p ORDER BY id", p=str(pid))  # fmt: skip
    assert [(e.type, e.visibility) for e in events] == [
        ("approval.held", "staff"), ("post.created", "public"),
        ("approval.approved", f"user:{newbie.user['id']}")]  # fmt: skip
    assert events[1].channels == [f"thread:{tid}", "region:africa", "topic:public-procurement"]
    assert await _rows(db, "SELECT 1 FROM search_documents WHERE post_id = :p", p=pid) != []
    entry = (await moderator.get(f"{API}/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_id"], entry["after"]) == (
        "post.approve", pid, {"pending": False, "edited": True})  # fmt: skip
    assert (await moderator.get(f"{API}/regions/africa/approvals")).json()["posts"] == []
    # Trusted now: the next reply is published at once.
    r = await newbie.post(f"{API}/threads/{tid}/posts", json={"body": "Again"})
    assert (r.json()["pending"], r.json()["position"]) == (False, 3)


async def test_a_held_thread_is_approved_with_its_title_edited(make, db):
    await _queue_on(db)
    newbie = await make.logged_in()
    admin = await make.logged_in(await make.user(Role.ADMIN))
    member = await make.logged_in()
    counts = (await member.get(f"{API}/regions")).json()["regions"]
    before = next(r["thread_count"] for r in counts if r["slug"] == "africa")
    started = {"region": "africa", "topic": "public-procurement",
               "title": "Tenders gone wrong", "body": "First"}  # fmt: skip
    r = await newbie.post(f"{API}/threads", json=started)
    assert r.status_code == 201, r.text
    tid, pid = r.json()["thread"]["id"], r.json()["post"]["id"]
    assert r.json()["thread"]["pending"] is True and r.json()["post"]["pending"] is True
    assert (await member.get(f"{API}/threads/{tid}")).status_code == 404
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    assert (await elsewhere.get(f"{API}/threads/{tid}")).status_code == 404
    assert (await elsewhere.get(f"/posts/{pid}/revisions")).status_code == 404
    assert (await newbie.get(f"{API}/threads/{tid}")).status_code == 200
    assert (await admin.get(f"{API}/threads/{tid}")).status_code == 200
    # What happens to it meanwhile (a moderator pins it) reaches its author only, live
    # and on resume: no audience names its region's moderators alone.
    async with db.transaction() as s:
        assert (await threads.current(s, [tid]))[tid][1] == f"user:{newbie.user['id']}"
    assert tid not in [t["id"] for t in (await member.get(f"{API}/threads")).json()["threads"]]
    r = await admin.post(f"{API}/posts/{pid}/approve", json={"title": "Tenders, reviewed"})
    assert r.status_code == 200, r.text
    thread = (await member.get(f"{API}/threads/{tid}")).json()["thread"]
    assert (thread["title"], thread["pending"], thread["hidden"]) == (
        "Tenders, reviewed", False, False)  # fmt: skip
    counts = (await member.get(f"{API}/regions")).json()["regions"]
    assert next(r["thread_count"] for r in counts if r["slug"] == "africa") == before + 1
    async with db.transaction() as s:
        assert (await threads.current(s, [tid]))[tid][1] == "public"
    (event,) = await _rows(db, "SELECT visibility FROM events WHERE type = 'thread.created' "
                           "AND payload->>'thread_id' = :t", t=str(tid))  # fmt: skip
    assert event.visibility == "public"


async def test_rejecting_deletes_erases_and_tells_the_author(make, db):
    tid, pid, newbie = await _held_reply(make, db)
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET language = 'fr' WHERE id = :u"),
                        {"u": newbie.user["id"]})  # fmt: skip
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    before = await _state(db)
    for body in ({}, {"reason": ""}, {"reason": "x" * 1001}):
        r = await moderator.post(f"{API}/posts/{pid}/reject", json=body)
        assert r.status_code == 422, r.text
    assert await _state(db) == before
    r = await moderator.post(f"{API}/posts/{pid}/reject", json={"reason": "Names a witness"})
    assert r.status_code == 200, r.text
    row = await _post(db, pid)
    assert row.deleted_at is not None and row.body_source == "" and row.position is None
    (mail,) = await _rows(db, "SELECT kind, recipient, language, params FROM outbox "
                          "WHERE kind = 'post_rejected'")  # fmt: skip
    assert (mail.recipient, mail.language) == (newbie.user["email"], "fr")
    assert mail.params["reason"] == "Names a witness"
    written = renderer("https://forum.example.org")(mail.kind, mail.language, mail.params)
    assert written.subject == "Votre message n'a pas été approuvé"
    assert "Names a witness" in written.text and "n'a pas approuvé" in written.html
    (event,) = await _rows(db, "SELECT channels, visibility, payload FROM events "
                           "WHERE type = 'approval.rejected'")  # fmt: skip
    assert event.channels == [f"user:{newbie.user['id']}"]
    assert event.payload["reason"] == "Names a witness"
    entry = (await moderator.get(f"{API}/audit")).json()["entries"][0]
    assert (entry["action"], entry["reason"]) == ("post.reject", "Names a witness")
    assert (await newbie.get(f"{API}/threads/{tid}")).json()["pending"] == []
    assert "Held words" not in (await newbie.get(f"{API}/posts/{pid}/revisions")).text
    r = await moderator.post(f"{API}/posts/{pid}/approve")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_pending")


async def test_who_may_decide_and_bad_input_change_nothing(make, db, client):
    published = (await make.thread())["post"]["id"]
    _, pid, newbie = await _held_reply(make, db)
    other_mod = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    member = await make.logged_in()
    admin = await make.logged_in(await make.user(Role.ADMIN))
    before = await _state(db)
    reason = {"reason": "Off topic"}
    for who, path, body, status, code in (
        (client, f"/posts/{pid}/approve", None, 401, "login_required"),
        (client, f"/posts/{pid}/reject", reason, 401, "login_required"),
        (member, f"/posts/{pid}/approve", None, 403, "moderators_only"),
        (newbie, f"/posts/{pid}/approve", None, 403, "moderators_only"),
        (member, f"/posts/{pid}/reject", reason, 403, "moderators_only"),
        (other_mod, f"/posts/{pid}/approve", None, 403, "not_your_region"),
        (other_mod, f"/posts/{pid}/reject", reason, 403, "not_your_region"),
        (admin, "/posts/987654/approve", None, 404, "post_not_found"),
        (admin, "/posts/987654/reject", reason, 404, "post_not_found"),
        (admin, f"/posts/{pid}/approve", {"body": 7}, 422, None),
        (admin, f"/posts/{pid}/approve", {"title": "A reply has none"}, 422, "no_title"),
        (admin, f"/posts/{pid}/reject", {"reason": "x", "more": 1}, 422, None),
        (admin, f"/posts/{published}/approve", None, 409, "not_pending"),
    ):
        r = await who.post(API + path, json=body)
        assert r.status_code == status, (path, r.text)
        if code:
            assert r.json()["error"]["code"] == code, r.text
    for who, slug, status in ((client, "africa", 401), (member, "africa", 403),
                              (other_mod, "africa", 403), (admin, "atlantis", 404)):  # fmt: skip
        r = await who.get(f"{API}/regions/{slug}/approvals")
        assert r.status_code == status, r.text
    assert await _state(db) == before


async def test_who_is_held(make, db):
    """Trusted: a member with a post before (published where nothing is held), a
    moderator, an admin. Held: a member who never published."""
    tid = (await make.thread())["thread"]["id"]
    early = await make.logged_in()
    r = await early.post(f"{API}/threads/{tid}/posts", json={"body": "Before the queue"})
    assert r.json()["pending"] is False
    await _queue_on(db)
    for who, held in (
        (early, False),
        (await make.logged_in(await make.user(Role.ADMIN)), False),
        (await make.logged_in(await _moderator(make, db, "south-east-asia")), False),
        (await make.logged_in(), True),
    ):
        r = await who.post(f"{API}/threads/{tid}/posts", json={"body": "Now"})
        assert r.status_code == 201 and r.json()["pending"] is held, r.text
    # Another region holds nobody: a new member posts there at once, and is trusted.
    newbie = await make.logged_in()
    asia = (await make.thread(region="south-east-asia"))["thread"]["id"]
    assert (await newbie.post(f"{API}/threads/{asia}/posts", json={"body": "x"})).json()[
        "pending"] is False  # fmt: skip
    r = await newbie.post(f"{API}/threads/{tid}/posts", json={"body": "Now"})
    assert r.json()["pending"] is False


# The pages: the queue for the region's moderators, the admins' regions page, the
# "Moderation" entry, and the author's page after posting without JavaScript.


async def test_the_queue_page_approves_an_edited_post_and_rejects_with_a_reason(make, db):
    tid, pid, newbie = await _held_reply(make, db, body="Held *words*")
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    queue = "/regions/africa/approvals"
    page = (await moderator.get(queue)).text
    assert "Held *words*" in page and f'action="{queue}/{pid}/approve"' in page
    # A rejection without a reason: the error next to the field, nothing changed.
    before = await _state(db)
    r = await submit(moderator, queue, f"{queue}/{pid}/reject", {"reason": ""})
    assert r.status_code == 422
    assert f"reason-{pid}" in field_errors(r.text)
    assert await _state(db) == before
    r = await submit(moderator, queue, f"{queue}/{pid}/approve", {"body": "Held words, edited"})
    assert (r.status_code, r.headers["location"]) == (303, f"{queue}?done=approved")
    page = (await (await make.logged_in()).get(f"/threads/{tid}")).text
    assert "Held words, edited" in page and "Held *words*" not in page
    # Another held post, rejected from the page.
    r = await newbie.post(f"{API}/threads/{tid}/posts", json={"body": "Second try"})
    assert r.json()["pending"] is False  # trusted since the approval
    other = await make.logged_in()
    second = (await other.post(f"{API}/threads/{tid}/posts", json={"body": "Spam"})).json()["id"]
    r = await submit(moderator, queue, f"{queue}/{second}/reject", {"reason": "Advertising"})
    assert (r.status_code, r.headers["location"]) == (303, f"{queue}?done=rejected")
    assert (await _post(db, second)).deleted_at is not None


async def test_the_queue_page_is_for_the_regions_moderators(make, db, client):
    await _held_reply(make, db)
    r = await client.get("/regions/africa/approvals")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    member = await make.logged_in()
    other_mod = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    for who in (member, other_mod):
        r = await who.get("/regions/africa/approvals")
        assert r.status_code == 403 and "Held words" not in r.text
    assert (await other_mod.get("/regions/atlantis/approvals")).status_code == 404
    # The "Moderation" entries: on the region page of the region's moderators only, and
    # on their moderation page.
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    assert "/regions/africa/approvals" in (await moderator.get("/regions/africa")).text
    assert "/regions/africa/approvals" in (await moderator.get("/moderation")).text
    assert "/regions/africa/approvals" not in (await other_mod.get("/moderation")).text
    for who in (member, other_mod, client):
        assert "/regions/africa/approvals" not in (await who.get("/regions/africa")).text


async def test_the_authors_page_after_posting_says_it_awaits_approval(make, db):
    tid = (await make.thread())["thread"]["id"]
    await _queue_on(db)
    newbie = await make.logged_in()
    r = await submit(newbie, f"/threads/{tid}", f"/threads/{tid}/reply",
                     {"body": "My first words", "once": "k1", "reply_to": ""})  # fmt: skip
    assert r.status_code == 303, r.text
    page = (await newbie.get(r.headers["location"])).text
    assert "My first words" in page and "Awaiting a moderator" in page


async def test_admins_change_settings_on_their_page(make, db):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    page = (await admin.get("/admin/regions")).text
    assert 'action="/admin/regions/africa"' in page
    r = await submit(admin, "/admin/regions", "/admin/regions/africa",
                     {"description": "x" * 2001, "approve_new_members": "on"})  # fmt: skip
    assert r.status_code == 422 and "description-africa" in field_errors(r.text)
    r = await submit(admin, "/admin/regions", "/admin/regions/africa",
                     {"description": "West Africa", "approve_new_members": "on"})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, "/admin/regions?done=africa")
    (row,) = await _rows(db, "SELECT description, approve_new_members FROM regions "
                         "WHERE slug = 'africa'")  # fmt: skip
    assert tuple(row) == ("West Africa", True)
    member = await make.logged_in()
    assert (await member.get("/admin/regions")).status_code == 403


# The canary: a held post's words reach its author and the region's moderators only, on
# every channel, until it is approved; rejected, nobody.


async def _held_place(served: World) -> tuple[str, str, str]:
    """A public region of the test's own that holds new members' posts, a topic, and a
    country in the region (a code ISO 3166 leaves to users: no real country's)."""
    n = next(_numbers)
    region, topic, country = f"held-region-{n}", f"held-topic-{n}", f"Q{chr(ord('A') + n % 26)}"
    async with served.db.transaction() as s:
        made = await s.execute(insert(Region).values(slug=region, name=f"Held region {n}",
                                                     approve_new_members=True)
                               .returning(Region.id))  # fmt: skip
        await s.execute(insert(Topic).values(slug=topic, name=f"Held topic {n}"))
        await s.execute(insert(Country).values(code=country, name=f"Held country {n}",
                                               region_id=made.scalar()))  # fmt: skip
    await wait_for(lambda: regions_known(served, region))
    return region, topic, country


async def _moderates(served: World, who: Reader, region: str) -> None:
    async with served.db.transaction() as s:
        await s.execute(
            text("INSERT INTO moderated_regions SELECT :u, id FROM regions WHERE slug = :r"),
            {"u": who.user_id, "r": region},
        )


async def test_a_held_posts_canary_reaches_only_its_author_and_moderators(world: World):  # noqa: F811
    canary = word()
    region, topic, country = await _held_place(world)
    author = world.author
    assert author is not None
    case = Case(world, "held", canary, region, topic, country)
    case.thread_id = await author.thread(region, topic, "A public thread", "The testimony.")
    newbie, member, visitor = await reader(world), await reader(world), anonymous(world)
    moderator = await reader(world, Role.MODERATOR)
    await _moderates(world, moderator, region)
    r = await member.http.post(f"/api/v1/threads/{case.thread_id}/read", json={"position": 1})
    assert r.status_code == 200, r.text
    elsewhere = await reader(world, Role.MODERATOR)  # a moderator of another region
    await _moderates(world, elsewhere, "africa")
    others = (member, visitor, elsewhere)

    async with member.ws() as member_ws, visitor.ws() as visitor_ws, elsewhere.ws() as mod_ws:
        lives = [Live(member_ws), Live(visitor_ws), Live(mod_ws)]
        for live in lives:
            await subscribe(live.ws, case.channels)
        queue_live = Live(await moderator.ws())  # the region's queue, as its page listens
        await subscribe(queue_live.ws, [f"mod:{region}"])
        # Three held replies ("did you mean" proposes words three posts hold) and a held
        # thread with the canary in its title.
        for n in range(3):
            said = {"body": f"Witness {n} saw {canary} take the bribe."}
            r = await newbie.http.post(f"/api/v1/threads/{case.thread_id}/posts", json=said)
            assert r.status_code == 201 and r.json()["pending"] is True, r.text
            case.canary_posts.append(r.json()["id"])
        r = await newbie.http.post("/api/v1/threads", json={
            "region": region, "topic": topic, "title": f"Testimony about {canary}",
            "body": f"The testimony names {canary}.", "countries": [country]})  # fmt: skip
        assert r.status_code == 201 and r.json()["thread"]["pending"] is True, r.text
        held_thread, opening = r.json()["thread"]["id"], r.json()["post"]["id"]
        case.canary_posts.append(opening)
        # Its author edits a held reply: the thread's readers (a moderator of another
        # region among them) are not told that anything happened.
        said = {"body": f"Witness 0 saw {canary} take the bribe, twice."}
        r = await newbie.http.patch(f"/api/v1/posts/{case.canary_posts[0]}", json=said)
        assert r.status_code == 200, r.text
        await world.search.keep_up()
        marker = await author.reply(case.thread_id, "A published reply")
        for live in lives:
            await live.drain(lambda f: f.get("data", {}).get("post", {}).get("id") == marker)

        # The author and the region's moderators see it (so the checks below can fail).
        mine = (await newbie.http.get(f"/api/v1/threads/{case.thread_id}")).text
        assert mine.count(canary) == 6  # three replies, their source and their HTML
        assert canary in (await newbie.http.get(f"/threads/{held_thread}")).text
        queue = (await moderator.http.get(f"/api/v1/regions/{region}/approvals")).text
        assert queue.count(canary) == 9  # three replies and the thread's body (twice), its title
        assert canary in (await moderator.http.get(f"/threads/{case.thread_id}")).text

        for who in others:
            seen = await everything(who, case)
            seen["held thread page"] = (await who.http.get(f"/threads/{held_thread}")).text
            seen["held thread API"] = (await who.http.get(f"/api/v1/threads/{held_thread}")).text
            seen["held thread replay"] = await replay(who, [f"thread:{held_thread}"])
            leaks = [channel for channel, text_ in seen.items() if canary in text_]
            assert leaks == [], f"the held canary reached a reader through {leaks}"
            assert await topic_count(who, topic) == 1
            page = (await who.http.get(f"/api/v1/threads/{case.thread_id}")).json()
            assert page["thread"]["post_count"] == 2 and page["pending"] == []
        listed = (await member.http.get("/api/v1/threads", params={"region": region})).json()
        # The member has read the thread's page: the held replies are not "new" to them.
        assert [(t["id"], t["unread"]) for t in listed["threads"]] == [(case.thread_id, 0)]
        # The region's moderators are told live that four posts await them, ids only.
        held = [f for f in queue_live.after_change if f.get("type") == "approval.held"]
        while len(held) < 4:
            await queue_live.drain(lambda f: f.get("type") == "approval.held")
            held = [f for f in queue_live.after_change if f.get("type") == "approval.held"]
        assert sorted(f["data"]["post_id"] for f in held) == sorted(case.canary_posts)
        assert canary not in orjson.dumps(queue_live.after_change).decode()
        await queue_live.ws.close()
        for live in lives:
            assert canary not in orjson.dumps(live.after_change).decode(), "websocket live"
            assert all(f["channel"] != f"mod:{region}" for f in live.after_change)
            told = [f for f in live.after_change if f.get("op") == "event"]
            assert [f["data"]["post"]["id"] for f in told] == [marker], "held posts' events"
        assert await stores(world, canary) == {"event log": 0, "search documents": 0}

        # Rejected: gone for everyone, its author and the moderators too; the author is
        # told on their own channel, live.
        told = Live(await newbie.ws())
        await subscribe(told.ws, [f"user:{newbie.user_id}"])
        for post_id in case.canary_posts:
            r = await moderator.http.post(f"/api/v1/posts/{post_id}/reject",
                                          json={"reason": "It names a witness."})  # fmt: skip
            assert r.status_code == 200, r.text
        await world.search.keep_up()
        marker = await author.reply(case.thread_id, "Another published reply")
        for live in lives:
            await live.drain(lambda f: f.get("data", {}).get("post", {}).get("id") == marker)
            assert canary not in orjson.dumps(live.after_change).decode(), "websocket live"
        await told.drain(lambda f: f.get("data", {}).get("post_id") == case.canary_posts[-1])
        rejections = [f for f in told.after_change if f.get("type") == "approval.rejected"]
        assert [f["data"]["reason"] for f in rejections] == ["It names a witness."] * 4
        assert canary not in orjson.dumps(told.after_change).decode()
        await told.ws.close()

    for who in (*others, newbie, moderator):
        seen = await everything(who, case)
        seen["held thread page"] = (await who.http.get(f"/threads/{held_thread}")).text
        seen["held thread API"] = (await who.http.get(f"/api/v1/threads/{held_thread}")).text
        seen["queue"] = (await who.http.get(f"/api/v1/regions/{region}/approvals")).text
        leaks = [channel for channel, text_ in seen.items() if canary in text_]
        assert leaks == [], f"the rejected canary reached a reader through {leaks}"
    assert await stores(world, canary) == {"event log": 0, "search documents": 0}

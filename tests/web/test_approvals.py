"""The approval queue (issue 12): a region's admin turns it on; a new member's reply or
new thread there is held, seen only by its author and moderators, until a moderator of
the region (or an admin) approves it, edited or not, or rejects it with a reason the
author is emailed. Every action through the API with its event and audit entry, and
every refusal changing nothing."""

from __future__ import annotations

from sqlalchemy import text

from forum.models import Role
from tests.web.test_audit import _moderator

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
    assert entry["before"] == {"approve_new_members": False, "description": None}
    assert entry["after"] == {"approve_new_members": True, "description": "changed"}
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
    for who in (client, other):
        page = (await who.get(f"{API}/threads/{tid}")).json()
        assert [p["id"] for p in page["posts"]] == [page["posts"][0]["id"]]
        assert page["pending"] == [] and page["thread"]["post_count"] == 1
        assert (await who.get(f"/threads/{tid}")).text.count("Held words") == 0
    assert (await other.get(f"{API}/posts/{pid}/revisions")).status_code == 404
    mine = (await newbie.get(f"{API}/threads/{tid}")).json()["pending"]
    assert [(p["id"], p["body"]) for p in mine] == [(pid, "Held words")]
    assert "Awaiting a moderator" in (await newbie.get(f"/threads/{tid}")).text
    seen = (await moderator.get(f"{API}/threads/{tid}")).json()["pending"]
    assert [p["id"] for p in seen] == [pid]
    # Only on the moderators' channel, for staff.
    events = await _rows(db, "SELECT type, channels, visibility FROM events "
                         "WHERE payload->>'post_id' = :p", p=str(pid))  # fmt: skip
    assert [(e.type, e.channels, e.visibility) for e in events] == [
        ("post.held", ["mod:africa"], "staff")]  # fmt: skip
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
        ("post.held", "staff"), ("post.created", "public"),
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
    assert (await newbie.get(f"{API}/threads/{tid}")).status_code == 200
    assert tid not in [t["id"] for t in (await member.get(f"{API}/threads")).json()["threads"]]
    r = await admin.post(f"{API}/posts/{pid}/approve", json={"title": "Tenders, reviewed"})
    assert r.status_code == 200, r.text
    thread = (await member.get(f"{API}/threads/{tid}")).json()["thread"]
    assert (thread["title"], thread["pending"], thread["hidden"]) == (
        "Tenders, reviewed", False, False)  # fmt: skip
    counts = (await member.get(f"{API}/regions")).json()["regions"]
    assert next(r["thread_count"] for r in counts if r["slug"] == "africa") == before + 1
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

"""Moderators lock, unlock, pin, unpin and move threads and hide and show posts of the
regions they moderate (admins everywhere), through the API and the thread page: the
change, its event on the thread's channels, its audit entry with before and after, and
every refusal changing nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, text

from forum.models import Role
from tests.web.test_audit import _moderator

ACTIONS = [  # verb, the flag it sets, the value, the event, the audit action
    ("lock", "locked", True, "thread.locked", "thread.lock"),
    ("unlock", "locked", False, "thread.unlocked", "thread.unlock"),
    ("pin", "pinned", True, "thread.pinned", "thread.pin"),
    ("unpin", "pinned", False, "thread.unpinned", "thread.unpin"),
]


async def _flags(db, thread_id: int) -> tuple[bool, bool]:
    async with db.transaction() as s:
        row = (
            await s.execute(
                text("SELECT locked, pinned FROM threads WHERE id = :t"), {"t": thread_id}
            )
        ).one()
    return row.locked, row.pinned


async def _events(db, thread_id: int) -> list[tuple[str, list[str], str]]:
    async with db.transaction() as s:
        rows = await s.execute(
            text("SELECT type, channels, visibility FROM events "
                 "WHERE type LIKE 'thread.%' AND payload->>'thread_id' = :t ORDER BY id"),
            {"t": str(thread_id)},
        )  # fmt: skip
    return [(r.type, r.channels, r.visibility) for r in rows]


async def _set(db, thread_id: int, flag: str, value: bool) -> None:
    async with db.transaction() as s:
        await s.execute(text(f"UPDATE threads SET {flag} = :v WHERE id = :t"),
                        {"v": value, "t": thread_id})  # fmt: skip


@pytest.mark.parametrize(("verb", "flag", "value", "event", "action"), ACTIONS)
async def test_a_moderator_of_the_region_acts_with_its_event_and_audit_entry(
    make, db, verb, flag, value, event, action
):
    moderator = await _moderator(make, db, "africa")
    tid = (await make.thread())["thread"]["id"]
    await _set(db, tid, flag, not value)
    c = await make.logged_in(moderator)
    r = await c.post(f"/api/v1/threads/{tid}/{verb}", json={"reason": "Heated, cooling off"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == tid and r.json()[flag] is value
    assert (await _flags(db, tid))[0 if flag == "locked" else 1] is value
    assert (await _events(db, tid))[-1] == (
        event,
        [f"thread:{tid}", "region:africa", "topic:public-procurement"],
        "public",
    )
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_type"], entry["target_id"]) == (action, "thread", tid)
    assert (entry["before"], entry["after"]) == ({flag: not value}, {flag: value})
    assert (entry["reason"], entry["region"]) == ("Heated, cooling off", "africa")
    # Again: already so, nothing more is recorded; no body: no reason.
    r = await c.post(f"/api/v1/threads/{tid}/{verb}")
    assert r.status_code == 200 and r.json()[flag] is value
    assert len(await _events(db, tid)) == 2  # created, then this action once
    assert len((await c.get("/api/v1/audit")).json()["entries"]) == 1


async def test_a_locked_thread_takes_replies_from_moderators_only(make, db):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    member = await make.logged_in()
    tid = (await make.thread())["thread"]["id"]
    r = await admin.post(f"/api/v1/threads/{tid}/lock")
    assert r.status_code == 200, r.text
    r = await member.post(f"/api/v1/threads/{tid}/posts", json={"body": "Me too"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "thread_locked")
    r = await admin.post(f"/api/v1/threads/{tid}/posts", json={"body": "Closed for now."})
    assert r.status_code == 201, r.text


async def test_a_pinned_thread_comes_first_in_its_lists(make, db):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    older = (await make.thread(title="Older"))["thread"]["id"]
    await make.thread(title="Newer")
    assert (await admin.post(f"/api/v1/threads/{older}/pin")).status_code == 200
    listed = (await admin.get("/api/v1/threads", params={"region": "africa"})).json()
    assert [t["title"] for t in listed["threads"]][:2] == ["Older", "Newer"]


STATE = text(
    "SELECT t.locked, t.pinned, t.region_id, t.topic_id, p.hidden, p.deleted_at "
    "FROM threads t JOIN posts p ON p.thread_id = t.id WHERE p.id = :p"
)


async def _state(db, post_id: int) -> tuple:
    async with db.transaction() as s:
        return tuple((await s.execute(STATE, {"p": post_id})).one())


REFUSED = [  # what, the verb, its body
    *(("thread", a[0], {"reason": "No"}) for a in ACTIONS),
    ("thread", "move", {"region": "africa", "topic": "whistleblower-protection"}),
    ("post", "hide", {"reason": "No"}),
    ("post", "show", {"reason": "No"}),
    ("post", "delete", {"reason": "No"}),
    ("post", "restore", {"reason": "No"}),
]


@pytest.mark.parametrize(("what", "verb", "body"), REFUSED)
async def test_refusals_change_nothing(make, db, client, what, verb, body):
    made = await make.thread()
    tid, pid = made["thread"]["id"], made["post"]["id"]
    await _set(db, tid, "locked", verb == "unlock")
    await _set(db, tid, "pinned", verb == "unpin")
    async with db.transaction() as s:
        await s.execute(text("UPDATE posts SET hidden = :h, deleted_at = "
                             "CASE WHEN :d THEN now() END WHERE id = :p"),
                        {"h": verb == "show", "d": verb == "restore", "p": pid})  # fmt: skip
    before = await _state(db, pid)
    target = tid if what == "thread" else pid
    elsewhere = await _moderator(make, db, "south-east-asia")
    suspended = await _moderator(make, db, "africa")
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET suspended_at = now() WHERE id = :id"), suspended)
    cases = [
        (client, 401, "login_required"),
        (await make.logged_in(), 403, "moderators_only"),
        (await make.logged_in(elsewhere), 403, "not_your_region"),
        (await make.logged_in(suspended), 403, "account_suspended"),
    ]
    for c, status, code in cases:
        r = await c.post(f"/api/v1/{what}s/{target}/{verb}", json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    admin = await make.logged_in(await make.user(Role.ADMIN))
    r = await admin.post(f"/api/v1/{what}s/{target + 1000}/{verb}", json=body)
    assert r.status_code == 404
    r = await admin.post(f"/api/v1/{what}s/{target}/{verb}", json={**body, "reason": "  "})
    assert r.status_code == 422
    r = await admin.post(f"/api/v1/{what}s/{target}/{verb}", json={**body, "why": "x"})
    assert r.status_code == 422
    assert await _state(db, pid) == before
    assert len(await _events(db, tid)) == 1
    assert (await admin.get("/api/v1/audit")).json()["entries"] == []


@pytest.mark.parametrize("hidden", [True, False])
async def test_a_moderator_hides_and_shows_a_post_still_seen_by_moderators(make, db, hidden):
    moderator = await _moderator(make, db, "africa")
    made = await make.thread(body="A canary word: flamingo.")
    tid, pid = made["thread"]["id"], made["post"]["id"]
    async with db.transaction() as s:
        await s.execute(text("UPDATE posts SET hidden = :h WHERE id = :p"),
                        {"h": not hidden, "p": pid})  # fmt: skip
    c = await make.logged_in(moderator)
    verb = "hide" if hidden else "show"
    r = await c.post(f"/api/v1/posts/{pid}/{verb}", json={"reason": "Exposes a witness"})
    assert r.status_code == 200, r.text
    assert r.json()["hidden"] is hidden and "flamingo" in r.json()["body_html"]
    async with db.transaction() as s:
        last = text("SELECT type, channels, payload FROM events ORDER BY id DESC LIMIT 1")
        event = (await s.execute(last)).one()
    assert event.type == ("post.hidden" if hidden else "post.shown")
    assert f"thread:{tid}" in event.channels and event.payload["post_id"] == pid
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_id"], entry["reason"]) == (
        f"post.{verb}",
        pid,
        "Exposes a witness",
    )
    assert (entry["before"], entry["after"]) == ({"hidden": not hidden}, {"hidden": hidden})
    # Readers see it hidden (or shown); the moderator sees its text, marked if hidden.
    member = (await (await make.logged_in()).get(f"/threads/{tid}")).text
    assert ("flamingo" in member) is not hidden
    mine = (await c.get(f"/threads/{tid}")).text
    assert "flamingo" in mine and ("Hidden from readers" in mine) is hidden


async def test_a_moderator_moves_a_thread_between_regions_they_moderate(make, db):
    moderator = await _moderator(make, db, "africa", "south-east-asia")
    tid = (await make.thread())["thread"]["id"]
    c = await make.logged_in(moderator)
    body = {"region": "south-east-asia", "topic": "whistleblower-protection", "reason": "Asia"}
    r = await c.post(f"/api/v1/threads/{tid}/move", json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["region"], r.json()["topic"]) == (
        "south-east-asia",
        "whistleblower-protection",
    )
    moved = (await _events(db, tid))[-1]
    assert moved[0] == "thread.moved" and "region:africa" in moved[1]
    assert "region:south-east-asia" in moved[1]
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["reason"]) == ("thread.move", "Asia")
    assert entry["before"] == {"region": "africa", "topic": "public-procurement"}
    assert entry["after"] == {"region": "south-east-asia", "topic": "whistleblower-protection"}
    r = await c.post(f"/api/v1/threads/{tid}/move", json={"region": "nowhere", "topic": "x"})
    assert r.status_code == 422


def _controls(page: str) -> list[str]:
    """The page's moderator buttons (not those of the live posts' templates)."""
    shown = re.sub(r"<template.*?</template>", "", page, flags=re.S)
    return re.findall(r'<button name="do" value="(\w+)"', shown)


async def test_the_thread_page_offers_the_controls_only_to_who_may_use_them(make, db, client):
    tid = (await make.thread())["thread"]["id"]
    admin = await make.logged_in(await make.user(Role.ADMIN))
    here = await make.logged_in(await _moderator(make, db, "africa"))
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    suspended = await make.logged_in(await make.user(Role.MODERATOR, suspended_at=func.now()))
    for c in (admin, here):
        page = (await c.get(f"/threads/{tid}")).text
        assert _controls(page) == ["lock", "pin", "move", "hide", "delete"]
        assert re.search(r'<option value="africa" selected>', page)
    for c in (client, await make.logged_in(), elsewhere, suspended):
        page = (await c.get(f"/threads/{tid}")).text
        assert _controls(page) == [] and "/moderate" not in page and 'id="topic"' not in page


async def test_the_page_controls_lock_and_pin_then_come_back_to_the_thread(make, db):
    tid = (await make.thread())["thread"]["id"]
    c = await make.logged_in(await _moderator(make, db, "africa"))
    page = (await c.get(f"/threads/{tid}")).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    for verb in ("lock", "pin"):
        r = await c.post(f"/threads/{tid}/moderate", data={"csrf": token, "do": verb})
        assert (r.status_code, r.headers["location"]) == (303, f"/threads/{tid}")
    assert await _flags(db, tid) == (True, True)
    page = (await c.get(f"/threads/{tid}")).text
    assert _controls(page) == ["unlock", "unpin", "move", "hide", "delete"]
    member = await make.logged_in()
    shown = (await member.get(f"/threads/{tid}")).text
    assert 'id="reply"' not in shown and "This thread is locked" in shown
    r = await c.post(f"/threads/{tid}/moderate", data={"csrf": "forged", "do": "unlock"})
    assert r.status_code == 403
    r = await c.post(f"/threads/{tid}/moderate", data={"csrf": token, "do": "delete"})
    assert r.status_code == 422
    r = await member.post(f"/threads/{tid}/moderate", data={"csrf": token, "do": "unlock"})
    assert r.status_code == 403
    assert await _flags(db, tid) == (True, True)


async def test_the_page_hides_and_shows_a_post_and_moves_the_thread(make, db):
    made = await make.thread(body="A canary word: flamingo.")
    tid, pid = made["thread"]["id"], made["post"]["id"]
    c = await make.logged_in(await _moderator(make, db, "africa", "south-east-asia"))
    page = (await c.get(f"/threads/{tid}")).text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = await c.post(f"/posts/{pid}/moderate", data={"csrf": token, "do": "hide"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/threads/{tid}")
    page = (await c.get(f"/threads/{tid}")).text
    assert "Hidden from readers" in page and _controls(page)[-2:] == ["show", "delete"]
    assert "flamingo" not in (await (await make.logged_in()).get(f"/threads/{tid}")).text
    r = await c.post(f"/posts/{pid}/moderate", data={"csrf": token, "do": "show"})
    assert r.status_code == 303
    assert "flamingo" in (await (await make.logged_in()).get(f"/threads/{tid}")).text
    r = await c.post(f"/threads/{tid}/moderate", data={
        "csrf": token, "do": "move", "region": "south-east-asia",
        "topic": "whistleblower-protection"})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, f"/threads/{tid}")
    page = (await c.get(f"/threads/{tid}")).text
    assert 'href="/regions/south-east-asia"' in page
    member = await make.logged_in()
    r = await member.post(f"/posts/{pid}/moderate", data={"csrf": token, "do": "hide"})
    assert r.status_code == 403
    r = await c.post(f"/posts/{pid}/moderate", data={"csrf": token, "do": "purge"})
    assert r.status_code == 422
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT hidden FROM posts WHERE id = :p"), {"p": pid}) is False


async def _found(c, word: str) -> int:
    r = await c.get("/api/v1/search", params={"q": word})
    assert r.status_code == 200, r.text
    return r.json()["total"]


async def test_a_moderator_deletes_a_post_as_its_author_would_and_restores_it(make, db, client):
    made = await make.thread(body="A canary word: flamingo.")
    tid, pid = made["thread"]["id"], made["post"]["id"]
    c = await make.logged_in(await _moderator(make, db, "africa"))
    assert await _found(client, "flamingo") == 1
    r = await c.post(f"/api/v1/posts/{pid}/delete", json={"reason": "Names a witness"})
    assert r.status_code == 200, r.text
    assert r.json()["deleted"] is True and r.json()["body_html"] is None
    async with db.transaction() as s:
        last = text("SELECT type, payload FROM events ORDER BY id DESC LIMIT 1")
        event = (await s.execute(last)).one()
    assert (event.type, event.payload["post_id"]) == ("post.deleted", pid)
    # Gone from every reader's channel: the pages, the API, search.
    for reader in (client, await make.logged_in()):
        assert "flamingo" not in (await reader.get(f"/threads/{tid}")).text
        assert "flamingo" not in (await reader.get(f"/api/v1/threads/{tid}")).text
        assert await _found(reader, "flamingo") == 0
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_id"], entry["reason"]) == (
        "post.delete",
        pid,
        "Names a witness",
    )
    assert (entry["before"], entry["after"]) == ({"deleted": False}, {"deleted": True})
    page = (await c.get(f"/threads/{tid}")).text
    assert _controls(page)[-1] == "restore"
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = await c.post(f"/posts/{pid}/moderate", data={"csrf": token, "do": "restore"})
    assert r.status_code == 303, r.text
    assert "flamingo" in (await client.get(f"/threads/{tid}")).text
    assert await _found(client, "flamingo") == 1
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "post.restore",
        {"deleted": True},
        {"deleted": False},
    )


async def test_a_post_whose_text_was_erased_cannot_be_restored(make, db):
    made = await make.thread(body="A canary word: flamingo.")
    pid = made["post"]["id"]
    async with db.transaction() as s:  # as a leaving member's posts are (forum.leaving)
        await s.execute(text("UPDATE posts SET deleted_at = now(), body_source = '', "
                             "body_html = '' WHERE id = :p"), {"p": pid})  # fmt: skip
    c = await make.logged_in(await make.user(Role.ADMIN))
    r = await c.post(f"/api/v1/posts/{pid}/restore")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "text_erased")
    assert (await c.get("/api/v1/audit")).json()["entries"] == []


async def test_the_page_forms_take_an_optional_reason_for_the_audit_log(make, db):
    made = await make.thread()
    tid, pid = made["thread"]["id"], made["post"]["id"]
    c = await make.logged_in(await _moderator(make, db, "africa"))
    page = (await c.get(f"/threads/{tid}")).text
    for field in (f"reason-t{tid}", f"reason-m{tid}", f"reason-p{pid}"):
        assert f'<label for="{field}">' in page and f'<input id="{field}" name="reason"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = await c.post(f"/threads/{tid}/moderate", data={"csrf": token, "do": "lock",
                                                         "reason": " Heated "})  # fmt: skip
    assert r.status_code == 303
    r = await c.post(f"/posts/{pid}/moderate", data={"csrf": token, "do": "hide", "reason": ""})
    assert r.status_code == 303
    r = await c.post(f"/threads/{tid}/moderate", data={"csrf": token, "do": "pin",
                                                         "reason": "x" * 1001})  # fmt: skip
    assert r.status_code == 422
    assert await _flags(db, tid) == (True, False)
    entries = (await c.get("/api/v1/audit")).json()["entries"]
    assert [(e["action"], e["reason"]) for e in entries] == [
        ("post.hide", None),
        ("thread.lock", "Heated"),
    ]

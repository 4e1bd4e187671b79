"""Moderators lock, unlock, pin and unpin threads of the regions they moderate (admins
everywhere), through the API and the thread page: the change, its event on the thread's
channels, its audit entry with before and after, and every refusal changing nothing."""

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


@pytest.mark.parametrize("verb", [a[0] for a in ACTIONS])
async def test_refusals_change_nothing(make, db, client, verb):
    tid = (await make.thread())["thread"]["id"]
    await _set(db, tid, "locked", verb == "unlock")
    await _set(db, tid, "pinned", verb == "unpin")
    before = await _flags(db, tid)
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
        r = await c.post(f"/api/v1/threads/{tid}/{verb}", json={"reason": "No"})
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    admin = await make.logged_in(await make.user(Role.ADMIN))
    r = await admin.post(f"/api/v1/threads/{tid + 1000}/{verb}")
    assert r.status_code == 404
    r = await admin.post(f"/api/v1/threads/{tid}/{verb}", json={"reason": "  "})
    assert r.status_code == 422
    r = await admin.post(f"/api/v1/threads/{tid}/{verb}", json={"why": "x"})
    assert r.status_code == 422
    assert await _flags(db, tid) == before
    assert len(await _events(db, tid)) == 1
    assert (await admin.get("/api/v1/audit")).json()["entries"] == []


def _controls(page: str) -> list[str]:
    return re.findall(r'<button name="do" value="(\w+)"', page)


async def test_the_thread_page_offers_the_controls_only_to_who_may_use_them(make, db, client):
    tid = (await make.thread())["thread"]["id"]
    admin = await make.logged_in(await make.user(Role.ADMIN))
    here = await make.logged_in(await _moderator(make, db, "africa"))
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    suspended = await make.logged_in(await make.user(Role.MODERATOR, suspended_at=func.now()))
    for c in (admin, here):
        assert _controls((await c.get(f"/threads/{tid}")).text) == ["lock", "pin"]
    for c in (client, await make.logged_in(), elsewhere, suspended):
        page = (await c.get(f"/threads/{tid}")).text
        assert _controls(page) == [] and "/moderate" not in page


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
    assert _controls(page) == ["unlock", "unpin"]
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

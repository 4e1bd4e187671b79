"""Suspending a member for a period or until lifted, with a reason they are emailed,
through the API and the moderators' page: who may, what it changes at once, the audit
entries, and a suspension that lifts itself when its day comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from forum.models import Role
from tests import mail
from tests.factories import PASSWORD, Factory
from tests.pages import submit


def _days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


async def _entries(c, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await c.get("/api/v1/audit", params={"action": action})
    assert r.status_code == 200, r.text
    return r.json()["entries"]


async def test_a_moderator_suspends_for_a_period_and_the_member_is_told(smtp_app, db, inbox):
    make = Factory(smtp_app, db)
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    member = await make.user(language="fr")
    them = await make.logged_in(member)
    tid = (await make.thread())["thread"]["id"]
    assert (await them.post(f"/api/v1/threads/{tid}/posts", json={"body": "Hi"})).status_code == 201
    until = _days(7)
    sent = {"reason": "Insults in three threads", "until": until}
    r = await moderator.post(f"/api/v1/users/{member['id']}/suspend", json=sent)
    assert r.status_code == 200, r.text
    assert r.json()["suspended"] is True and r.json()["until"].startswith(until)
    # At once: their session reads like a visitor's and writes nothing.
    r = await them.post(f"/api/v1/threads/{tid}/posts", json={"body": "Again"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "account_suspended")
    [entry] = await _entries(moderator, "user.suspend")
    assert (entry["target_id"], entry["reason"]) == (member["id"], "Insults in three threads")
    assert entry["before"] == {"suspended": False, "until": None}
    assert entry["after"]["suspended"] is True and entry["after"]["until"].startswith(until)
    await mail.settle(smtp_app)
    [told] = inbox.to(member["email"])
    assert "suspendu" in told["Subject"]
    body = mail.text_of(told)
    assert "Insults in three threads" in body
    day = datetime.fromisoformat(until)
    assert f"{day.day} " in body and str(day.year) in body and "(00:00 UTC)" in body
    # Lifted: they write again, and the lifting is recorded.
    r = await moderator.post(f"/api/v1/users/{member['id']}/reinstate", json={"reason": "Apology"})
    assert (r.status_code, r.json()["suspended"]) == (200, False)
    assert (
        await them.post(f"/api/v1/threads/{tid}/posts", json={"body": "Sorry"})
    ).status_code == 201
    [lifted] = await _entries(moderator, "user.reinstate")
    assert (lifted["reason"], lifted["after"]) == ("Apology", {"suspended": False, "until": None})
    again = await moderator.post(f"/api/v1/users/{member['id']}/reinstate", json={})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_suspended")


async def test_a_suspension_until_lifted_and_one_that_lifts_itself(make, db, client):
    admin = await make.logged_in(await make.user(Role.ADMIN))
    member = await make.user()
    them = await make.logged_in(member)
    r = await admin.post(f"/api/v1/users/{member['id']}/suspend", json={"reason": "Spam"})
    assert (r.status_code, r.json()["until"]) == (200, None)
    assert (await them.get("/api/v1/auth/me")).status_code == 200
    tid = (await make.thread())["thread"]["id"]
    r = await them.post(f"/api/v1/threads/{tid}/posts", json={"body": "Buy"})
    assert r.status_code == 403
    login = {"email": member["email"], "password": PASSWORD}
    r = await client.post("/api/v1/auth/login", json=login)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "account_suspended")
    # The day passes (set in the past here): nothing runs, and the suspension no longer counts.
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET suspended_until = now() - interval '1 second' "
                             "WHERE id = :id"), {"id": member["id"]})  # fmt: skip
    assert (
        await them.post(f"/api/v1/threads/{tid}/posts", json={"body": "Back"})
    ).status_code == 201
    assert (await client.post("/api/v1/auth/login", json=login)).status_code == 200
    again = await admin.post(f"/api/v1/users/{member['id']}/reinstate", json={})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_suspended")


async def test_who_may_suspend_whom(make, client):
    admin = await make.user(Role.ADMIN)
    moderator = await make.user(Role.MODERATOR)
    other_moderator = await make.user(Role.MODERATOR)
    member = await make.user()
    as_admin, as_moderator = await make.logged_in(admin), await make.logged_in(moderator)
    body = {"reason": "Because"}

    async def suspend(c, target: dict) -> tuple[int, str | None]:  # type: ignore[no-untyped-def]
        r = await c.post(f"/api/v1/users/{target['id']}/suspend", json=body)
        return r.status_code, r.json().get("error", {}).get("code")

    assert await suspend(client, member) == (401, "login_required")
    assert await suspend(await make.logged_in(), member) == (403, "moderators_only")
    assert await suspend(as_moderator, admin) == (403, "staff_account")
    assert await suspend(as_moderator, other_moderator) == (403, "staff_account")
    assert await suspend(as_moderator, moderator) == (403, "not_yourself")
    assert await suspend(as_admin, admin) == (403, "not_yourself")
    assert await suspend(as_moderator, {"id": 999999}) == (404, "user_not_found")
    assert await suspend(as_admin, other_moderator) == (200, None)
    assert await suspend(as_moderator, member) == (200, None)
    assert [e["target_id"] for e in await _entries(as_admin, "user.suspend")] == [
        member["id"], other_moderator["id"]]  # fmt: skip


async def test_bad_input_is_refused_and_changes_nothing(make, db):
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    member = await make.user()
    url = f"/api/v1/users/{member['id']}/suspend"
    for sent, field in (
        ({"reason": "x", "until": _days(0)}, "until"),
        ({"reason": "x", "until": "2026-02-30"}, "until"),
        ({"reason": "x", "until": "next week"}, "until"),
        ({"reason": "   "}, "reason"),
        ({}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
    ):
        r = await moderator.post(url, json=sent)
        assert r.status_code == 422 and field in str(r.json()["error"]), (sent, r.text)
    async with db.transaction() as s:
        row = (await s.execute(text("SELECT suspended_at FROM users WHERE id = :id"),
                               {"id": member["id"]})).one()  # fmt: skip
        assert row.suspended_at is None
        assert await s.scalar(text("SELECT count(*) FROM audit_log")) == 0


async def test_the_page_suspends_and_lifts_from_the_audit_log(smtp_app, db, inbox):
    make = Factory(smtp_app, db)
    moderator = await make.logged_in(await make.user(Role.MODERATOR, language="es"))
    member = await make.user()
    page = f"/users/{member['id']}/suspend"
    form = await moderator.get(page)
    assert form.status_code == 200 and 'name="until"' in form.text
    bad = await submit(moderator, page, page, {"reason": "Spam", "until": _days(-1)})
    assert bad.status_code == 422 and 'id="until-error"' in bad.text and "Spam" in bad.text
    empty = await submit(moderator, page, page, {"reason": "", "until": ""})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    done = await submit(moderator, page, page, {"reason": "Spam", "until": ""})
    assert (done.status_code, done.headers["location"]) == (303, f"{page}?done=suspended")
    shown = await moderator.get(done.headers["location"])
    assert "Spam" in shown.text and f'action="/users/{member["id"]}/reinstate"' in shown.text
    log = await moderator.get("/audit")
    assert f'href="{page}"' in log.text
    lifted = await submit(moderator, page, f"/users/{member['id']}/reinstate", {"reason": ""})
    assert lifted.status_code == 303
    assert [e["action"] for e in (await moderator.get("/api/v1/audit")).json()["entries"]] == [
        "user.reinstate", "user.suspend"]  # fmt: skip
    await mail.settle(smtp_app)
    assert len(inbox.to(member["email"])) == 1
    # Members get 403, unknown members 404.
    plain = await make.logged_in()
    assert (await plain.get(page)).status_code == 403
    assert (await moderator.get("/users/999999/suspend")).status_code == 404


async def test_the_reason_reaches_moderators_and_the_member_only(make, client):
    """Canary: a suspension's reason is read by moderators and admins (the page, the audit
    log) and sent to the member; nobody else reads it anywhere."""
    canary = "Canary-reason-7f3"
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    member = await make.user()
    them = await make.logged_in(member)
    r = await moderator.post(f"/api/v1/users/{member['id']}/suspend", json={"reason": canary})
    assert r.status_code == 200
    paths = (f"/users/{member['id']}/suspend", "/api/v1/audit", "/audit", "/api/v1/moderators",
             "/admin/moderators", "/api/v1/auth/me", "/api/v1/auth/me/export", "/")  # fmt: skip
    for reader in (client, await make.logged_in(), them):
        for path in paths:
            r = await reader.get(path)
            # The member's own export holds the email they were sent, reason included.
            mine = reader is them and path.endswith("/export")
            assert (canary in r.text) is mine, (path, r.status_code)
    for path in (f"/users/{member['id']}/suspend", "/api/v1/audit"):
        assert canary in (await moderator.get(path)).text
    admin = await make.logged_in(await make.user(Role.ADMIN))
    assert canary in (await admin.get("/audit")).text

"""Accounts and sessions: register, log in, log out, revocation, timeouts.
Login limits: `test_login_limits.py`."""

from __future__ import annotations

from sqlalchemy import text

from tests import factories
from web.auth import COOKIE, DEVICE_COOKIE

NEW = {"email": "Aminata@Example.org", "display_name": "Aminata", "password": "a long passphrase"}


def _cookie_header(response, name: str = COOKIE) -> str:
    [header] = [
        v
        for k, v in response.headers.multi_items()
        if k == "set-cookie" and v.startswith(name + "=")
    ]
    return header


async def test_register_logs_in_with_a_safe_cookie(client):
    r = await client.post("/api/v1/auth/register", json=NEW)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["user"]["email"] == "Aminata@Example.org"
    assert body["user"]["role"] == "applicant"  # until approved (test_applications.py)
    assert "password" not in str(body)
    cookie = _cookie_header(r).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in tests
    # The browser that registered is the member's own device (`test_login_limits.py`).
    device = _cookie_header(r, DEVICE_COOKIE).lower()
    assert "httponly" in device and "samesite=strict" in device and "max-age=31536000" in device
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["user"]["id"] == body["user"]["id"]


async def test_cookie_is_secure_over_https(app):
    async with factories.client(app, base_url="https://forum.test") as c:
        r = await c.post("/api/v1/auth/register", json=NEW)
    assert "secure" in _cookie_header(r).lower()


async def test_session_cookie_holds_only_a_random_token(client, db):
    r = await client.post("/api/v1/auth/register", json=NEW)
    token = r.cookies[COOKIE]
    async with db.transaction() as s:
        stored = (await s.execute(text("SELECT token_hash FROM sessions"))).scalars().all()
    assert len(stored) == 1
    assert token.encode() not in stored[0] and len(stored[0]) == 32


async def test_email_is_unique_regardless_of_case(client):
    assert (await client.post("/api/v1/auth/register", json=NEW)).status_code == 201
    client.cookies.clear()
    again = {**NEW, "email": "aminata@example.ORG"}
    r = await client.post("/api/v1/auth/register", json=again)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "email_taken"


async def test_register_refuses_weak_or_malformed_values(client):
    for change, field in [
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"display_name": "   "}, "display_name"),
        ({"language": "xx"}, "language"),
    ]:
        r = await client.post("/api/v1/auth/register", json={**NEW, **change})
        assert r.status_code == 422, (change, r.text)
        assert field in r.json()["error"]["fields"], change


async def test_login_then_me_then_logout_revokes_the_cookie(client, make):
    user = await make.user()
    r = await client.post(
        "/api/v1/auth/login", json={"email": user["email"].upper(), "password": factories.PASSWORD}
    )
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    token = r.cookies[COOKIE]
    assert (await client.get("/api/v1/auth/me")).status_code == 200

    r = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    # Replaying the old cookie after logout gets nothing.
    async with factories.client(client._transport.app) as replay:
        replay.cookies.set(COOKIE, token)
        r = await replay.get("/api/v1/auth/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "login_required"


async def test_wrong_password_and_unknown_email_look_the_same(client, make):
    user = await make.user()
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": "not the password"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.org", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_password_change_ends_every_other_session(make):
    user = await make.user()
    phone, laptop = await make.logged_in(user), await make.logged_in(user)
    r = await laptop.post(
        "/api/v1/auth/password",
        json={"current_password": factories.PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert r.status_code == 200, r.text
    assert (await phone.get("/api/v1/auth/me")).status_code == 401
    # The client that changed it got a fresh session and stays logged in.
    laptop.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert (await laptop.get("/api/v1/auth/me")).status_code == 200


async def test_password_change_needs_the_current_password(make):
    c = await make.logged_in()
    r = await c.post(
        "/api/v1/auth/password",
        json={"current_password": "wrong wrong wrong", "new_password": "a brand new passphrase"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "wrong_password"
    assert (await c.get("/api/v1/auth/me")).status_code == 200


async def test_idle_session_expires(make, db):
    c = await make.logged_in()
    async with db.transaction() as s:
        await s.execute(text("UPDATE sessions SET last_seen_at = now() - interval '15 days'"))
    assert (await c.get("/api/v1/auth/me")).status_code == 401


async def test_session_expires_at_its_absolute_limit_even_when_active(make, db):
    c = await make.logged_in()
    async with db.transaction() as s:
        await s.execute(text("UPDATE sessions SET expires_at = now() - interval '1 second'"))
    assert (await c.get("/api/v1/auth/me")).status_code == 401


async def test_state_changes_need_the_csrf_token(make):
    c = await make.logged_in()
    del c.headers["X-CSRF-Token"]
    thread = {"region": "africa", "topic": "public-procurement", "title": "T", "body": "B"}
    r = await c.post("/api/v1/threads", json=thread)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    r = await c.post("/api/v1/threads", json=thread, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    listing = await c.get("/api/v1/threads")
    assert listing.json()["threads"] == []


async def test_suspended_member_cannot_log_in_or_write(client, make, db):
    user = await make.user()
    c = await make.logged_in(user)
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET suspended_at = now() WHERE id = :id"), user)
    r = await c.post(
        "/api/v1/threads",
        json={"region": "africa", "topic": "public-procurement", "title": "T", "body": "B"},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "account_suspended"
    r = await client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": factories.PASSWORD}
    )
    assert r.status_code == 403

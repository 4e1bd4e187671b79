"""One's own settings and sessions through the API: change display name and interface
language; list one's open sessions and end one or all the others.

Trust cells: a member's session list never shows another member's sessions (their
browsers' User-Agents carry a canary), another member's session id is not found (and
that session lives on), and a session id is not its token."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import text

from tests import factories
from web.auth import COOKIE

ME = "/api/v1/auth/me"
SESSIONS = "/api/v1/auth/sessions"
END_OTHERS = "/api/v1/auth/sessions/end-others"


async def _login(app, user, agent: str) -> httpx.AsyncClient:
    """A client that logged in through the API from a browser saying `agent`."""
    c = factories.client(app, headers={"User-Agent": agent})
    r = await c.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": factories.PASSWORD}
    )
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


async def _user(db, user_id: int) -> dict:
    async with db.transaction() as s:
        row = await s.execute(
            text("SELECT display_name, display_name_key, language FROM users WHERE id = :id"),
            {"id": user_id},
        )
        return dict(row.mappings().one())


# -- display name and language ------------------------------------------------------------


async def test_change_display_name_and_language(make, db):
    c = await make.logged_in()
    r = await c.patch(ME, json={"display_name": "  Aminata Diallo ", "language": "fr"})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["display_name"] == "Aminata Diallo"
    assert r.json()["user"]["language"] == "fr"
    me = (await c.get(ME)).json()["user"]
    assert (me["display_name"], me["language"]) == ("Aminata Diallo", "fr")
    # The uniqueness key follows the name: the old name is free, the new one taken.
    assert (await _user(db, c.user["id"]))["display_name_key"] == "aminata diallo"
    # One field alone leaves the other as it is.
    r = await c.patch(ME, json={"language": "es"})
    assert r.json()["user"]["display_name"] == "Aminata Diallo"
    assert r.json()["user"]["language"] == "es"


async def test_the_change_is_in_the_event_log(make, db):
    c = await make.logged_in()
    assert (await c.patch(ME, json={"display_name": "Renamed"})).status_code == 200
    async with db.transaction() as s:
        rows = (await s.execute(text("SELECT type, payload FROM events"))).all()
    assert [(t, p) for t, p in rows] == [
        ("user.updated", {"user_id": c.user["id"], "fields": ["display_name"]})
    ]


async def test_a_name_that_reads_like_another_members_is_refused(make, db):
    await make.user(display_name="Aminata Diallo")
    c = await make.logged_in()
    before = await _user(db, c.user["id"])
    r = await c.patch(ME, json={"display_name": "AMÍNATA  diallo", "language": "fr"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "display_name_taken"
    assert "display_name" in r.json()["error"]["fields"]
    assert await _user(db, c.user["id"]) == before  # the language did not change either


async def test_keeping_ones_own_name_in_another_case_is_allowed(make):
    c = await make.logged_in(await make.user(display_name="Aminata"))
    r = await c.patch(ME, json={"display_name": "AMINATA"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"language": "pt"}, "language"),  # a content language, not an interface one
        ({"language": "xx"}, "language"),
        ({"language": "f" * 9}, "language"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"display_name": "Ami\u202enata"}, "display_name"),
        ({"display_name": "two\nlines"}, "display_name"),
        ({"display_name": "Good Name", "language": "xx"}, "language"),
    ],
)
async def test_bad_values_are_refused_and_nothing_changes(make, db, change, field):
    c = await make.logged_in()
    before = await _user(db, c.user["id"])
    r = await c.patch(ME, json=change)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]
    assert await _user(db, c.user["id"]) == before


async def test_settings_need_a_login_csrf_and_own_origin(make, client, db):
    assert (await client.patch(ME, json={"language": "fr"})).status_code == 401
    c = await make.logged_in()
    before = await _user(db, c.user["id"])
    r = await c.patch(ME, json={"language": "fr"}, headers={"X-CSRF-Token": "forged"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")
    r = await c.patch(ME, json={"language": "fr"}, headers={"Origin": "https://evil.example"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "bad_origin")
    assert await _user(db, c.user["id"]) == before


async def test_a_suspended_member_keeps_their_name_but_may_change_language(make, db):
    c = await make.logged_in()
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET suspended_at = now() WHERE id = :id"), c.user)
    r = await c.patch(ME, json={"display_name": "New name"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "account_suspended")
    assert (await c.patch(ME, json={"language": "fr"})).status_code == 200


# -- sessions -------------------------------------------------------------------------


async def test_sessions_list_each_browser_and_mark_this_one(app, make, db):
    user = await make.user()
    agent = "Mozilla/5.0 (X11; Linux) Firefox/140.0 " + "x" * 300
    laptop = await _login(app, user, agent)
    phone = await _login(app, user, "Mozilla/5.0 (Android 15) Chrome/140")
    r = await laptop.get(SESSIONS)
    assert r.status_code == 200, r.text
    listed = r.json()["sessions"]
    assert len(listed) == 2
    assert [s["current"] for s in listed] == [True, False]  # this one first
    mine = listed[0]
    assert mine["user_agent"] == agent[:200]  # cut to the column
    other = next(s for s in listed if not s["current"])
    assert other["user_agent"] == "Mozilla/5.0 (Android 15) Chrome/140"
    assert {"id", "created_at", "last_seen_at"} <= mine.keys()
    # An id is not the token, nor its stored hash, nor usable as a cookie.
    async with db.transaction() as s:
        stored = (await s.execute(text("SELECT token_hash FROM sessions"))).scalars().all()
    tokens = {laptop.cookies[COOKIE], phone.cookies[COOKIE]}
    for s in listed:
        assert s["id"] not in tokens and bytes.fromhex(s["id"]) not in stored
        assert all(s["id"] not in h.hex() for h in stored)
        assert all(s["id"] != hashlib.sha256(t.encode()).hexdigest()[:16] for t in tokens)
        async with factories.client(app) as forged:
            forged.cookies.set(COOKIE, s["id"])
            assert (await forged.get(ME)).status_code == 401
    await laptop.aclose()
    await phone.aclose()


async def test_end_one_session(app, make):
    user = await make.user()
    laptop, phone = await _login(app, user, "Laptop"), await _login(app, user, "Phone")
    listed = (await laptop.get(SESSIONS)).json()["sessions"]
    other = next(s for s in listed if not s["current"])
    r = await laptop.delete(f"{SESSIONS}/{other['id']}")
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": 1}
    assert (await phone.get(ME)).status_code == 401
    assert (await laptop.get(ME)).status_code == 200
    assert [s["user_agent"] for s in (await laptop.get(SESSIONS)).json()["sessions"]] == ["Laptop"]
    # Ended already: not found.
    assert (await laptop.delete(f"{SESSIONS}/{other['id']}")).status_code == 404
    await laptop.aclose()
    await phone.aclose()


async def test_ending_this_session_logs_this_browser_out(app, make):
    laptop = await _login(app, await make.user(), "Laptop")
    [mine] = (await laptop.get(SESSIONS)).json()["sessions"]
    r = await laptop.delete(f"{SESSIONS}/{mine['id']}")
    assert r.status_code == 200
    assert 'forum_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    laptop.cookies.clear()
    assert (await laptop.get(ME)).status_code == 401
    await laptop.aclose()


async def test_end_every_other_session(app, make):
    user = await make.user()
    here = await _login(app, user, "Here")
    elsewhere = [await _login(app, user, f"Elsewhere {n}") for n in range(3)]
    someone_else = await make.logged_in()
    r = await here.post(END_OTHERS)
    assert r.status_code == 200, r.text
    assert r.json() == {"ended": 3}
    for c in elsewhere:
        assert (await c.get(ME)).status_code == 401
        await c.aclose()
    assert (await here.get(ME)).status_code == 200
    assert (await someone_else.get(ME)).status_code == 200
    assert [s["user_agent"] for s in (await here.get(SESSIONS)).json()["sessions"]] == ["Here"]
    assert (await here.post(END_OTHERS)).json() == {"ended": 0}
    await here.aclose()


async def test_another_members_sessions_are_neither_listed_nor_ended(app, make):
    """Trust cell: the canary in one member's User-Agent never reaches another member."""
    canary = "CanaryBrowser/" + hashlib.sha256(b"sessions").hexdigest()[:8]
    victim_user = await make.user()
    victim = await _login(app, victim_user, canary)
    reader = await _login(app, await make.user(), "Reader")
    victims = (await victim.get(SESSIONS)).json()["sessions"]
    assert canary in str(victims)  # the check below can fail

    listed = await reader.get(SESSIONS)
    assert canary not in listed.text
    assert {s["id"] for s in listed.json()["sessions"]}.isdisjoint(s["id"] for s in victims)
    for s in victims:
        r = await reader.delete(f"{SESSIONS}/{s['id']}")
        assert (r.status_code, r.json()["error"]["code"]) == (404, "session_not_found")
    assert (await reader.post(END_OTHERS)).json() == {"ended": 0}
    assert (await victim.get(ME)).status_code == 200
    still = (await victim.get(SESSIONS)).json()["sessions"]
    assert [(s["id"], s["user_agent"]) for s in still] == [(victims[0]["id"], canary)]
    await victim.aclose()
    await reader.aclose()


async def test_an_expired_session_is_not_listed(app, make, db):
    user = await make.user()
    here, old = await _login(app, user, "Here"), await _login(app, user, "Old")
    async with db.transaction() as s:
        await s.execute(
            text("UPDATE sessions SET last_seen_at = now() - interval '15 days' "
                 "WHERE user_agent = 'Old'")
        )  # fmt: skip
    assert [s["user_agent"] for s in (await here.get(SESSIONS)).json()["sessions"]] == ["Here"]
    await here.aclose()
    await old.aclose()


@pytest.mark.parametrize("bad", ["0" * 15, "G" * 16, "%2e%2e", "0" * 64, "ABCDEF0123456789"])
async def test_malformed_session_ids_are_not_found(make, bad):
    c = await make.logged_in()
    r = await c.delete(f"{SESSIONS}/{bad}")
    assert r.status_code == 404, r.text
    assert (await c.get(ME)).status_code == 200


async def test_sessions_need_a_login_csrf_and_own_origin(app, make, client):
    assert (await client.get(SESSIONS)).status_code == 401
    assert (await client.post(END_OTHERS)).status_code == 401
    user = await make.user()
    here, other = await _login(app, user, "Here"), await _login(app, user, "Other")
    listed = (await here.get(SESSIONS)).json()["sessions"]
    target = next(s for s in listed if not s["current"])["id"]
    for headers, code in [
        ({"X-CSRF-Token": "forged"}, "csrf_failed"),
        ({"Origin": "https://evil.example"}, "bad_origin"),
    ]:
        r = await here.post(END_OTHERS, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (403, code)
        r = await here.delete(f"{SESSIONS}/{target}", headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (403, code)
    assert (await other.get(ME)).status_code == 200
    await here.aclose()
    await other.aclose()


async def test_register_records_the_browser(client):
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": "new@example.org", "display_name": "New", "password": "long enough pw"},
        headers={"User-Agent": "Registering/1.0"},
    )
    assert r.status_code == 201
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    [mine] = (await client.get(SESSIONS)).json()["sessions"]
    assert mine["user_agent"] == "Registering/1.0" and mine["current"]

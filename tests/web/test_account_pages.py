"""Accounts in the browser, without JavaScript: register, log in, log out, settings and
sessions through forms with CSRF fields and Post/Redirect/Get.

Trust cells: a member's sessions page never shows another member's sessions; a session
ended from the page no longer works."""

from __future__ import annotations

import html
from urllib.parse import urlencode

import httpx
from sqlalchemy import text

from forum import accounts
from tests import factories
from tests.pages import field_errors, submit
from web import i18n
from web.auth import COOKIE
from web.pages.accounts import browser_of

PASSWORD = "a long passphrase"


async def _register(c: httpx.AsyncClient, name: str, email: str, next_path: str = "/"):
    return await submit(
        c,
        f"/register?{urlencode({'next': next_path})}",
        "/register",
        {"display_name": name, "email": email, "password": PASSWORD, "next": next_path},
    )


async def _logged_in_page(app, user: dict, agent: str) -> httpx.AsyncClient:
    c = factories.client(app, headers={"User-Agent": agent})
    r = await submit(
        c, "/login", "/login", {"email": user["email"], "password": factories.PASSWORD}
    )
    assert r.status_code == 303, r.text
    return c


def _form_error(page: str) -> str:
    start = page.index('<p class="error" role="alert">') + len('<p class="error" role="alert">')
    return html.unescape(page[start : page.index("</p>", start)])


async def _user(db, email: str) -> dict | None:
    async with db.transaction() as s:
        row = await s.execute(
            text("SELECT id, display_name, language FROM users WHERE lower(email) = :e"),
            {"e": email.lower()},
        )
        found = row.mappings().first()
        return dict(found) if found else None


# -- register -------------------------------------------------------------------------


async def test_register_logs_in_and_goes_on_to_apply(client, db):
    r = await _register(client, "Aminata", "aminata@example.org", "/regions/africa")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/apply"  # a new account is an applicant
    assert COOKIE in r.cookies
    home = await client.get("/")
    assert 'href="/settings">Aminata</a>' in home.text
    assert 'action="/logout"' in home.text
    assert (await _user(db, "aminata@example.org"))["language"] == "en"


async def test_register_in_french_keeps_french(client, db):
    client.headers["Accept-Language"] = "fr"
    r = await _register(client, "Awa", "awa@example.org")
    assert r.status_code == 303 and r.headers["location"] == "/apply"
    assert (await _user(db, "awa@example.org"))["language"] == "fr"
    assert "<h1>Votre candidature d'adhésion</h1>" in (await client.get("/apply")).text


async def test_register_errors_stand_next_to_fields_with_the_input_kept(client, make, db):
    await make.user(display_name="Aminata Diallo")
    r = await submit(
        client, "/register", "/register",
        {"display_name": "AMINATA diallo", "email": "new@example.org", "password": PASSWORD},
    )  # fmt: skip
    assert r.status_code == 422
    assert set(field_errors(r.text)) == {"display_name"}
    assert 'value="AMINATA diallo"' in r.text and 'value="new@example.org"' in r.text
    assert PASSWORD not in r.text
    r = await submit(
        client, "/register", "/register",
        {"display_name": "Fine", "email": "not an email", "password": PASSWORD},
    )  # fmt: skip
    assert r.status_code == 422
    assert set(field_errors(r.text)) == {"email"}
    assert 'value="not an email"' in r.text
    r = await submit(
        client, "/register", "/register",
        {"display_name": "Fine", "email": "new@example.org", "password": "short"},
    )  # fmt: skip
    assert r.status_code == 422
    assert field_errors(r.text) == {"password": "Use at least 10 characters."}
    assert 'value="short"' not in r.text
    assert await _user(db, "new@example.org") is None


async def test_register_needs_the_forms_token(client, db):
    await client.get("/register")
    r = await client.post(
        "/register",
        data={"display_name": "X", "email": "x@example.org", "password": PASSWORD},
    )
    assert r.status_code == 403
    assert COOKIE not in r.cookies
    assert await _user(db, "x@example.org") is None


async def test_register_is_rate_limited_like_the_api(settings, db):
    async with factories.app_with_rates(settings, register=(1, 3600)) as app:
        async with factories.client(app) as c:
            assert (await _register(c, "One", "one@example.org")).status_code == 303
        async with factories.client(app) as c:
            r = await _register(c, "Two", "two@example.org")
            assert r.status_code == 429 and "Retry-After" in r.headers
            assert "text/html" in r.headers["content-type"]
    assert await _user(db, "two@example.org") is None


# -- log in, log out ------------------------------------------------------------------


async def test_login_and_logout(client, make):
    user = await make.user()
    r = await submit(
        client, "/login?next=/regions/africa", "/login",
        {"email": user["email"].upper(), "password": factories.PASSWORD,
         "next": "/regions/africa"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/regions/africa"
    token = r.cookies[COOKIE]
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    r = await submit(client, "/", "/logout", {})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    async with factories.client(client._transport.app) as replay:
        replay.cookies.set(COOKIE, token)
        assert (await replay.get("/api/v1/auth/me")).status_code == 401


async def test_login_failures_say_one_thing_and_keep_only_the_email(client, make):
    user = await make.user()
    wrong = await submit(
        client, "/login", "/login", {"email": user["email"], "password": "not the password"}
    )
    unknown = await submit(
        client, "/login", "/login", {"email": "nobody@example.org", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 422
    assert _form_error(wrong.text) == _form_error(unknown.text)
    assert _form_error(wrong.text) == "The email address or the password is wrong."
    assert f'value="{user["email"]}"' in wrong.text
    assert "not the password" not in wrong.text and "not the password" not in unknown.text
    assert COOKIE not in wrong.cookies


async def test_login_refuses_to_send_anywhere_else(client, make):
    user = await make.user()
    for evil in ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:x"]:
        form_page = await client.get("/login?" + urlencode({"next": evil}))
        assert '<input type="hidden" name="next" value="/">' in form_page.text
        r = await submit(
            client, "/login", "/login",
            {"email": user["email"], "password": factories.PASSWORD, "next": evil},
        )  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/", evil
        client.cookies.delete(COOKIE)


async def test_login_without_the_forms_token_is_refused(client, make):
    user = await make.user()
    await client.get("/login")
    r = await client.post("/login", data={"email": user["email"], "password": factories.PASSWORD})
    assert r.status_code == 403
    assert COOKIE not in r.cookies


async def test_logout_is_a_post_with_the_token(make):
    c = await make.logged_in()
    del c.headers["X-CSRF-Token"]
    assert (await c.get("/logout")).status_code == 405
    assert (await c.post("/logout", data={"csrf": "forged"})).status_code == 403
    assert (await c.get("/api/v1/auth/me")).status_code == 200


# -- settings -------------------------------------------------------------------------


async def test_settings_need_a_login(client):
    r = await client.get("/settings")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fsettings"
    r = await client.get("/settings/sessions")
    assert r.status_code == 303


async def test_change_name_and_language_changes_the_interface_at_once(app, make, db):
    user = await make.user(display_name="Before")
    c = await _logged_in_page(app, user, "Laptop")
    page = await c.get("/settings")
    assert 'value="Before"' in page.text and "Your settings" in page.text
    r = await submit(c, "/settings", "/settings", {"display_name": "Après", "language": "fr"})
    assert r.status_code == 303, r.text
    page = await c.get(r.headers["location"])
    assert '<html lang="fr"' in page.text
    assert "Vos paramètres" in page.text
    assert 'href="/settings">Après</a>' in page.text  # the header's name
    assert (await _user(db, user["email"]))["display_name"] == "Après"
    await c.aclose()


async def test_settings_errors_keep_the_input_and_change_nothing(app, make, db):
    await make.user(display_name="Taken Name")
    user = await make.user(display_name="Mine")
    c = await _logged_in_page(app, user, "Laptop")
    r = await submit(c, "/settings", "/settings", {"display_name": "taken  NAME", "language": "es"})
    assert r.status_code == 422
    assert set(field_errors(r.text)) == {"display_name"}
    assert 'value="taken  NAME"' in r.text
    r = await submit(c, "/settings", "/settings", {"display_name": "Mine", "language": "pt"})
    assert r.status_code == 422
    assert set(field_errors(r.text)) == {"language"}
    r = await submit(c, "/settings", "/settings", {"display_name": "   ", "language": "fr"})
    assert r.status_code == 422 and set(field_errors(r.text)) == {"display_name"}
    assert await _user(db, user["email"]) == {"id": user["id"], "display_name": "Mine",
                                              "language": "en"}  # fmt: skip
    await c.aclose()


async def test_settings_need_the_forms_token(app, make, db):
    user = await make.user(display_name="Mine")
    c = await _logged_in_page(app, user, "Laptop")
    r = await c.post("/settings", data={"display_name": "Hijacked", "language": "fr"})
    assert r.status_code == 403
    r = await c.post(
        "/settings/password",
        data={"current_password": factories.PASSWORD, "new_password": "hijacked password"},
    )
    assert r.status_code == 403
    assert (await _user(db, user["email"]))["display_name"] == "Mine"
    await c.aclose()


async def test_change_password(app, make):
    user = await make.user()
    c = await _logged_in_page(app, user, "Laptop")
    other = await _logged_in_page(app, user, "Phone")
    wrong = await submit(
        c, "/settings", "/settings/password",
        {"current_password": "not my password", "new_password": "a new long password"},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert set(field_errors(wrong.text)) == {"current_password"}
    assert "not my password" not in wrong.text and "a new long password" not in wrong.text
    short = await submit(
        c, "/settings", "/settings/password",
        {"current_password": factories.PASSWORD, "new_password": "short"},
    )  # fmt: skip
    assert short.status_code == 422 and set(field_errors(short.text)) == {"new_password"}
    r = await submit(
        c, "/settings", "/settings/password",
        {"current_password": factories.PASSWORD, "new_password": "a new long password"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/settings?saved=password"
    assert (await c.get("/settings")).status_code == 200  # this browser stays logged in
    assert (await other.get("/api/v1/auth/me")).status_code == 401
    async with factories.client(app) as fresh:
        r = await submit(
            fresh, "/login", "/login", {"email": user["email"], "password": "a new long password"}
        )
        assert r.status_code == 303
    await c.aclose()
    await other.aclose()


# -- sessions -------------------------------------------------------------------------


async def test_sessions_page_ends_another_session(app, make):
    user = await make.user()
    laptop = await _logged_in_page(app, user, "Laptop browser")
    phone = await _logged_in_page(app, user, "Phone browser")
    page = await laptop.get("/settings/sessions")
    assert page.status_code == 200
    assert "Laptop browser" in page.text and "Phone browser" in page.text
    assert page.text.count('action="/settings/sessions/end"') == 1  # not for this browser
    listed = (await laptop.get("/api/v1/auth/sessions")).json()["sessions"]
    [phone_id] = [s["id"] for s in listed if s["user_agent"] == "Phone browser"]
    mine = next(s["id"] for s in listed if s["current"])
    this_row = page.text[page.text.index(f'id="session-{mine}"') :]
    assert "This browser" in this_row[: this_row.index("</li>")]
    r = await submit(laptop, "/settings/sessions", "/settings/sessions/end", {"session": phone_id})
    assert r.status_code == 303 and r.headers["location"] == "/settings/sessions?ended=1"
    assert (await phone.get("/api/v1/auth/me")).status_code == 401
    assert (await phone.get("/settings")).status_code == 303  # back to the login page
    after = await laptop.get(r.headers["location"])
    assert "1 session ended." in after.text and "Phone browser" not in after.text
    await laptop.aclose()
    await phone.aclose()


async def test_sessions_page_ends_all_the_others(app, make):
    user = await make.user()
    here = await _logged_in_page(app, user, "Here")
    others = [await _logged_in_page(app, user, f"Other {n}") for n in range(2)]
    r = await submit(here, "/settings/sessions", "/settings/sessions/end-others", {})
    assert r.status_code == 303 and r.headers["location"] == "/settings/sessions?ended=2"
    for c in others:
        assert (await c.get("/api/v1/auth/me")).status_code == 401
        await c.aclose()
    page = await here.get(r.headers["location"])
    assert "2 sessions ended." in page.text
    assert "end-others" not in page.text  # nothing else to end
    await here.aclose()


async def test_sessions_page_never_shows_or_ends_another_members(app, make):
    canary = "CanaryBrowser/7f3a9c"
    victim_user = await make.user()
    victim = await _logged_in_page(app, victim_user, canary)
    [victim_session] = (await victim.get("/api/v1/auth/sessions")).json()["sessions"]
    assert canary in (await victim.get("/settings/sessions")).text  # the check can fail
    reader = await _logged_in_page(app, await make.user(), "Reader")
    page = await reader.get("/settings/sessions")
    assert canary not in page.text and victim_session["id"] not in page.text
    r = await submit(
        reader, "/settings/sessions", "/settings/sessions/end", {"session": victim_session["id"]}
    )
    assert r.status_code == 404
    assert canary not in r.text
    r = await submit(reader, "/settings/sessions", "/settings/sessions/end-others", {})
    assert r.headers["location"] == "/settings/sessions?ended=0"
    assert (await victim.get("/api/v1/auth/me")).status_code == 200
    await victim.aclose()
    await reader.aclose()


async def test_ending_sessions_needs_the_forms_token(app, make):
    user = await make.user()
    here, other = await _logged_in_page(app, user, "Here"), await _logged_in_page(app, user, "O")
    listed = (await here.get("/api/v1/auth/sessions")).json()["sessions"]
    target = next(s["id"] for s in listed if not s["current"])
    assert (await here.post("/settings/sessions/end", data={"session": target})).status_code == 403
    assert (await here.post("/settings/sessions/end-others", data={"x": "1"})).status_code == 403
    assert (await other.get("/api/v1/auth/me")).status_code == 200
    await here.aclose()
    await other.aclose()


async def test_the_pages_in_french_and_spanish(app, make):
    user = await make.user(language="es")
    c = await _logged_in_page(app, user, "Laptop")
    assert "Sus sesiones abiertas" in (await c.get("/settings/sessions")).text
    async with factories.client(app, headers={"Accept-Language": "fr"}) as visitor:
        assert "Créer mon compte" in (await visitor.get("/register")).text
        assert "Se connecter" in (await visitor.get("/login")).text
    await c.aclose()


def test_the_interface_languages_are_the_catalogs():
    assert set(accounts.INTERFACE_LANGUAGES) == set(i18n.LOCALES)


def test_browsers_are_named_as_people_know_them():
    assert (
        browser_of(
            "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 Chrome/140.0 Mobile Safari/537.36"
        )
        == "Chrome · Android"
    )
    assert (
        browser_of(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 "
            "Safari/537.36 Edg/140.0"
        )
        == "Edge · Windows"
    )
    assert (
        browser_of(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
            "Version/18.0 Mobile/15E148 Safari/604.1"
        )
        == "Safari · iOS"
    )
    assert browser_of("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Firefox/140.0") == (
        "Firefox · Linux"
    )
    assert browser_of("curl/8.5.0") is None and browser_of(None) is None

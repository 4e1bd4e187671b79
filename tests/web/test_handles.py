"""Handles in the app: shown with the account, changed through the API and the settings
page (errors next to the field, input kept), the profile at /members/<handle>, an old
handle redirecting there. The profile shows only organisations the member shows."""

from __future__ import annotations

from tests import factories
from tests.pages import field_errors, submit


async def test_api_changes_the_handle_and_the_old_one_redirects(app, make):
    member = await make.user(display_name="Fatou Sow")
    c = await make.logged_in(member)
    me = (await c.get("/api/v1/auth/me")).json()["user"]
    assert me["handle"] == "fatou_sow"
    r = await c.patch("/api/v1/auth/me", json={"handle": "Fatou"})
    assert r.status_code == 200 and r.json()["user"]["handle"] == "fatou"
    visitor = factories.client(app)
    page = await visitor.get("/members/fatou")
    assert page.status_code == 200 and "Fatou Sow" in page.text and "@fatou" in page.text
    assert member["email"] not in page.text
    old = await visitor.get("/members/FATOU_SOW")
    assert old.status_code == 301 and old.headers["location"] == "/members/fatou"
    assert (await visitor.get("/members/nobody_here")).status_code == 404
    assert (await visitor.get("/members/x")).status_code == 404


async def test_api_refuses_a_taken_or_bad_handle(make):
    await make.user(display_name="Taken Name")
    c = await make.logged_in()
    r = await c.patch("/api/v1/auth/me", json={"handle": "taken_name"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "handle_taken"
    r = await c.patch("/api/v1/auth/me", json={"handle": "no spaces"})
    assert r.status_code == 422 and "handle" in r.json()["error"]["fields"]


async def test_settings_page_changes_the_handle(app, make):
    await make.user(display_name="Someone Else")
    member = await make.user(display_name="Ana Ruiz")
    c = await make.logged_in(member)
    r = await submit(c, "/settings", "/settings/handle", {"handle": "someone_else"})
    assert r.status_code == 422
    assert "handle" in field_errors(r.text) and 'value="someone_else"' in r.text
    r = await submit(c, "/settings", "/settings/handle", {"handle": "ana"})
    assert r.status_code == 303 and r.headers["location"] == "/settings?saved=handle"
    page = await c.get("/settings?saved=handle")
    assert 'href="/members/ana"' in page.text and 'value="ana"' in page.text

"""A member leaving: the export of everything held about them, and deleting the account
(keeping posts as "a former member", or deleting them too), through the API and pages.
The canary across channels of a running server: `test_leaks.py`."""

from __future__ import annotations

from sqlalchemy import text

from forum import affiliations, catalog, experiences, organisations
from forum.experiences import Story
from forum.leaving import FORMER_MEMBER
from forum.models import Role
from forum.organisation_fields import Profile
from tests.factories import PASSWORD
from tests.pages import submit

ME = "/api/v1/auth/me"
CANARY = "zanzibarquokka"


async def _author_with_posts(make, name: str = "Wanjiru Kamau"):
    user = await make.user(display_name=name, organisation="Haki Watch", organisation_public=True)
    c = await make.logged_in(user)
    started = await make.thread(user, title="Road tenders", body=f"Opening {CANARY} words.")
    tid = started["thread"]["id"]
    other = await make.user()
    reply = await make.reply(tid, other, body="A reply from someone else.")
    mine = (await c.post(f"/api/v1/threads/{tid}/posts", json={"body": "first draft"})).json()
    await c.patch(f"/api/v1/posts/{mine['id']}", json={"body": f"second {CANARY} draft"})
    return c, user, tid, started["post"]["id"], mine["id"], other, reply


async def _dump(db, sql: str, **params):
    async with db.transaction() as s:
        return (await s.execute(text(sql), params)).all()


async def _stories(db, make, writer, other) -> None:
    """An experience the member told, and one another member of the same organisation told."""
    admin = await make.user(Role.ADMIN)
    async with db.transaction() as s:
        known = await catalog.load(s)
        await organisations.create(
            s, admin["actor"], known, "haki-watch", Profile(name="Haki Watch", country="KE",
            kind="ngo"),
        )  # fmt: skip
        for who in (writer, other):
            await affiliations.affiliate(s, admin["actor"], known, "haki-watch", user_id=who["id"])
        for who, title in ((writer, "Roads we audited"), (other, "Someone else's story")):
            story = Story(title=title, context=f"Told by {who['display_name']}.", year=2024)
            await experiences.create(s, who["actor"], known, "haki-watch", story)


async def test_export_holds_everything_about_the_member_and_nothing_of_others(make, db):
    c, user, tid, opening, mine, other, _reply = await _author_with_posts(make)
    await c.post(f"/api/v1/threads/{tid}/read", json={"position": 2})
    await _stories(db, make, user, other)
    async with db.transaction() as s:
        await s.execute(
            text(
                "INSERT INTO outbox (kind, recipient, language, params, message_id)"
                " VALUES ('verify', :to, 'en', CAST(:p AS jsonb), '<m1@forum.test>'),"
                " ('verify', 'someone@else.org', 'en', CAST(:p AS jsonb), '<m2@forum.test>')"
            ),
            {"to": user["email"], "p": '{"token": "sekrit-token", "name": "W"}'},
        )
    r = await c.get(ME + "/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["cache-control"] == "no-store"
    data = r.json()
    assert data["account"]["email"] == user["email"]
    assert data["account"]["display_name"] == "Wanjiru Kamau"
    assert data["account"]["organisation"] == "Haki Watch"
    assert "password" not in r.text and "argon2" not in r.text
    assert [p["id"] for p in data["posts"]] == [opening, mine]
    assert [v["body"] for v in data["posts"][1]["revisions"]] == ["first draft"]
    assert CANARY in data["posts"][1]["body"]
    assert len(data["sessions"]) == 1 and len(data["sessions"][0]["id"]) == 16
    assert data["read_positions"] == [
        {"thread_id": tid, "position": 2, "read_at": data["read_positions"][0]["read_at"]}
    ]
    assert [m["params"] for m in data["mail"]] == [{"name": "W"}]
    [story] = data["experiences"]
    assert (story["organisation"], story["title"], story["year"]) == (
        "haki-watch",
        "Roads we audited",
        2024,
    )
    assert story["texts"]["context"] == "Told by Wanjiru Kamau."
    assert "sekrit-token" not in r.text and "someone@else.org" not in r.text
    assert other["display_name"] not in r.text and "someone else" not in r.text
    assert (await make.logged_in()).cookies  # another member's export is their own
    assert (await c.get(ME + "/export")).json()["account"]["id"] == user["id"]


async def test_export_needs_a_session(client):
    assert (await client.get(ME + "/export")).status_code == 401


async def _affiliated(make, c) -> None:
    admin = await make.logged_in(await make.user(Role.ADMIN))
    org = {"slug": "haki", "name": "Haki Watch", "country": "SN", "kind": "ngo"}
    assert (await admin.post("/api/v1/organisations", json=org)).status_code == 201
    r = await c.post("/api/v1/organisations/haki/affiliations", json={"shown": True})
    assert r.status_code == 200, r.text


async def test_delete_keeping_posts_leaves_a_former_member(make, client, db):
    c, user, tid, opening, mine, *_ = await _author_with_posts(make)
    await _affiliated(make, c)
    exported = (await c.get(ME + "/export")).json()
    assert [(a["organisation"], a["shown"]) for a in exported["affiliations"]] == [("haki", True)]
    assert "Wanjiru" in (await client.get("/api/v1/organisations/haki")).text
    r = await c.request("DELETE", ME, json={"password": PASSWORD, "keep_posts": True})
    assert r.status_code == 200, r.text
    assert r.json() == {"deleted": True, "posts_deleted": 0}
    assert (await c.get(ME)).status_code == 401  # the session ended
    page = (await client.get(f"/api/v1/threads/{tid}")).json()
    authors = {p["author"]["name"] for p in page["posts"] if p["id"] in (opening, mine)}
    assert authors == {FORMER_MEMBER}
    assert page["thread"]["author"]["name"] == FORMER_MEMBER
    assert CANARY in page["posts"][2]["body"]  # the words stay
    html = (await client.get(f"/threads/{tid}")).text
    assert "Wanjiru" not in html and "Haki Watch" not in html
    [row] = await _dump(db, "SELECT email, organisation FROM users WHERE id = :id", id=user["id"])
    assert row.email != user["email"] and row.organisation is None
    assert not await _dump(db, "SELECT 1 FROM sessions WHERE user_id = :id", id=user["id"])
    assert not await _dump(db, "SELECT 1 FROM affiliations WHERE user_id = :id", id=user["id"])
    assert "Wanjiru" not in (await client.get("/api/v1/organisations/haki")).text
    assert await _dump(db, "SELECT 1 FROM events WHERE type = 'affiliation.changed'"
                           " AND payload->>'role' IS NULL")  # fmt: skip
    assert await _dump(
        db, "SELECT 1 FROM events WHERE type = 'session.ended' AND channels = :c",
        c=[f"user:{user['id']}"],
    )  # fmt: skip
    # The address is free again, and the old password opens nothing.
    login = await client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
    )
    assert login.status_code == 401
    again = {"email": user["email"], "display_name": "Wanjiru Kamau", "password": "x" * 12}
    assert (await client.post("/api/v1/auth/register", json=again)).status_code == 201


async def test_delete_with_posts_erases_their_text(make, client, db):
    c, user, tid, opening, mine, _other, reply = await _author_with_posts(make)
    r = await c.request("DELETE", ME, json={"password": PASSWORD, "keep_posts": False})
    assert r.status_code == 200, r.text
    assert r.json()["posts_deleted"] == 2
    page = (await client.get(f"/api/v1/threads/{tid}")).json()
    assert CANARY not in str(page)
    by_id = {p["id"]: p for p in page["posts"]}
    assert by_id[opening]["deleted"] and by_id[mine]["deleted"]
    assert by_id[reply["id"]]["body"] == "A reply from someone else."  # others' replies stay
    assert CANARY not in (await client.get(f"/threads/{tid}")).text
    stored = await _dump(
        db,
        "SELECT body_source FROM posts WHERE author_id = :id"
        " UNION ALL SELECT r.body_source FROM post_revisions r JOIN posts p ON p.id = r.post_id"
        " WHERE p.author_id = :id",
        id=user["id"],
    )
    assert all(CANARY not in row.body_source for row in stored)
    assert not await _dump(
        db, "SELECT 1 FROM search_documents WHERE author_id = :id", id=user["id"]
    )


async def test_wrong_password_changes_nothing(make, client, db):
    c, _user, tid, *_ = await _author_with_posts(make)
    r = await c.request("DELETE", ME, json={"password": "not my password", "keep_posts": False})
    assert r.status_code == 422 and r.json()["error"]["code"] == "wrong_password"
    assert (await c.get(ME)).json()["user"]["display_name"] == "Wanjiru Kamau"
    assert CANARY in str((await client.get(f"/api/v1/threads/{tid}")).json())


async def test_delete_needs_csrf_and_a_session(make, client):
    c, *_ = await _author_with_posts(make)
    del c.headers["X-CSRF-Token"]
    r = await c.request("DELETE", ME, json={"password": PASSWORD, "keep_posts": True})
    assert r.status_code == 403
    assert (await c.get(ME)).status_code == 200
    r = await client.request("DELETE", ME, json={"password": PASSWORD, "keep_posts": True})
    assert r.status_code in (401, 403)


# -- pages --------------------------------------------------------------------------------


def _browser(c):
    """The same session as a browser: no CSRF header, the form's field instead."""
    del c.headers["X-CSRF-Token"]
    return c


async def test_settings_offers_the_export_and_the_deletion(make):
    c = _browser(await make.logged_in())
    page = (await c.get("/settings")).text
    assert 'href="/api/v1/auth/me/export"' in page and 'href="/settings/delete"' in page
    form = await c.get("/settings/delete")
    assert form.status_code == 200
    assert 'name="password"' in form.text and 'value="keep"' in form.text


async def test_page_deletion_keeping_posts(make, client):
    c, _user, tid, _opening, *_ = await _author_with_posts(make)
    c = _browser(c)
    r = await submit(c, "/settings/delete", "/settings/delete",
                     {"posts": "keep", "password": PASSWORD})  # fmt: skip
    assert r.status_code == 303, r.text
    assert (await c.get("/api/v1/auth/me")).status_code == 401
    html = (await client.get(f"/threads/{tid}")).text
    assert FORMER_MEMBER in html and "Wanjiru" not in html and CANARY in html


async def test_pages_name_a_former_member_in_the_readers_language(make, client, db):
    c, user, tid, *_ = await _author_with_posts(make)
    await _stories(db, make, user, await make.user())
    [story] = await _dump(db, "SELECT id FROM experiences WHERE title = 'Roads we audited'")
    r = await c.request("DELETE", ME, json={"password": PASSWORD, "keep_posts": True})
    assert r.status_code == 200, r.text
    # The API keeps one stable value, whatever the reader's language.
    api = (await client.get(f"/api/v1/threads/{tid}", headers={"Accept-Language": "fr"})).json()
    assert api["thread"]["author"]["name"] == FORMER_MEMBER
    told = await client.get(f"/api/v1/experiences/{story.id}", headers={"Accept-Language": "es"})
    assert told.json()["author"] == FORMER_MEMBER
    region = api["thread"]["region"]
    pages = (f"/threads/{tid}", f"/regions/{region}", f"/search?q={CANARY}",
             f"/experiences/{story.id}")  # fmt: skip
    for language, shown in (("fr", "Un ancien membre"), ("es", "Un antiguo miembro")):
        for path in pages:
            html = (await client.get(path, headers={"Accept-Language": language})).text
            assert FORMER_MEMBER not in html, (language, path)
        thread = (await client.get(f"/threads/{tid}", headers={"Accept-Language": language})).text
        assert thread.count(f'<bdi class="author">{shown}</bdi>') == 2
        assert f'data-former="{shown}"' in thread  # what the script shows on a live update
        row = (await client.get(f"/regions/{region}", headers={"Accept-Language": language})).text
        assert f'<div class="meta">{shown} ·' in row
        hits = (await client.get(pages[2], headers={"Accept-Language": language})).text
        assert f" · {shown} · " in hits
        told = (await client.get(pages[3], headers={"Accept-Language": language})).text
        assert f"{shown.lower()}" in told.lower()
    english = (await client.get(f"/experiences/{story.id}")).text
    assert "told by a former member" in english


async def test_page_deletion_with_posts(make, client):
    c, _user, tid, *_ = await _author_with_posts(make)
    c = _browser(c)
    r = await submit(c, "/settings/delete", "/settings/delete",
                     {"posts": "delete", "password": PASSWORD})  # fmt: skip
    assert r.status_code == 303, r.text
    html = (await client.get(f"/threads/{tid}")).text
    assert CANARY not in html and "A reply from someone else." in html


async def test_page_wrong_password_or_no_choice_changes_nothing(make, client):
    c, _user, tid, *_ = await _author_with_posts(make)
    c = _browser(c)
    r = await submit(c, "/settings/delete", "/settings/delete",
                     {"posts": "delete", "password": "not my password"})  # fmt: skip
    assert r.status_code == 422 and 'id="password-error"' in r.text
    assert 'value="delete" checked' in r.text  # the choice kept
    r = await submit(c, "/settings/delete", "/settings/delete", {"password": PASSWORD})
    assert r.status_code == 422 and 'id="posts-error"' in r.text
    assert (await c.get("/api/v1/auth/me")).json()["user"]["display_name"] == "Wanjiru Kamau"
    assert CANARY in (await client.get(f"/threads/{tid}")).text


async def test_page_deletion_needs_the_csrf_field(make):
    c = _browser((await _author_with_posts(make))[0])
    r = await c.post(
        "/settings/delete",
        data={"posts": "delete", "password": PASSWORD},
        headers={"Origin": str(c.base_url).rstrip("/")},
    )
    assert r.status_code == 403
    assert (await c.get("/api/v1/auth/me")).status_code == 200

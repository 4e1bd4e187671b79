"""Moderators redact an earlier version of a post (issue 12): its text is purged from
every store a reader or an operator can reach, readers see that it was redacted and no
more, the action is evented (ids only) and audited (revision numbers and the reason);
every refusal changes nothing. The canary test writes a post with a made-up word, edits
it away, redacts the version, then looks for the word in every table of the database
and every read path, websocket replay included: it is nowhere."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import timedelta

import httpx
import orjson
import pytest
from sqlalchemy import insert, text

from forum import documents, sessions
from forum.catalog import CatalogCache
from forum.models import Role, User
from search.service import Search
from tests.pages import token_in
from tests.realtime.clients import replay
from tests.web.test_audit import _moderator, _region_id

REASON = {"reason": "Names a protected witness"}


async def _edited_twice(make) -> tuple[int, int, dict]:
    """A reply in africa with versions 1 and 2 kept, 3 current."""
    author = await make.user()
    tid = (await make.thread())["thread"]["id"]
    pid = (await make.reply(tid, author, body="First: Mr Kofi Mensah saw it."))["id"]
    mine = await make.logged_in(author)
    for body in ("Second: a witness saw it.", "Third: someone saw it."):
        assert (await mine.patch(f"/api/v1/posts/{pid}", json={"body": body})).status_code == 200
    return tid, pid, author


async def _state(db, post_id: int) -> tuple:
    async with db.transaction() as s:
        rows = (
            await s.execute(
                text("SELECT revision, body_source, redacted_at, redacted_by FROM post_revisions "
                     "WHERE post_id = :p ORDER BY revision"), {"p": post_id},
            )
        ).all()  # fmt: skip
        audited = await s.scalar(text("SELECT count(*) FROM audit_log"))
        evented = await s.scalar(text("SELECT count(*) FROM events"))
    return tuple(tuple(r) for r in rows), audited, evented


async def test_a_moderator_redacts_an_earlier_version(make, db):
    tid, pid, author = await _edited_twice(make)
    moderator = await _moderator(make, db, "africa")
    c = await make.logged_in(moderator)
    r = await c.post(f"/api/v1/posts/{pid}/revisions/1/redact", json=REASON)
    assert r.status_code == 200, r.text
    first, second, current = r.json()["revisions"]
    assert (first["redacted"], first["body"], first["body_html"]) == (True, None, None)
    assert first["redacted_at"] is not None and first["revision"] == 1
    assert second["body"] == "Second: a witness saw it." and not second["redacted"]
    assert current["current"] and r.json()["may_redact"] is True
    async with db.transaction() as s:
        row = (
            await s.execute(
                text("SELECT body_source, body_html, redacted_by FROM post_revisions "
                     "WHERE post_id = :p AND revision = 1"), {"p": pid},
            )
        ).one()  # fmt: skip
        event = (
            await s.execute(text("SELECT type, channels, visibility, payload FROM events "
                                 "ORDER BY id DESC LIMIT 1"))
        ).one()  # fmt: skip
    assert tuple(row) == ("", "", moderator["id"])
    assert event.type == "post.revision_redacted" and event.visibility == "public"
    assert event.channels == [f"thread:{tid}", "region:africa", "topic:public-procurement"]
    assert event.payload == {"thread_id": tid, "post_id": pid, "revision": 1}
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_type"], entry["target_id"], entry["region"]) == (
        "post.redact", "post", pid, "africa",
    )  # fmt: skip
    assert entry["reason"] == REASON["reason"]
    assert (entry["before"], entry["after"]) == (
        {"revision": 1, "redacted": False},
        {"revision": 1, "redacted": True},
    )
    # The author sees that it was redacted, and no more.
    mine = await make.logged_in(author)
    versions = (await mine.get(f"/api/v1/posts/{pid}/revisions")).json()
    assert versions["may_redact"] is False and versions["revisions"][0]["redacted"] is True
    page = (await mine.get(f"/posts/{pid}/revisions")).text
    assert "This version was redacted by a moderator." in page and "Kofi" not in page
    assert "Second: a witness" in page and "Redact" not in page


async def test_refusals_change_nothing(make, db, client):
    _tid, pid, author = await _edited_twice(make)
    admin = await make.logged_in(await make.user(Role.ADMIN))
    assert (await admin.post(f"/api/v1/posts/{pid}/revisions/2/redact", json=REASON)).is_success
    before = await _state(db, pid)
    elsewhere = await _moderator(make, db, "south-east-asia")
    url = f"/api/v1/posts/{pid}/revisions/1/redact"
    cases = [
        (client, url, REASON, 401, "login_required"),
        (await make.logged_in(), url, REASON, 403, "moderators_only"),
        (await make.logged_in(author), url, REASON, 403, "moderators_only"),
        (await make.logged_in(elsewhere), url, REASON, 403, "not_your_region"),
        (admin, url, {}, 422, "invalid"),
        (admin, url, {"reason": "   "}, 422, "invalid"),
        (admin, url, {"reason": "x" * 1001}, 422, "invalid"),
        (admin, url, {**REASON, "text": "x"}, 422, "invalid"),
        (admin, f"/api/v1/posts/{pid}/revisions/3/redact", REASON, 409, "current_revision"),
        (admin, f"/api/v1/posts/{pid}/revisions/2/redact", REASON, 409, "already_redacted"),
        (admin, f"/api/v1/posts/{pid}/revisions/9/redact", REASON, 404, "not_found"),
        (admin, f"/api/v1/posts/{pid}/revisions/99999999999/redact", REASON, 404, "not_found"),
        (admin, f"/api/v1/posts/{pid + 1000}/revisions/1/redact", REASON, 404, "not_found"),
    ]
    for c, path, body, status, code in cases:
        r = await c.post(path, json=body)
        assert r.status_code == status, (path, body, r.text)
        if code == "not_found":
            assert r.json()["error"]["code"].endswith("not_found"), (path, r.text)
        elif code != "invalid":
            assert r.json()["error"]["code"] == code, (path, r.text)
    assert await _state(db, pid) == before


def _redact_forms(page: str) -> list[str]:
    return re.findall(r'action="/posts/\d+/revisions/(\d+)/redact"', page)


async def test_the_revisions_page_offers_redaction_to_who_may(make, db, client):
    tid, pid, author = await _edited_twice(make)
    here = await make.logged_in(await _moderator(make, db, "africa"))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    for c in (here, admin):
        assert _redact_forms((await c.get(f"/posts/{pid}/revisions")).text) == ["2", "1"]
    mine = await make.logged_in(author)
    assert _redact_forms((await mine.get(f"/posts/{pid}/revisions")).text) == []
    page = (await here.get(f"/posts/{pid}/revisions")).text
    token = token_in(page)
    before = await _state(db, pid)
    # A blank reason: the page again, the error next to that version's reason.
    r = await here.post(f"/posts/{pid}/revisions/2/redact", data={"csrf": token, "reason": " "})
    assert r.status_code == 422 and 'id="reason-2-error"' in r.text
    assert "Say why this version is redacted." in r.text
    r = await here.post(f"/posts/{pid}/revisions/2/redact", data={"csrf": "forged", **REASON})
    assert r.status_code == 403
    other = await make.logged_in()
    r = await other.post(f"/posts/{pid}/revisions/2/redact",
                         data={"csrf": token_in((await other.get(f"/threads/{tid}")).text),
                               **REASON})  # fmt: skip
    assert r.status_code == 403
    assert await _state(db, pid) == before
    r = await here.post(f"/posts/{pid}/revisions/2/redact", data={"csrf": token, **REASON})
    assert r.status_code == 303
    assert r.headers["location"] == f"/posts/{pid}/revisions?done=2#revision-2"
    page = (await here.get(r.headers["location"])).text
    assert "This version was redacted by a moderator." in page
    assert "Second: a witness" not in page and _redact_forms(page) == ["1"]
    r = await here.post(f"/posts/{pid}/revisions/2/redact", data={"csrf": token, **REASON})
    assert r.status_code == 409 and "This version is already redacted." in r.text


async def test_revisions_of_someone_elses_post_never_reach_a_member(make, db, client):
    tid, pid, _author = await _edited_twice(make)
    member = await make.logged_in()
    for c in (client, member):
        for path in (f"/api/v1/posts/{pid}/revisions", f"/posts/{pid}/revisions",
                     f"/threads/{tid}", f"/api/v1/threads/{tid}"):  # fmt: skip
            r = await c.get(path)
            assert "Kofi" not in r.text and "Second: a witness" not in r.text, path
        r = await c.post(f"/api/v1/posts/{pid}/revisions/1/redact", json=REASON)
        assert r.status_code in (401, 403) and "Kofi" not in r.text


# The canary: every table, every read path -------------------------------------------------

SECRET = "k" * 40  # the served forum's (`server_env`)

TABLES = text(
    """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 1, 2
    """
)


async def _holding(db, canary: str) -> set[str]:
    """Every table of the database (rows cast to text) that holds the canary."""
    found = set()
    async with db.transaction() as s:
        for schema, name in (await s.execute(TABLES)).all():
            count = await s.scalar(
                text(f'SELECT count(*) FROM "{schema}"."{name}" t WHERE t::text ILIKE :w'),
                {"w": f"%{canary}%"},
            )
            if count:
                found.add(name)
    return found


def _word() -> str:
    return "quorv" + "".join(random.choices("bcdfghjklmnprstvz", k=7))


async def _client(db, served, role: Role = Role.MEMBER, region: str | None = None):
    policy = sessions.Policy(SECRET.encode(), timedelta(days=1), timedelta(days=2))
    async with db.transaction() as s:
        n = random.randrange(10**9)
        user_id = await s.scalar(
            insert(User)
            .values(email=f"canary{n}@example.org", display_name=f"Canary reader {n}",
                    password_hash="unused", role=role.value)
            .returning(User.id)
        )  # fmt: skip
        if region is not None:
            await s.execute(text("INSERT INTO moderated_regions VALUES (:u, :r)"),
                            {"u": user_id, "r": await _region_id(db, region)})  # fmt: skip
        login = await sessions.open(s, policy, user_id)
    cookie = f"forum_session={login.token}"
    c = httpx.AsyncClient(base_url=served.url, timeout=30,
                          headers={"X-CSRF-Token": login.csrf_token, "Cookie": cookie})  # fmt: skip
    c.cookie = cookie  # type: ignore[attr-defined]
    return c


async def test_a_redacted_version_is_nowhere(db, served, settings):
    opening, reply = _word(), _word()
    author = await _client(db, served)
    moderator = await _client(db, served, Role.MODERATOR, "africa")
    admin = await _client(db, served, Role.ADMIN)
    member = await _client(db, served)
    visitor = httpx.AsyncClient(base_url=served.url, timeout=30)
    clients = [author, moderator, admin, member, visitor]
    search = Search(db, settings, CatalogCache(db))
    try:
        # Written with Idempotency-Keys: their stored answers hold the text.
        started = {
            "region": "africa",
            "topic": "public-procurement",
            "title": "Tender monitoring",
            "body": f"The testimony of {opening} stands.",
        }
        r = await author.post("/api/v1/threads", json=started, headers={"Idempotency-Key": "t1"})
        assert r.status_code == 201, r.text
        tid, first = r.json()["thread"]["id"], r.json()["post"]["id"]
        answered = {"body": f"The testimony names {reply} too."}
        r = await author.post(f"/api/v1/threads/{tid}/posts", json=answered,
                              headers={"Idempotency-Key": "r1"})  # fmt: skip
        assert r.status_code == 201, r.text
        second = r.json()["id"]
        await search.refresh_vocabulary()  # as the background upkeep does
        held = await _holding(db, opening)
        assert {"posts", "search_documents", "idempotency_keys", "search_terms"} <= held, held

        for pid in (first, second):
            r = await author.patch(f"/api/v1/posts/{pid}",
                                   json={"body": "Rewritten: the testimony stands."})  # fmt: skip
            assert r.status_code == 200, r.text
        assert "post_revisions" in await _holding(db, reply)
        assert opening in (await moderator.get(f"/api/v1/posts/{first}/revisions")).text

        for pid in (first, second):
            r = await moderator.post(f"/api/v1/posts/{pid}/revisions/1/redact", json=REASON)
            assert r.status_code == 200, r.text
        await search.prune_vocabulary()  # the background upkeep, within a minute
        # A retry of the request that created the reply creates nothing and shows nothing.
        r = await author.post(f"/api/v1/threads/{tid}/posts", json=answered,
                              headers={"Idempotency-Key": "r1"})  # fmt: skip
        assert (r.status_code, r.json()["error"]["code"]) == (409, "idempotency_key_reused")

        for canary in (opening, reply):
            assert await _holding(db, canary) == set(), canary
        # What the Meilisearch indexer sends for these posts (`documents.load`); the
        # events of these posts, ids only.
        async with db.transaction() as s:
            payloads = (
                await s.scalars(
                    text("SELECT payload FROM events WHERE payload->>'thread_id' = :t"),
                    {"t": str(tid)},
                )
            ).all()
            assert payloads and all(
                set(p) <= {"thread_id", "post_id", "revision"}
                and all(isinstance(v, int) for v in p.values())
                for p in payloads
            ), payloads
            sent = repr(await documents.load(s, [first, second]))
        assert "Rewritten" in sent and opening not in sent and reply not in sent

        paths = [
            f"/api/v1/threads/{tid}", f"/threads/{tid}", "/api/v1/threads?region=africa",
            "/regions/africa", f"/posts/{first}", f"/api/v1/posts/{first}/revisions",
            f"/posts/{first}/revisions", f"/api/v1/posts/{second}/revisions",
            f"/posts/{second}/revisions", f"/api/v1/search?q={opening}",
            f"/api/v1/search?q={reply}", "/api/v1/search?q=testimony", "/search?q=testimony",
            "/api/v1/audit", "/audit", "/api/v1/auth/me/export",
        ]  # fmt: skip
        for c in clients:
            for path in paths:
                r = await c.get(path, follow_redirects=True)
                for canary in (opening, reply):
                    assert canary not in r.text, (path, r.status_code)
        found = (await member.get("/api/v1/search", params={"q": opening})).json()
        assert found["total"] == 0
        shown = (await moderator.get(f"/api/v1/posts/{first}/revisions")).json()["revisions"]
        assert [v["redacted"] for v in shown] == [True, False]
        page = (await author.get(f"/posts/{second}/revisions")).text
        assert "This version was redacted by a moderator." in page

        channels = [f"thread:{tid}", "region:africa", "topic:public-procurement"]
        for c in clients:
            frames = await replay(db, served, getattr(c, "cookie", None), channels)
            replayed = orjson.dumps(frames).decode()
            assert opening not in replayed and reply not in replayed
            types = [f.get("type") for f in frames if f["op"] == "event"]
            assert types.count("post.revision_redacted") == 2, types
    finally:
        for c in clients:
            await c.aclose()
        await search.stop()


@pytest.mark.parametrize("lock", [True])
async def test_concurrent_redactions_of_one_version_record_one(make, db, lock):
    """Two moderators at once: one redaction, one 409 (the row is locked)."""
    _tid, pid, _author = await _edited_twice(make)
    one = await make.logged_in(await _moderator(make, db, "africa"))
    two = await make.logged_in(await make.user(Role.ADMIN))
    url = f"/api/v1/posts/{pid}/revisions/1/redact"
    answers = await asyncio.gather(one.post(url, json=REASON), two.post(url, json=REASON))
    assert sorted(r.status_code for r in answers) == [200, 409]
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM audit_log "
                                   "WHERE action = 'post.redact'")) == 1  # fmt: skip


async def _in_a_browser(db, served):  # type: ignore[no-untyped-def]
    """A member's post edited twice (versions 1 and 2 kept) and a moderator of its
    region, both registered through the API; close their `api`."""
    from tests.web.browsers import register

    author, moderator = await register(served), await register(served)
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET role = 'moderator' WHERE id = :u"),
                        {"u": moderator.user_id})  # fmt: skip
        africa = await _region_id(db, "africa")
        await s.execute(text("INSERT INTO moderated_regions VALUES (:u, :r)"),
                        {"u": moderator.user_id, "r": africa})  # fmt: skip
    started = {"region": "africa", "topic": "public-procurement", "title": "Tenders",
               "body": "A first version."}  # fmt: skip
    pid = (await author.api.post("/api/v1/threads", json=started)).json()["post"]["id"]
    for body in ("A second version.", "A third version."):
        r = await author.api.patch(f"/api/v1/posts/{pid}", json={"body": body})
        assert r.status_code == 200, r.text
    return author, moderator, pid


async def test_the_moderators_revisions_page_is_accessible(db, served, browser):
    """axe-core finds no serious violation on the page with its Redact… forms open, nor
    on the page a refused form comes back as (the error by its field)."""
    from tests.web.browsers import new_context
    from tests.web.test_accessibility import describe, serious_violations

    author, moderator, pid = await _in_a_browser(db, served)
    try:
        for lang in ("en", "fr"):
            context = await new_context(browser, served, member=moderator, locale=lang)
            page = await context.new_page()
            try:
                await page.goto(f"{served.url}/posts/{pid}/revisions")
                for summary in await page.locator("details.redact summary").all():
                    await summary.click()
                found = await serious_violations(page)
                assert not found, describe(found)
                form = "#revision-2 form"
                await page.eval_on_selector(form, "f => { f.noValidate = true; }")
                async with page.expect_navigation():
                    await page.click(f"{form} button")
                assert await page.get_attribute("#reason-2", "aria-invalid") == "true"
                found = await serious_violations(page)
                assert not found, describe(found)
            finally:
                await context.close()
    finally:
        await author.api.aclose()
        await moderator.api.aclose()


async def test_an_open_revisions_page_follows_a_redaction(db, served, browser):
    """The author reads the revisions; a moderator redacts version 1 elsewhere: the open
    page reloads and shows it redacted (`post.revision_redacted`, forum.js)."""
    from playwright.async_api import expect

    from tests.web.browsers import new_context

    author, moderator, pid = await _in_a_browser(db, served)
    context = await new_context(browser, served, member=author)
    try:
        page = await context.new_page()
        await page.goto(f"{served.url}/posts/{pid}/revisions")
        await expect(page.locator("#revision-1 .body")).to_have_text("A first version.")
        r = await moderator.api.post(f"/api/v1/posts/{pid}/revisions/1/redact", json=REASON)
        assert r.status_code == 200, r.text
        await expect(page.locator("#revision-1 .redacted")).to_have_text(
            "This version was redacted by a moderator.", timeout=15_000
        )
        assert "A first version." not in await page.content()
    finally:
        await context.close()
        await author.api.aclose()
        await moderator.api.aclose()

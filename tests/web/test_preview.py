"""Previewing Markdown: the HTML a post would show, from the code that renders posts,
for members only, bounded like a post, storing nothing."""

from __future__ import annotations

from sqlalchemy import text

from forum import markup
from forum.models import Role
from tests import factories

HOSTILE = (
    "**Tender 7** <script>alert(1)</script> <img src=x onerror=alert(2)> "
    "[click](javascript:alert(3)) see https://example.org"
)


async def _counts(db) -> tuple[int, int, int]:
    async with db.transaction() as s:
        row = (
            await s.execute(
                text(
                    "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM threads),"
                    " (SELECT count(*) FROM events)"
                )
            )
        ).one()
    return tuple(row)


async def test_preview_is_exactly_what_the_post_will_show(make, db):
    member = await make.logged_in()
    before = await _counts(db)
    r = await member.post("/api/v1/preview", json={"body": HOSTILE})
    assert r.status_code == 200, r.text
    html = r.json()["html"]
    assert "<strong>Tender 7</strong>" in html
    for bad in ("<script", "<img", 'href="javascript'):
        assert bad not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, never run
    assert f'rel="{markup.LINK_REL}"' in html
    assert await _counts(db) == before  # nothing stored, no event

    tid = (await make.thread())["thread"]["id"]
    posted = await member.post(f"/api/v1/threads/{tid}/posts", json={"body": HOSTILE})
    assert posted.json()["body_html"] == html


async def test_visitors_and_suspended_members_get_no_preview(make, client):
    r = await client.post("/api/v1/preview", json={"body": "*hi*"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "login_required"
    suspended = await make.logged_in(await make.user(Role.MEMBER))
    async with make.db.transaction() as s:
        await s.execute(
            text("UPDATE users SET suspended_at = now() WHERE id = :id"),
            {"id": suspended.user["id"]},
        )
    r = await suspended.post("/api/v1/preview", json={"body": "*hi*"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_suspended"


async def test_preview_is_bounded_like_a_post(make):
    member = await make.logged_in()
    at_limit = "a" * markup.MAX_SOURCE_BYTES
    r = await member.post("/api/v1/preview", json={"body": at_limit})
    assert r.status_code == 200, r.text
    over = "é" * (markup.MAX_SOURCE_BYTES // 2 + 1)  # under the limit in characters, not bytes
    r = await member.post("/api/v1/preview", json={"body": over})
    assert r.status_code == 422 and "body" in r.json()["error"]["fields"]
    r = await member.post("/api/v1/preview", json={"body": "x" * (2 * 1024 * 1024)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    for bad in ({"body": "   "}, {"body": 3}, {}, {"body": "a", "extra": 1}):
        r = await member.post("/api/v1/preview", json=bad)
        assert r.status_code == 422, (bad, r.text)


async def test_preview_needs_the_csrf_token_and_counts_against_its_own_limit(make, settings):
    async with factories.app_with_rates(settings, preview=(2, 600)) as app:
        f = factories.Factory(app, make.db)
        member = await f.logged_in()
        no_token = factories.client(app)
        no_token.cookies.set("forum_session", member.cookies["forum_session"])
        r = await no_token.post("/api/v1/preview", json={"body": "hi"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        for _ in range(2):
            assert (await member.post("/api/v1/preview", json={"body": "hi"})).status_code == 200
        r = await member.post("/api/v1/preview", json={"body": "hi"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        # Posting is another rule: previews never use up a member's replies.
        tid = (await f.thread())["thread"]["id"]
        r = await member.post(f"/api/v1/threads/{tid}/posts", json={"body": "hi"})
        assert r.status_code == 201, r.text

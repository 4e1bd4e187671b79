"""Moderators edit any post of the regions they moderate, admins any post (issue 12),
through the API and the edit page: the revision says who edited it, the audit log
records it with revision numbers only; a moderator of another region, a member who is
not the author, a deleted post are refused with nothing changed. Earlier versions are
read by the author, the region's moderators and admins only."""

from __future__ import annotations

import re

from sqlalchemy import text

from forum.models import Role
from tests.pages import token_in
from tests.web.test_audit import _moderator

EDIT = {"body": "Edited by the moderators: the name is gone."}


async def _post_state(db, post_id: int) -> tuple:
    async with db.transaction() as s:
        post = (
            await s.execute(
                text("SELECT body_source, revision, deleted_at FROM posts WHERE id = :p"),
                {"p": post_id},
            )
        ).one()
        kept = await s.scalar(
            text("SELECT count(*) FROM post_revisions WHERE post_id = :p"), {"p": post_id}
        )
        audited = await s.scalar(text("SELECT count(*) FROM audit_log"))
        edited = await s.scalar(text("SELECT count(*) FROM events WHERE type = 'post.edited'"))
    return (*post, kept, audited, edited)


async def _thread_with_reply(make, region: str = "africa") -> tuple[int, int, dict]:
    author = await make.user()
    tid = (await make.thread(region=region))["thread"]["id"]
    pid = (await make.reply(tid, author, body="Names Mr Kofi Mensah, the witness."))["id"]
    return tid, pid, author


async def test_a_moderator_of_the_region_edits_someone_elses_post(make, db):
    tid, pid, author = await _thread_with_reply(make)
    moderator = await _moderator(make, db, "africa")
    c = await make.logged_in(moderator)
    r = await c.patch(f"/api/v1/posts/{pid}", json=EDIT)
    assert r.status_code == 200, r.text
    assert (r.json()["body"], r.json()["revision"]) == (EDIT["body"], 2)
    assert r.json()["author"]["id"] == author["id"]  # still the author's post
    history = (await c.get(f"/api/v1/posts/{pid}/revisions")).json()
    first, current = history["revisions"]
    assert first["edited_by"] is None and first["by_moderator"] is False
    assert current["edited_by"] == {"id": moderator["id"], "name": moderator["display_name"]}
    assert current["by_moderator"] is True and current["current"] is True
    assert first["body"] == "Names Mr Kofi Mensah, the witness." and not first["redacted"]
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_type"], entry["target_id"]) == ("post.edit", "post", pid)
    assert (entry["before"], entry["after"], entry["region"]) == (
        {"revision": 1},
        {"revision": 2},
        "africa",
    )
    async with db.transaction() as s:
        audit_text = await s.scalar(text("SELECT string_agg(t::text, '') FROM audit_log t"))
        payload = await s.scalar(
            text("SELECT payload FROM events WHERE type = 'post.edited' ORDER BY id DESC LIMIT 1")
        )
    assert "Mensah" not in audit_text and "moderators" not in audit_text
    assert payload == {"thread_id": tid, "post_id": pid}
    # The author reads who edited it; the revisions page says so.
    mine = await make.logged_in(author)
    page = (await mine.get(f"/posts/{pid}/revisions")).text
    assert f"edited by {moderator['display_name']} (moderator)" in page


async def test_an_admin_edits_anywhere_and_the_author_editing_is_not_audited(make, db):
    _tid, pid, author = await _thread_with_reply(make, "south-east-asia")
    admin = await make.logged_in(await make.user(Role.ADMIN))
    assert (await admin.patch(f"/api/v1/posts/{pid}", json=EDIT)).status_code == 200
    mine = await make.logged_in(author)
    r = await mine.patch(f"/api/v1/posts/{pid}", json={"body": "My own words again."})
    assert r.status_code == 200 and r.json()["revision"] == 3
    versions = (await mine.get(f"/api/v1/posts/{pid}/revisions")).json()["revisions"]
    assert [v["by_moderator"] for v in versions] == [False, True, False]
    assert versions[2]["edited_by"]["id"] == author["id"]
    entries = (await admin.get("/api/v1/audit")).json()["entries"]
    assert [e["action"] for e in entries] == ["post.edit"]


async def test_refusals_change_nothing(make, db, client):
    _tid, pid, _author = await _thread_with_reply(make)
    elsewhere = await _moderator(make, db, "south-east-asia")
    before = await _post_state(db, pid)
    cases = [
        (client, 401, "login_required"),
        (await make.logged_in(), 403, "not_author"),
        (await make.logged_in(elsewhere), 403, "not_your_region"),
        (await make.logged_in(await make.user(Role.MODERATOR)), 403, "not_your_region"),
    ]
    for c, status, code in cases:
        r = await c.patch(f"/api/v1/posts/{pid}", json=EDIT)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    admin = await make.logged_in(await make.user(Role.ADMIN))
    r = await admin.patch(f"/api/v1/posts/{pid}", json={"body": ""})
    assert r.status_code == 422
    r = await admin.patch(f"/api/v1/posts/{pid + 1000}", json=EDIT)
    assert r.status_code == 404
    assert await _post_state(db, pid) == before
    # A deleted post is edited by nobody, moderators included.
    assert (await admin.post(f"/api/v1/posts/{pid}/delete")).status_code == 200
    deleted = await _post_state(db, pid)
    r = await admin.patch(f"/api/v1/posts/{pid}", json=EDIT)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "post_deleted")
    assert await _post_state(db, pid) == deleted


async def test_revisions_are_read_by_the_author_and_the_regions_moderators_only(make, db, client):
    tid, pid, author = await _thread_with_reply(make)
    mine = await make.logged_in(author)
    assert (await mine.patch(f"/api/v1/posts/{pid}", json=EDIT)).status_code == 200
    here = await make.logged_in(await _moderator(make, db, "africa"))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    for c in (mine, here, admin):
        for path in (f"/api/v1/posts/{pid}/revisions", f"/posts/{pid}/revisions"):
            r = await c.get(path)
            assert r.status_code == 200 and "Kofi Mensah" in r.text, path
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    for c, code in ((client, "revisions_private"), (await make.logged_in(), "revisions_private"),
                    (elsewhere, "not_your_region")):  # fmt: skip
        r = await c.get(f"/api/v1/posts/{pid}/revisions")
        assert (r.status_code, r.json()["error"]["code"]) == (403, code)
        r = await c.get(f"/posts/{pid}/revisions")
        assert r.status_code == 403 and "Kofi Mensah" not in r.text
    # Where the thread itself is not readable: not found, not forbidden.
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :t"), {"t": tid})
    for c in (client, await make.logged_in()):
        assert (await c.get(f"/api/v1/posts/{pid}/revisions")).status_code == 404
        assert (await c.get(f"/posts/{pid}/revisions")).status_code == 404


def _actions(page: str, post_id: int) -> str:
    start = page.index(f'id="post-{post_id}"')
    return page[start : page.index("</article>", start)]


def _other_skeleton(page: str) -> str:
    """What forum.js copies for someone else's post arriving live."""
    start = page.index('<template id="post-other">')
    return page[start : page.index("</template>", start)]


async def test_the_thread_page_offers_edit_to_moderators_who_may(make, db, client):
    tid, pid, _author = await _thread_with_reply(make)
    here = await make.logged_in(await _moderator(make, db, "africa"))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    for c in (here, admin):
        post = _actions((await c.get(f"/threads/{tid}")).text, pid)
        assert f'href="/posts/{pid}/edit"' in post and f'href="/posts/{pid}/revisions"' in post
        assert f'href="/posts/{pid}/delete"' not in post  # theirs is the moderation button
        assert 'href="/posts/{id}/edit"' in _other_skeleton((await c.get(f"/threads/{tid}")).text)
    elsewhere = await make.logged_in(await _moderator(make, db, "south-east-asia"))
    for c in (client, await make.logged_in(), elsewhere):
        post = _actions((await c.get(f"/threads/{tid}")).text, pid)
        assert "/edit" not in post and "/revisions" not in post
        assert "/edit" not in _other_skeleton((await c.get(f"/threads/{tid}")).text)
    r = await elsewhere.get(f"/posts/{pid}/edit")
    assert r.status_code == 403 and "Kofi Mensah" not in r.text


async def test_the_edit_page_lets_a_moderator_edit_then_comes_back(make, db):
    tid, pid, _author = await _thread_with_reply(make)
    c = await make.logged_in(await _moderator(make, db, "africa"))
    page = await c.get(f"/posts/{pid}/edit")
    assert page.status_code == 200 and "Edit a post as a moderator" in page.text
    assert "Kofi Mensah" in page.text  # the text to edit
    r = await c.post(
        f"/posts/{pid}/edit",
        data={"csrf": token_in(page.text), "body": EDIT["body"], "language": ""},
    )
    assert r.status_code == 303 and r.headers["location"].startswith(f"/threads/{tid}")
    assert (await _post_state(db, pid))[:2] == (EDIT["body"], 2)
    shown = (await c.get(f"/threads/{tid}")).text
    assert re.search(r"Edited by the moderators", shown)

"""Writing through the pages, as a browser without JavaScript does: forms with their CSRF
field, Post/Redirect/Get, previews that store nothing, errors next to the field with the
input kept, and the API's own rules (limits, locks, authorship) applied to the forms."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from sqlalchemy import text

from forum.models import Role
from tests import factories
from tests.pages import field_errors, submit, token_in
from web.links import THREAD_PAGE


async def _count(db, table: str) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(text(f"SELECT count(*) FROM {table}")))


def _textarea(page: str, name: str = "body") -> str:
    found = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no textarea {name}"
    return html.unescape(found.group(1))


def _article(page: str, post_id: int) -> str:
    found = re.search(rf'<article class="post" id="post-{post_id}".*?</article>', page, re.S)
    assert found, f"no post {post_id} on the page"
    return found.group(0)


async def _post(client, action: str, fields: list[tuple[str, str]], token: str | None):
    pairs = ([("csrf", token)] if token is not None else []) + fields
    return await client.post(
        action,
        content=urlencode(pairs),
        headers={"Origin": factories.BASE_URL, "Content-Type": "application/x-www-form-urlencoded"},
    )


async def test_a_member_starts_a_thread_and_a_preview_creates_nothing(make, db, client):
    member = await make.logged_in()
    form = await member.get("/threads/new")
    assert form.status_code == 200
    assert '<option value="africa">Africa</option>' in form.text
    assert '<option value="SN">Senegal</option>' in form.text  # countries by name
    assert '<option value="staff-room">' in form.text  # members read (and write) it
    assert '<option value="ar">' in form.text and '<label for="language">' in form.text

    fields = [
        ("region", "africa"),
        ("topic", "public-procurement"),
        ("countries", "SN"),
        ("countries", "KE"),
        ("title", "Open contracting <in> Dakar"),
        ("body", "Who has **tender** data?\n<script>alert(1)</script>"),
        ("language", "en"),
    ]
    before = (await _count(db, "threads"), await _count(db, "events"))
    shown = await submit(member, "/threads/new", "/threads/new", [*fields, ("preview", "1")])
    assert shown.status_code == 200
    assert "<strong>tender</strong>" in shown.text and "<script>alert" not in shown.text
    assert 'value="Open contracting &lt;in&gt; Dakar"' in shown.text  # input kept
    assert _textarea(shown.text).startswith("Who has **tender** data?")
    assert '<option value="KE" selected>' in shown.text
    assert (await _count(db, "threads"), await _count(db, "events")) == before

    done = await submit(member, "/threads/new", "/threads/new", fields)
    assert done.status_code == 303
    thread_url = done.headers["location"]
    assert re.fullmatch(r"/threads/\d+", thread_url)
    page = await client.get(thread_url)
    assert "<h1>Open contracting &lt;in&gt; Dakar</h1>" in page.text
    assert "<strong>tender</strong>" in page.text
    api = (await client.get("/api/v1" + thread_url)).json()
    assert api["thread"]["countries"] == ["KE", "SN"]
    assert api["posts"][0]["language"] == "en"


async def test_a_refused_thread_form_keeps_the_input_and_names_the_field(make, db):
    member = await make.logged_in()
    before = await _count(db, "threads")
    fields = {"region": "atlantis", "topic": "public-procurement", "title": " ", "body": "Kept"}
    r = await submit(member, "/threads/new", "/threads/new", fields)
    assert r.status_code == 422
    assert "title" in field_errors(r.text)
    assert _textarea(r.text) == "Kept"
    r = await submit(member, "/threads/new", "/threads/new", {**fields, "title": "Fine"})
    assert r.status_code == 422 and set(field_errors(r.text)) == {"region"}
    long = "é" * (32 * 1024 + 1)  # 64 KiB + 2 bytes
    r = await submit(
        member,
        "/threads/new",
        "/threads/new",
        {**fields, "region": "africa", "title": "Fine", "body": long},
    )
    assert r.status_code == 422 and set(field_errors(r.text)) == {"body"}
    assert await _count(db, "threads") == before


async def test_visitors_are_asked_to_log_in_and_see_no_reply_form(make, client):
    r = await client.get("/threads/new")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fthreads%2Fnew"
    tid = (await make.thread())["thread"]["id"]
    page = await client.get(f"/threads/{tid}")
    assert f'href="/login?next=/threads/{tid}"' in page.text
    assert 'id="reply"' not in page.text and "?quote=" not in page.text
    r = await client.get(f"/threads/{tid}/reply")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


async def test_reply_quoting_a_post_links_to_it(make, client):
    author = await make.user()
    started = await make.thread(author, body="Line one\n\nLine *two*")
    tid, first = started["thread"]["id"], started["post"]["id"]
    member = await make.logged_in()
    page = await member.get(f"/threads/{tid}")
    assert 'id="reply"' in page.text and 'name="body"' in page.text
    assert f'href="/threads/{tid}/reply?quote={first}#body"' in _article(page.text, first)

    quoting = await member.get(f"/threads/{tid}/reply?quote={first}")
    assert quoting.status_code == 200
    assert _textarea(quoting.text) == "> Line one\n>\n> Line *two*\n\n"
    assert f'<input type="hidden" name="reply_to" value="{first}">' in quoting.text

    r = await _post(
        member,
        f"/threads/{tid}/reply",
        [("reply_to", str(first)), ("body", "> Line one\n\nAgreed."), ("language", "")],
        token_in(quoting.text),
    )
    assert r.status_code == 303
    location = r.headers["location"]
    assert re.fullmatch(rf"/threads/{tid}#post-(\d+)", location)
    new_id = int(location.rsplit("-", 1)[1])
    page = await client.get(f"/threads/{tid}")
    reply = _article(page.text, new_id)
    assert f'<a href="#post-{first}">in reply to a post</a>' in reply
    assert "<blockquote>" in reply


async def test_a_reply_lands_on_the_page_that_holds_it(make):
    tid = (await make.thread())["thread"]["id"]
    for i in range(THREAD_PAGE):
        await make.reply(tid, body=f"filler {i}")
    member = await make.logged_in()
    r = await submit(member, f"/threads/{tid}", f"/threads/{tid}/reply", {"body": "The last"})
    assert r.status_code == 303
    page = await member.get(r.headers["location"])
    new_id = int(r.headers["location"].rsplit("-", 1)[1])
    assert "The last" in _article(page.text, new_id)
    assert "?cursor=" in r.headers["location"]


async def test_reply_preview_and_errors_keep_the_text(make, db, settings):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in()
    before = await _count(db, "posts")
    r = await submit(
        member, f"/threads/{tid}", f"/threads/{tid}/reply", {"body": "*soon*", "preview": "1"}
    )
    assert r.status_code == 200 and "<em>soon</em>" in r.text and _textarea(r.text) == "*soon*"
    r = await submit(member, f"/threads/{tid}", f"/threads/{tid}/reply", {"body": "  "})
    assert r.status_code == 422 and "body" in field_errors(r.text)
    r = await submit(
        member, f"/threads/{tid}", f"/threads/{tid}/reply", {"body": "x", "reply_to": "99999"}
    )
    assert r.status_code == 422 and "reply_to" in field_errors(r.text)
    assert _textarea(r.text) == "x"
    assert await _count(db, "posts") == before


async def test_forms_follow_the_api_rules_locks_limits_and_csrf(make, db, settings):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in()
    page = await member.get(f"/threads/{tid}")
    token = token_in(page.text)
    before = await _count(db, "posts")

    r = await _post(member, f"/threads/{tid}/reply", [("body", "no token")], None)
    assert r.status_code == 403
    r = await _post(member, f"/threads/{tid}/reply", [("body", "bad token")], token[::-1])
    assert r.status_code == 403
    r = await _post(member, "/threads/new", [("title", "t"), ("body", "b")], None)
    assert r.status_code == 403
    assert await _count(db, "posts") == before

    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET locked = true WHERE id = :id"), {"id": tid})
    page = await member.get(f"/threads/{tid}")
    assert 'id="reply"' not in page.text and "This thread is locked" in page.text
    r = await _post(member, f"/threads/{tid}/reply", [("body", "Too late")], token)
    assert r.status_code == 403 and "locked" in r.text and _textarea(r.text) == "Too late"
    assert await _count(db, "posts") == before

    async with factories.app_with_rates(settings, post=(1, 600)) as app:
        f = factories.Factory(app, make.db)
        writer = await f.logged_in()
        open_tid = (await f.thread())["thread"]["id"]
        first = await submit(writer, f"/threads/{open_tid}", f"/threads/{open_tid}/reply",
                             {"body": "one"})  # fmt: skip
        assert first.status_code == 303
        second = await submit(writer, f"/threads/{open_tid}", f"/threads/{open_tid}/reply",
                              {"body": "two, kept"})  # fmt: skip
        assert second.status_code == 429 and int(second.headers["retry-after"]) > 0
        assert _textarea(second.text) == "two, kept"

    async with factories.app_with_rates(settings, edit=(1, 600), preview=(1, 600)) as app:
        f = factories.Factory(app, make.db)
        writer = await f.logged_in()
        pid = (await f.thread(writer.user))["post"]["id"]
        edit = f"/posts/{pid}/edit"
        assert (await submit(writer, edit, edit, {"body": "first edit"})).status_code == 303
        second = await submit(writer, edit, edit, {"body": "second edit, kept"})
        assert second.status_code == 429 and _textarea(second.text) == "second edit, kept"
        shown = await submit(writer, edit, edit, {"body": "*a*", "preview": "1"})
        assert shown.status_code == 200 and "<em>a</em>" in shown.text
        shown = await submit(writer, edit, edit, {"body": "*b*", "preview": "1"})
        assert shown.status_code == 429 and _textarea(shown.text) == "*b*"


async def test_suspended_members_write_nothing_through_forms(make, db):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in()
    token = token_in((await member.get(f"/threads/{tid}")).text)
    async with db.transaction() as s:
        await s.execute(
            text("UPDATE users SET suspended_at = now() WHERE id = :id"), {"id": member.user["id"]}
        )
    before = await _count(db, "posts")
    r = await _post(member, f"/threads/{tid}/reply", [("body", "from a suspended account")], token)
    assert r.status_code == 403 and _textarea(r.text) == "from a suspended account"
    assert await _count(db, "posts") == before
    assert (await member.get("/threads/new")).status_code == 403


async def test_the_author_edits_sees_revisions_and_deletes(make, client):
    tid = (await make.thread())["thread"]["id"]
    author = await make.logged_in()
    post = await make.reply(tid, author.user, body="First *version*")
    pid = post["id"]
    page = await author.get(f"/threads/{tid}")
    mine = _article(page.text, pid)
    for link in (f"/posts/{pid}/edit", f"/posts/{pid}/delete", f"/posts/{pid}/revisions"):
        assert f'href="{link}"' in mine

    form = await author.get(f"/posts/{pid}/edit")
    assert form.status_code == 200 and _textarea(form.text) == "First *version*"
    shown = await submit(
        author, f"/posts/{pid}/edit", f"/posts/{pid}/edit", {"body": "Second", "preview": "1"}
    )
    assert shown.status_code == 200 and "<p>Second</p>" in shown.text
    assert "First" in (await client.get(f"/api/v1/threads/{tid}")).json()["posts"][1]["body"]
    r = await submit(author, f"/posts/{pid}/edit", f"/posts/{pid}/edit", {"body": "Second"})
    assert r.status_code == 303 and r.headers["location"] == f"/threads/{tid}#post-{pid}"
    page = await client.get(f"/threads/{tid}")
    assert "edited" in _article(page.text, pid) and "Second" in _article(page.text, pid)

    history = await author.get(f"/posts/{pid}/revisions")
    assert history.status_code == 200
    assert "<em>version</em>" in history.text and "<p>Second</p>" in history.text
    assert history.text.index("<p>Second</p>") < history.text.index("<em>version</em>")

    confirm = await author.get(f"/posts/{pid}/delete")
    assert confirm.status_code == 200 and "Second" in confirm.text
    r = await submit(author, f"/posts/{pid}/delete", f"/posts/{pid}/delete", {})
    assert r.status_code == 303
    page = await client.get(f"/threads/{tid}")
    gone = _article(page.text, pid)
    assert "This post was deleted." in gone and "Second" not in gone
    assert (await author.get(f"/posts/{pid}/edit")).status_code == 409


async def test_no_one_else_edits_deletes_or_reads_revisions(make, db):
    tid = (await make.thread())["thread"]["id"]
    author = await make.user()
    pid = (await make.reply(tid, author, body="Mine alone"))["id"]
    other = await make.logged_in()
    page = await other.get(f"/threads/{tid}")
    theirs = _article(page.text, pid)
    assert "/edit" not in theirs and "/delete" not in theirs and "/revisions" not in theirs
    for path in (f"/posts/{pid}/edit", f"/posts/{pid}/delete", f"/posts/{pid}/revisions"):
        r = await other.get(path)
        assert r.status_code == 403, path
        assert "Mine alone" not in r.text
    token = token_in(page.text)
    for action, fields in ((f"/posts/{pid}/edit", [("body", "hijack")]),
                           (f"/posts/{pid}/delete", [])):  # fmt: skip
        r = await _post(other, action, fields, token)
        assert r.status_code == 403, action
    api = await other.get(f"/api/v1/threads/{tid}")
    assert api.json()["posts"][1]["body"] == "Mine alone"
    # A moderator of no region neither (issue 12: tests/web/test_moderator_edit.py).
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    assert (await moderator.get(f"/posts/{pid}/revisions")).status_code == 403
    assert (await moderator.get(f"/posts/{pid}/edit")).status_code == 403


async def test_a_remembered_post_still_answers_to_its_reader_and_its_state_now(make, db):
    """Thread pages remember rendered posts (web/pages/fragments.py): whoever reads first,
    each reader still gets their own links, and a change to the row is seen at once."""
    tid = (await make.thread())["thread"]["id"]
    author_user = await make.user()
    pid = (await make.reply(tid, author_user, body="Canary-wren was here"))["id"]
    author, other = await make.logged_in(author_user), await make.logged_in()
    for reader, own in ((other, False), (author, True), (other, False), (author, True)):
        article = _article((await reader.get(f"/threads/{tid}")).text, pid)
        assert "Canary-wren" in article
        assert (f'href="/posts/{pid}/edit"' in article) is own
        assert (f'href="/posts/{pid}/flag"' in article) is not own
    async with db.transaction() as s:
        await s.execute(text("UPDATE posts SET hidden = true WHERE id = :p"), {"p": pid})
    article = _article((await other.get(f"/threads/{tid}")).text, pid)
    assert "Canary-wren" not in article and "hidden by the moderators" in article
    assert "Canary-wren" in _article((await author.get(f"/threads/{tid}")).text, pid)


def _skeleton(page: str, which: str) -> str:
    start = page.index(f'<template id="post-{which}">')
    return page[start : page.index("</template>", start)]


async def test_remembered_skeletons_offer_each_reader_their_own_links(make, db, client):
    """The live posts' skeletons are remembered too: whoever reads first, a member's own
    skeleton offers Edit and Delete and the other Report; a visitor's neither; the
    region's moderator's carries the moderation form (rendered afresh)."""
    tid = (await make.thread())["thread"]["id"]
    moderating = await make.user(Role.MODERATOR)
    async with db.transaction() as s:
        await s.execute(
            text("INSERT INTO moderated_regions SELECT :u, id FROM regions WHERE slug = 'africa'"),
            {"u": moderating["id"]},
        )
    moderator, member = await make.logged_in(moderating), await make.logged_in()
    for _ in range(2):
        page = (await client.get(f"/threads/{tid}")).text
        assert "/edit" not in _skeleton(page, "mine") and "/flag" not in _skeleton(page, "other")
        page = (await member.get(f"/threads/{tid}")).text
        assert 'href="/posts/{id}/edit"' in _skeleton(page, "mine")
        assert 'href="/posts/{id}/delete"' in _skeleton(page, "mine")
        assert 'href="/posts/{id}/flag"' in _skeleton(page, "other")
        assert "/edit" not in _skeleton(page, "other")
        assert "/moderate" not in _skeleton(page, "other")
        page = (await moderator.get(f"/threads/{tid}")).text
        assert 'action="/posts/{id}/moderate"' in _skeleton(page, "other")


async def test_the_remembered_reply_form_carries_each_pages_own_token_and_key(make, db):
    """The blank reply form is remembered per thread: each page still fills in its
    reader's CSRF field and a fresh once-only key, and the form posts as it is."""
    tid = (await make.thread())["thread"]["id"]
    members = [await make.logged_in(), await make.logged_in()]
    seen = set()
    for member in [*members, *members]:
        page = (await member.get(f"/threads/{tid}")).text
        form = re.search(r'<form [^>]*id="reply".*?</form>', page, re.S).group(0)
        [token] = re.findall(r'<input type="hidden" name="csrf" value="([^"]+)">', form)
        [once] = re.findall(r'<input type="hidden" name="once" value="([^"]+)">', form)
        assert once not in seen
        seen.add(once)
        fields = [("once", once), ("reply_to", ""), ("body", f"Reply {len(seen)}")]
        r = await _post(member, f"/threads/{tid}/reply", fields, token)
        assert r.status_code == 303
    assert await _count(db, "posts") == 5


async def test_each_post_carries_its_language_and_direction(make, client):
    tid = (await make.thread(body="Who audits the tenders?", language="en"))["thread"]["id"]
    arabic = await make.reply(tid, body="من يراقب المناقصات العامة في بلدنا؟", language="ar")
    page = await client.get(f"/threads/{tid}")
    assert f'id="post-{arabic["id"]}" lang="ar" dir="rtl"' in page.text
    assert 'lang="en" dir="ltr"' in page.text
    assert '<html lang="en" dir="ltr">' in page.text  # the page stays left to right
    assert 'data-rtl="ar fa he ur"' in page.text  # the script's copy of the one list


async def test_writing_pages_leak_nothing_a_reader_may_not_see(make, db, client):
    canary = "Witness Ndiaye"
    private = await make.thread(region="staff-room", body=f"{canary} spoke")
    ptid, ppid = private["thread"]["id"], private["post"]["id"]
    for path in (f"/posts/{ppid}", f"/threads/{ptid}/reply?quote={ppid}",
                 f"/posts/{ppid}/revisions"):  # fmt: skip
        r = await client.get(path, follow_redirects=False)
        assert r.status_code in (303, 404), path
        assert canary not in r.text
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login")

    public = await make.thread()
    tid = public["thread"]["id"]
    gone = await make.reply(tid, body=f"{canary} again")
    async with db.transaction() as s:
        await s.execute(text("UPDATE posts SET deleted_at = now() WHERE id = :id"), gone)
    member = await make.logged_in()
    # A quote of a deleted post, or of a post in a thread the member may read elsewhere
    # but not here, prefills nothing.
    for quote in (gone["id"], ppid):
        r = await member.get(f"/threads/{tid}/reply?quote={quote}")
        assert r.status_code == 200 and canary not in r.text
        assert _textarea(r.text) == ""
    visitor_view = await client.get(f"/posts/{ppid}")
    assert visitor_view.status_code == 404 and canary not in visitor_view.text


async def test_a_form_sent_twice_creates_once(make, db):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in()
    page = (await member.get(f"/threads/{tid}")).text
    [once] = re.findall(r'<input type="hidden" name="once" value="([^"]+)">', page)
    fields = [("once", once), ("reply_to", ""), ("body", "Sent on a slow link")]
    before = await _count(db, "posts")
    first = await _post(member, f"/threads/{tid}/reply", fields, token_in(page))
    again = await _post(member, f"/threads/{tid}/reply", fields, token_in(page))
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert await _count(db, "posts") == before + 1
    # The same form brought back (the browser's Back) with other text: a new reply.
    other = await _post(member, f"/threads/{tid}/reply", [*fields[:2], ("body", "Another")],
                        token_in(page))  # fmt: skip
    assert other.status_code == 303 and other.headers["location"] != first.headers["location"]
    assert await _count(db, "posts") == before + 2

    form = (await member.get("/threads/new")).text
    [once] = re.findall(r'<input type="hidden" name="once" value="([^"]+)">', form)
    fields = [("once", once), ("region", "africa"), ("topic", "public-procurement"),
              ("title", "Twice?"), ("body", "Once.")]  # fmt: skip
    first = await _post(member, "/threads/new", fields, token_in(form))
    again = await _post(member, "/threads/new", fields, token_in(form))
    assert first.headers["location"] == again.headers["location"]
    assert await _count(db, "threads") == 2
    # Another page, another key: a second, deliberate reply is written.
    page = (await member.get(f"/threads/{tid}")).text
    assert once not in page

"""Notifications and following through the API and the pages (no JavaScript): follow and
stop, save a search, the list (unread first), the count in the header, opening one (a
form: marked read, then to the post), mark all read.

Canary: a member who may not read a members-only thread gets nothing about it on any
path; a post hidden after it notified leaves the page, the count and the API."""

from __future__ import annotations

from urllib.parse import urlencode

from forum import catalog, moderation
from forum.models import Role
from forum.permissions import Actor
from tests.notify import settle
from tests.pages import submit, token_in

ADMIN = Actor(0, Role.ADMIN)


async def _form(c, page: str, action: str, fields: dict[str, str]):
    """POST a form found on `page` (its CSRF field), as a browser would."""
    return await submit(c, page, action, fields)


async def test_follow_api_and_me_follows(make):
    c = await make.logged_in()
    r = await c.put("/api/v1/follows/region:africa", json={"level": "watching",
                                                            "mailing_list": True})  # fmt: skip
    assert r.status_code == 200 and r.json()["mailing_list"] is True
    r = await c.put("/api/v1/follows/topic:public-procurement", json={"level": "muted"})
    assert r.json()["level"] == "muted"
    listed = (await c.get("/api/v1/me/follows")).json()["follows"]
    assert {f["target"] for f in listed} == {"region:africa", "topic:public-procurement"}
    # Bad input: clear errors, nothing changed.
    r = await c.put("/api/v1/follows/topic:public-procurement", json={"level": "loud"})
    assert r.status_code == 422
    r = await c.put("/api/v1/follows/topic:x", json={"level": "watching", "mailing_list": True})
    assert r.status_code in (404, 422)
    r = await c.put("/api/v1/follows/nonsense", json={"level": "watching"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_target"
    # What one may not read cannot be followed, and looks missing.
    r = await c.put("/api/v1/follows/region:nowhere", json={"level": "watching"})
    assert r.status_code == 404
    assert (await c.delete("/api/v1/follows/region:africa")).json() == {"unfollowed": True}
    assert len((await c.get("/api/v1/me/follows")).json()["follows"]) == 1
    visitor = await make.logged_in(await make.user(Role.APPLICANT))
    r = await visitor.put("/api/v1/follows/region:staff-room", json={"level": "watching"})
    assert r.status_code == 404


async def test_notifications_api_list_count_read(app, make):
    reader = await make.user()
    c = await make.logged_in(reader)
    await c.put("/api/v1/follows/region:africa", json={"level": "watching"})
    author = await make.user()
    started = await make.thread(author, title="Tender watch", body="A *first* post")
    await settle(app)
    assert (await c.get("/api/v1/notifications/count")).json() == {"unread": 1}
    [item] = (await c.get("/api/v1/notifications")).json()["notifications"]
    assert item["reason"] == "new_thread" and item["title"] == "Tender watch"
    assert (
        item["excerpt"] == "A first post" and item["url"] == f"/threads/{started['thread']['id']}"
    )
    r = await c.post("/api/v1/notifications/read", json={"ids": [item["id"]]})
    assert r.json() == {"marked": 1}
    assert (await c.get("/api/v1/notifications/count")).json() == {"unread": 0}
    assert (await c.post("/api/v1/notifications/read")).json() == {"marked": 0}
    r = await c.post("/api/v1/notifications/read", json={"ids": [0]})
    assert r.status_code == 422
    anonymous = await make.logged_in()
    anonymous.cookies.clear()
    assert (await anonymous.get("/api/v1/notifications/count")).status_code == 401


async def test_canary_members_only_thread_and_hidden_post(app, db, make):
    member, applicant = await make.user(), await make.user(Role.APPLICANT)
    for user in (member, applicant):
        c = await make.logged_in(user)
        await c.put("/api/v1/follows/topic:public-procurement", json={"level": "watching"})
    author = await make.user()
    secret = await make.thread(author, region="staff-room", title="canary-secret-title",
                               body="canary-secret-body")  # fmt: skip
    public = await make.thread(author, region="africa", title="Open tenders")
    later = await make.reply(public["thread"]["id"], author, body="canary-hidden-later")
    await settle(app)
    applicant_client = await make.logged_in(applicant)
    for path in ("/api/v1/notifications", "/notifications", "/"):
        body = (await applicant_client.get(path)).text
        assert "canary-secret" not in body
    # The new public thread, then its reply (watching the topic): not the secret thread.
    assert (await applicant_client.get("/api/v1/notifications/count")).json() == {"unread": 2}
    assert "canary-hidden-later" in (await applicant_client.get("/notifications")).text
    member_client = await make.logged_in(member)
    assert (await member_client.get("/api/v1/notifications/count")).json() == {"unread": 3}
    assert "canary-secret-title" in (await member_client.get("/notifications")).text
    # Hidden after it notified: gone from the page, the count and the API.
    async with db.transaction() as s:
        known = await catalog.load(s)
        await moderation.set_post_hidden(s, ADMIN, known, later["id"], hidden=True)
    for c in (member_client, applicant_client):
        assert "canary-hidden-later" not in (await c.get("/notifications")).text
        assert "canary-hidden-later" not in (await c.get("/api/v1/notifications")).text
    assert (await applicant_client.get("/api/v1/notifications/count")).json() == {"unread": 1}
    assert (await member_client.get("/api/v1/notifications/count")).json() == {"unread": 2}
    assert secret


async def test_pages_follow_open_and_mark_all_read(app, make):
    reader = await make.user()
    c = await make.logged_in(reader)
    fields = {"target": "region:africa", "level": "watching", "next": "/regions/africa"}
    r = await _form(c, "/regions/africa", "/follows", fields)
    assert r.status_code == 303 and r.headers["location"] == "/regions/africa"
    page = (await c.get("/regions/africa")).text
    assert '<option value="watching" selected>' in page
    author = await make.user()
    first = await make.thread(author, title="First news")
    await make.thread(author, title="Second news")
    await settle(app)
    page = (await c.get("/notifications")).text
    assert page.index("Second news") < page.index("First news")  # newest first
    header = (await c.get("/")).text
    assert 'id="notification-count"' in header and '<span class="count">2</span>' in header
    items = (await c.get("/api/v1/notifications")).json()["notifications"]
    oldest = items[-1]
    r = await c.post(
        f"/notifications/{oldest['id']}/open",
        content=urlencode([("csrf", token_in(page))]),
        headers={"Origin": str(c.base_url).rstrip("/"),
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/threads/{first['thread']['id']}"
    assert '<span class="count">1</span>' in (await c.get("/")).text
    r = await _form(c, "/notifications", "/notifications/read", {})
    assert r.status_code == 303
    assert '<span class="count" hidden>' in (await c.get("/")).text
    # Stop following from the list of what one follows.
    r = await _form(c, "/following", "/follows",
                    {"target": "region:africa", "level": "stop", "next": "/following"})  # fmt: skip
    assert r.status_code == 303
    assert "Stop following" not in (await c.get("/following")).text


async def test_save_a_search_from_the_search_page(app, make):
    reader = await make.user()
    c = await make.logged_in(reader)
    page = (await c.get("/search?q=procurement+fraud&region=africa")).text
    assert "Save this search" in page
    r = await _form(c, "/search?q=procurement+fraud&region=africa", "/saved-searches",
                    {"q": "procurement fraud", "region": "africa", "name": "Fraud"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/following?saved=")
    listed = (await c.get("/api/v1/me/saved-searches")).json()["saved_searches"]
    assert [(s["name"], s["region"]) for s in listed] == [("Fraud", "africa")]
    author = await make.user()
    match = await make.thread(author, region="africa", body="Procurement fraud in Dakar")
    await settle(app)
    [item] = (await c.get("/api/v1/notifications")).json()["notifications"]
    assert (item["reason"], item["post_id"]) == ("saved_search", match["post"]["id"])
    saved_id = listed[0]["id"]
    assert (await c.delete(f"/api/v1/saved-searches/{saved_id}")).json() == {"deleted": True}
    assert (await c.delete(f"/api/v1/saved-searches/{saved_id}")).status_code == 404


async def test_the_pages_speak_the_members_language(app, make):
    words = {
        "en": ("A new thread: “Budget”", "Mark all read", "What you follow"),
        "fr": ("Une nouvelle discussion : « Budget »", "Tout marquer comme lu",
               "Ce que vous suivez"),
        "es": ("Un nuevo hilo: «Budget»", "Marcar todo como leído", "Lo que sigue"),
    }  # fmt: skip
    readers = {}
    for language in words:
        readers[language] = await make.user(language=language)
        c = await make.logged_in(readers[language])
        await c.put("/api/v1/follows/region:africa", json={"level": "watching"})
    await make.thread(await make.user(), title="Budget")
    await settle(app)
    for language, (item, button, link) in words.items():
        c = await make.logged_in(readers[language])
        page = (await c.get("/notifications")).text
        assert item in page and button in page and link in page, language
        assert f'lang="{language}"' in page


async def test_thread_page_and_api_say_how_the_reader_follows_the_thread(app, make, client):
    author, reader = await make.user(), await make.user()
    t = (await make.thread(author))["thread"]
    c = await make.logged_in(reader)
    page = f"/threads/{t['id']}"
    assert '<option value="stop" selected>' in (await c.get(page)).text
    assert (await c.get(f"/api/v1{page}")).json()["following"] is None
    r = await _form(c, page, "/follows",
                    {"target": f"thread:{t['id']}", "level": "tracking", "next": page})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == page
    assert '<option value="tracking" selected>' in (await c.get(page)).text
    assert (await c.get(f"/api/v1{page}")).json()["following"] == "tracking"
    # Posting in a thread follows it; a visitor follows nothing and sees no control.
    await settle(app)  # the notifier makes the author follow
    writer = await make.logged_in(author)
    assert (await writer.get(f"/api/v1{page}")).json()["following"] == "watching"
    assert 'name="level"' not in (await client.get(page)).text
    assert (await client.get(f"/api/v1{page}")).json()["following"] is None


async def test_a_new_experience_reaches_organisation_followers_and_saved_searches(app, make):
    from tests.web.test_experiences_api import STORY
    from tests.web.test_experiences_api import _setup as organisation

    _, writer = await organisation(make)
    follower = await make.logged_in(await make.user(language="fr"))
    r = await follower.put("/api/v1/follows/organisation:olcac", json={"level": "watching"})
    assert r.status_code == 200, r.text
    searcher = await make.logged_in()
    search = "/search?q=checkpoints&kind=experience"
    assert "Save this search" in (await searcher.get(search)).text
    assert "Save this search" not in (await searcher.get("/search?q=checkpoints&kind=news")).text
    r = await _form(searcher, search, "/saved-searches",
                    {"q": "checkpoints", "kind": "experience", "name": "Checkpoints"})  # fmt: skip
    assert r.status_code == 303
    [saved] = (await searcher.get("/api/v1/me/saved-searches")).json()["saved_searches"]
    assert saved["kind"] == "experience"
    assert "kind=experience" in (await searcher.get("/following")).text
    r = await searcher.post("/api/v1/saved-searches", json={"name": "n", "q": "x", "kind": "news"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_kind"
    made = (await writer.post("/api/v1/experiences", json=STORY)).json()
    await settle(app)
    from web import schemas

    for c in (follower, searcher):
        schemas.NotificationList.model_validate((await c.get("/api/v1/notifications")).json())
    page = (await follower.get("/notifications")).text
    assert f"Une nouvelle expérience d’une organisation que vous suivez : « {STORY['title']} »" \
        in page  # fmt: skip
    [item] = (await searcher.get("/api/v1/notifications")).json()["notifications"]
    assert (item["reason"], item["subject"], item["url"]) == (
        "saved_search", f"experience:{made['id']}", f"/experiences/{made['id']}"
    )  # fmt: skip
    assert "Drivers paid bribes at checkpoints." in item["excerpt"]
    page = (await searcher.get("/notifications")).text
    assert f"A new experience matching your saved search: “{STORY['title']}”" in page
    assert '<span class="count">1</span>' in (await searcher.get("/")).text


async def test_a_moderators_deletion_tells_the_author_never_who(app, db, make):
    author = await make.user()
    moderator = await make.user(Role.ADMIN, display_name="CANARYMODERATOR Name")
    tid = (await make.thread(author, title="Budget lines"))["thread"]["id"]
    theirs = await make.reply(tid, author, body="A post a moderator deletes")
    own = await make.reply(tid, author, body="A post its author deletes")
    mod = await make.logged_in(moderator)
    r = await mod.post(f"/api/v1/posts/{theirs['id']}/delete", json={"reason": "Off topic"})
    assert r.status_code == 200, r.text
    c = await make.logged_in(author)
    assert (await c.delete(f"/api/v1/posts/{own['id']}")).status_code == 200
    await settle(app)
    items = (await c.get("/api/v1/notifications")).json()["notifications"]
    assert [(i["reason"], i["action"], i["post_id"]) for i in items] == [
        ("moderation", "post.deleted", theirs["id"])
    ]
    assert items[0]["excerpt"] == ""  # the words are gone
    page = (await c.get("/notifications")).text
    assert "A moderator deleted your post in “Budget lines”" in page
    assert '<span class="count">1</span>' in page
    async with db.transaction() as s:
        from sqlalchemy import text

        payloads = list(await s.scalars(text(
            "SELECT payload FROM events WHERE type = 'post.deleted' ORDER BY id")))  # fmt: skip
    assert payloads == [
        {"thread_id": tid, "post_id": theirs["id"], "by_moderator": True},
        {"thread_id": tid, "post_id": own["id"]},
    ]
    for seen in (page, str(items)):
        assert "CANARYMODERATOR" not in seen  # the payloads above name nobody either

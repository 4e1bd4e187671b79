"""Replies, edits with revisions, soft deletion, locked threads."""

from __future__ import annotations

from sqlalchemy import text

from forum.models import Role


async def test_reply_is_numbered_and_counted(make, client):
    tid = (await make.thread())["thread"]["id"]
    c = await make.logged_in()
    r = await c.post(
        f"/api/v1/threads/{tid}/posts", json={"body": "Agreed, see [the law](https://example.org)."}
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert post["position"] == 2
    assert 'rel="nofollow ugc noopener noreferrer"' in post["body_html"]
    thread = (await client.get(f"/api/v1/threads/{tid}")).json()["thread"]
    assert thread["reply_count"] == 1
    assert thread["last_activity_at"] == post["created_at"]


async def test_reply_to_must_be_in_the_same_thread(make):
    one = await make.thread(title="one")
    two = await make.thread(title="two")
    c = await make.logged_in()
    first_post = one["post"]["id"]
    ok = await c.post(
        f"/api/v1/threads/{one['thread']['id']}/posts", json={"body": "yes", "reply_to": first_post}
    )
    assert ok.status_code == 201 and ok.json()["reply_to"] == first_post
    bad = await c.post(
        f"/api/v1/threads/{two['thread']['id']}/posts", json={"body": "no", "reply_to": first_post}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "unknown_post"


async def test_locked_thread_takes_no_replies_but_moderators_may(make, db, client):
    tid = (await make.thread())["thread"]["id"]
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET locked = true WHERE id = :id"), {"id": tid})
    member = await make.logged_in()
    r = await member.post(f"/api/v1/threads/{tid}/posts", json={"body": "late"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "thread_locked"
    thread = (await client.get(f"/api/v1/threads/{tid}")).json()
    assert thread["thread"]["post_count"] == 1 and len(thread["posts"]) == 1
    moderator = await make.logged_in(await make.user(Role.MODERATOR))
    r = await moderator.post(f"/api/v1/threads/{tid}/posts", json={"body": "Closing note."})
    assert r.status_code == 201


async def test_author_edits_and_revisions_keep_every_version(make, client):
    author = await make.logged_in()
    tid = (await make.thread())["thread"]["id"]
    pid = (await author.post(f"/api/v1/threads/{tid}/posts", json={"body": "first"})).json()["id"]
    for body in ["second", "third"]:
        r = await author.patch(f"/api/v1/posts/{pid}", json={"body": body})
        assert r.status_code == 200, r.text
    assert r.json()["revision"] == 3 and r.json()["edited_at"] is not None
    history = (await author.get(f"/api/v1/posts/{pid}/revisions")).json()
    assert [(v["revision"], v["body"]) for v in history["revisions"]] == [
        (1, "first"),
        (2, "second"),
        (3, "third"),
    ]
    page = (await client.get(f"/api/v1/threads/{tid}")).json()
    assert page["posts"][1]["body"] == "third"


async def test_only_the_author_edits_or_deletes(make):
    tid = (await make.thread())["thread"]["id"]
    author = await make.logged_in()
    pid = (await author.post(f"/api/v1/threads/{tid}/posts", json={"body": "mine"})).json()["id"]
    other = await make.logged_in()
    r = await other.patch(f"/api/v1/posts/{pid}", json={"body": "hijacked"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_author"
    r = await other.delete(f"/api/v1/posts/{pid}")
    assert r.status_code == 403
    page = (await author.get(f"/api/v1/threads/{tid}")).json()
    assert page["posts"][1]["body"] == "mine" and not page["posts"][1]["deleted"]


async def test_earlier_versions_are_private_to_author_and_moderators(make, client):
    author = await make.logged_in()
    tid = (await make.thread())["thread"]["id"]
    pid = (
        await author.post(f"/api/v1/threads/{tid}/posts", json={"body": "names a source"})
    ).json()["id"]
    await author.patch(f"/api/v1/posts/{pid}", json={"body": "redacted"})
    other = await make.logged_in()
    for reader in (client, other):
        r = await reader.get(f"/api/v1/posts/{pid}/revisions")
        assert r.status_code == 403
        assert "names a source" not in r.text
    # Moderators of the post's region (issue 12: region-scoped, tests/web/test_redaction.py).
    moderator = await make.logged_in(await make.user(Role.ADMIN))
    assert (await moderator.get(f"/api/v1/posts/{pid}/revisions")).status_code == 200


async def test_deletion_is_soft_and_leaves_a_tombstone(make, db, client):
    author = await make.logged_in()
    tid = (await make.thread())["thread"]["id"]
    pid = (await author.post(f"/api/v1/threads/{tid}/posts", json={"body": "oops"})).json()["id"]
    r = await author.delete(f"/api/v1/posts/{pid}")
    assert r.status_code == 200 and r.json()["deleted"] is True
    post = (await client.get(f"/api/v1/threads/{tid}")).json()["posts"][1]
    assert post["deleted"] is True and post["body"] is None and post["body_html"] is None
    async with db.transaction() as s:
        kept = await s.scalar(text("SELECT body_source FROM posts WHERE id = :id"), {"id": pid})
    assert kept == "oops"
    r = await author.patch(f"/api/v1/posts/{pid}", json={"body": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "post_deleted"
    r = await author.delete(f"/api/v1/posts/{pid}")
    assert r.status_code == 409


async def test_unknown_posts_are_404(make):
    c = await make.logged_in()
    for method, path in [
        ("PATCH", "/api/v1/posts/424242"),
        ("DELETE", "/api/v1/posts/424242"),
        ("GET", "/api/v1/posts/424242/revisions"),
    ]:
        r = await c.request(method, path, json={"body": "x"} if method == "PATCH" else None)
        assert r.status_code == 404, (method, r.text)
        assert r.json()["error"]["code"] == "post_not_found"


async def test_every_write_lands_in_the_event_log(make, db):
    from forum import events

    author = await make.logged_in()
    tid = (await make.thread())["thread"]["id"]
    pid = (await author.post(f"/api/v1/threads/{tid}/posts", json={"body": "a"})).json()["id"]
    await author.patch(f"/api/v1/posts/{pid}", json={"body": "b"})
    await author.delete(f"/api/v1/posts/{pid}")
    async with db.transaction() as s:
        log = await events.read(s)
    assert [e.type for e in log] == [
        "thread.created",
        "post.created",
        "post.edited",
        "post.deleted",
    ]
    assert all(f"thread:{tid}" in e.channels for e in log)
    # The log names what changed, never the text (readers get it as it is now: forum.feed).
    assert [e.payload for e in log[1:]] == [{"thread_id": tid, "post_id": pid}] * 3

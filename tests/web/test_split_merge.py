"""Moderators split a thread (a post and every later one to a new thread) and merge one
thread into another, through the API and the pages: positions, counts, last activity,
region/topic counts, search documents, reply links, read positions, hidden and deleted
posts, events on both threads' channels, the audit entry, idempotency; refusals change
nothing; and nobody reads, through any path, what the new state does not let them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from sqlalchemy import text
from websockets.asyncio.client import connect

from forum import documents
from forum.models import Role
from tests.factories import PASSWORD
from tests.pages import field_errors, submit
from tests.web.test_audit import _moderator
from web import auth


async def _rows(db, sql: str, **values) -> list[tuple]:
    async with db.transaction() as s:
        return [tuple(r) for r in await s.execute(text(sql), values)]


async def _positions(db, thread_id: int) -> list[tuple[int, int]]:
    return await _rows(
        db, "SELECT id, position FROM posts WHERE thread_id = :t ORDER BY position", t=thread_id
    )


async def _count(db, region: str = "africa", topic: str = "public-procurement") -> int:
    found = await _rows(
        db,
        "SELECT c.threads FROM thread_counts c JOIN regions r ON r.id = c.region_id "
        "JOIN topics t ON t.id = c.topic_id WHERE r.slug = :r AND t.slug = :t",
        r=region,
        t=topic,
    )
    return found[0][0] if found else 0


async def _thread_with(make, db, n: int, *, title: str = "Monitoring tenders", **kw) -> list[int]:
    """A thread of `n` posts, one minute apart; its post ids in order."""
    made = await make.thread(title=title, **kw)
    tid, ids = made["thread"]["id"], [made["post"]["id"]]
    for i in range(1, n):
        ids.append((await make.reply(tid, body=f"Reply {i}"))["id"])
    await _at(db, ids, datetime(2026, 1, 1, tzinfo=UTC), step=2)
    return [tid, *ids]


async def _at(db, ids: list[int], start: datetime, step: int) -> None:
    async with db.transaction() as s:
        for i, pid in enumerate(ids):
            at = start + timedelta(minutes=step * i)
            await s.execute(text("UPDATE posts SET created_at = :a WHERE id = :p"),
                            {"a": at, "p": pid})  # fmt: skip
        await s.execute(
            text("UPDATE threads t SET created_at = (SELECT min(created_at) FROM posts "
                 "WHERE thread_id = t.id), last_activity_at = (SELECT max(created_at) "
                 "FROM posts WHERE thread_id = t.id) WHERE id = (SELECT thread_id FROM posts "
                 "WHERE id = :p)"),
            {"p": ids[0]},
        )  # fmt: skip


async def _unread(client, tid: int):
    listed = (await client.get("/api/v1/threads", params={"limit": 100})).json()["threads"]
    return next((t["unread"] for t in listed if t["id"] == tid), "absent")


async def test_a_split_moves_the_later_posts_to_a_new_thread(make, db, client):
    moderator = await _moderator(make, db, "africa")
    tid, p1, p2, p3, p4, p5 = await _thread_with(make, db, 5)
    reader = await make.logged_in()
    late = await make.logged_in()
    assert (
        await reader.post(f"/api/v1/threads/{tid}/read", json={"position": 5})
    ).status_code == 200
    assert (await late.post(f"/api/v1/threads/{tid}/read", json={"position": 2})).status_code == 200
    async with db.transaction() as s:
        await s.execute(text("UPDATE posts SET reply_to_id = :a WHERE id = :p"), {"a": p3, "p": p5})
        await s.execute(text("UPDATE posts SET hidden = true WHERE id = :p"), {"p": p4})
        await s.execute(text("UPDATE posts SET deleted_at = now() WHERE id = :p"), {"p": p2})
    before_activity = (
        await _rows(db, "SELECT last_activity_at FROM threads WHERE id = :t", t=tid)
    )[0][0]
    c = await make.logged_in(moderator)
    body = {"post_id": p3, "title": "Sparrowhawk tenders", "reason": "Two topics"}
    r = await c.post(f"/api/v1/threads/{tid}/split", json=body)
    assert r.status_code == 201, r.text
    new = r.json()
    nid = new["id"]
    assert (new["title"], new["region"], new["topic"], new["post_count"]) == (
        "Sparrowhawk tenders", "africa", "public-procurement", 3,
    )  # fmt: skip
    # Positions contiguous and ordered in both; counts and last activity follow.
    assert await _positions(db, tid) == [(p1, 1), (p2, 2)]
    assert await _positions(db, nid) == [(p3, 1), (p4, 2), (p5, 3)]
    rows = await _rows(db, "SELECT id, post_count, last_activity_at FROM threads "
                           "WHERE id IN (:a, :b) ORDER BY id", a=tid, b=nid)  # fmt: skip
    p2_at = (await _rows(db, "SELECT created_at FROM posts WHERE id = :p", p=p2))[0][0]
    assert rows == [(tid, 2, p2_at), (nid, 3, before_activity)]
    assert await _count(db) == 2
    # Hidden and deleted stay so; the reply link still names the same post.
    page = (await client.get(f"/api/v1/threads/{nid}")).json()
    assert [(p["id"], p["hidden"], p["body"] is None) for p in page["posts"]] == [
        (p3, False, False), (p4, True, True), (p5, False, False),
    ]  # fmt: skip
    assert page["posts"][2]["reply_to"] == p3
    old = (await client.get(f"/api/v1/threads/{tid}")).json()
    assert old["posts"][1]["deleted"] is True and old["thread"]["post_count"] == 2
    html = (await client.get(f"/threads/{nid}")).text
    assert f'href="#post-{p3}"' in html
    r = await client.get(f"/posts/{p5}")
    assert r.headers["location"] == f"/threads/{nid}#post-{p5}"
    # Search: the new first post is a thread document under the new title.
    docs = await _rows(
        db,
        "SELECT post_id, thread_id, kind FROM search_documents "
        "WHERE post_id IN (:a, :b, :c) ORDER BY post_id",
        a=p3,
        b=p4,
        c=p5,
    )
    assert docs == [(p3, nid, "thread"), (p5, nid, "post")]
    hits = (await client.get("/api/v1/search", params={"q": "sparrowhawk"})).json()
    assert {h.get("thread_id") for h in hits["hits"]} == {nid}
    # Read positions: who had read everything has nothing new; who stopped before the
    # split point has not opened the new thread.
    assert await _unread(reader, tid) == 0 and await _unread(reader, nid) == 0
    assert await _unread(late, tid) == 0 and await _unread(late, nid) == "new"
    # Events on both threads' channels; the audit entry holds ids and positions.
    told = await _rows(db, "SELECT payload, channels FROM events WHERE type = 'thread.split' "
                           "ORDER BY id")  # fmt: skip
    assert told[0][0] == {"thread_id": tid, "new_thread_id": nid, "from_position": 3}
    assert told[1][0] == {"thread_id": nid, "split_from": tid}
    assert {f"thread:{tid}", f"thread:{nid}", "region:africa"} <= set(told[1][1])
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_id"], entry["reason"]) == (
        "thread.split",
        tid,
        "Two topics",
    )
    assert entry["before"]["posts"] == [[p3, 3], [p4, 4], [p5, 5]]
    assert entry["after"]["posts"] == [[p3, 1], [p4, 2], [p5, 3]]
    assert entry["after"]["new_thread"] == nid
    assert "Reply" not in orjson.dumps(entry).decode()


async def _state(db, *tids: int) -> tuple:
    return (
        await _rows(db, "SELECT id, thread_id, position, hidden FROM posts ORDER BY id"),
        await _rows(db, "SELECT id, post_count, region_id FROM threads ORDER BY id"),
        await _rows(db, "SELECT region_id, topic_id, threads FROM thread_counts ORDER BY 1, 2"),
        await _rows(db, "SELECT count(*) FROM events WHERE type LIKE 'thread.%'"),
        await _rows(db, "SELECT count(*) FROM audit_log"),
    )


async def test_refused_splits_and_merges_change_nothing(make, db, client):
    tid, p1, p2, _ = await _thread_with(make, db, 3)
    other, o1, _ = await _thread_with(make, db, 2)
    asia, *_ = await _thread_with(make, db, 2, region="south-east-asia")
    mod = await make.logged_in(await _moderator(make, db, "africa"))
    admin = await make.logged_in(await make.user(Role.ADMIN))
    before = await _state(db)
    split = f"/api/v1/threads/{tid}/split"
    cases = [
        (client, split, {"post_id": p2, "title": "T"}, 401, "login_required"),
        (await make.logged_in(), split, {"post_id": p2, "title": "T"}, 403, "moderators_only"),
        (mod, split, {"post_id": p1, "title": "T"}, 422, "cannot_split_at_first"),
        (mod, split, {"post_id": o1, "title": "T"}, 422, "unknown_post"),
        (mod, split, {"post_id": p2, "title": "T", "region": "south-east-asia"}, 403,
         "not_your_region"),
        (mod, split, {"post_id": p2, "title": "T", "topic": "nope"}, 422, "unknown_topic"),
        (mod, split, {"post_id": p2, "title": "  "}, 422, "validation_failed"),
        (mod, split, {"post_id": p2}, 422, "validation_failed"),
        (admin, f"/api/v1/threads/{tid + 1000}/split", {"post_id": p2, "title": "T"}, 404,
         "thread_not_found"),
        (mod, f"/api/v1/threads/{tid}/merge", {"into": tid}, 422, "merge_into_itself"),
        (mod, f"/api/v1/threads/{tid}/merge", {"into": asia}, 403, "not_your_region"),
        (mod, f"/api/v1/threads/{asia}/merge", {"into": tid}, 403, "not_your_region"),
        (mod, f"/api/v1/threads/{tid}/merge", {"into": asia + 1000}, 422, "unknown_thread"),
        (admin, f"/api/v1/threads/{tid + 1000}/merge", {"into": other}, 404, "thread_not_found"),
        (mod, f"/api/v1/threads/{tid}/merge", {"into": "x"}, 422, "validation_failed"),
    ]  # fmt: skip
    for who, path, body, status, code in cases:
        r = await who.post(path, json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, body, r.text)
    assert await _state(db) == before


async def test_a_merge_interleaves_the_posts_and_the_old_address_leads_there(make, db, client):
    moderator = await _moderator(make, db, "africa")
    into, a1, a2, a3 = await _thread_with(make, db, 3, title="Heron audits")
    gone, b1, b2, b3 = await _thread_with(make, db, 3, title="Kingfisher audits",
                                          countries=("KE",))  # fmt: skip
    # Into: minutes 0, 2, 4; merged: 1, 3, 5.
    await _at(db, [b1, b2, b3], datetime(2026, 1, 1, 0, 1, tzinfo=UTC), step=2)
    reader = await make.logged_in()
    await reader.post(f"/api/v1/threads/{into}/read", json={"position": 3})
    await reader.post(f"/api/v1/threads/{gone}/read", json={"position": 1})
    other = await make.logged_in()
    await other.post(f"/api/v1/threads/{gone}/read", json={"position": 3})
    c = await make.logged_in(moderator)
    assert (await c.post(f"/api/v1/threads/{into}/lock")).status_code == 200  # locked: still ok
    assert await _count(db) == 2
    r = await c.post(f"/api/v1/threads/{gone}/merge", json={"into": into, "reason": "Same"},
                     headers={"Idempotency-Key": "merge-1"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["post_count"], r.json()["locked"]) == (into, 6, True)
    assert r.json()["countries"] == ["KE"]
    # A retry with the same key answers the same and merges nothing twice.
    again = await c.post(f"/api/v1/threads/{gone}/merge", json={"into": into, "reason": "Same"},
                         headers={"Idempotency-Key": "merge-1"})  # fmt: skip
    assert (again.status_code, again.json()) == (200, r.json())
    assert await _positions(db, into) == [(a1, 1), (b1, 2), (a2, 3), (b2, 4), (a3, 5), (b3, 6)]
    assert await _rows(db, "SELECT id FROM threads WHERE id = :t", t=gone) == []
    b3_at = (await _rows(db, "SELECT created_at FROM posts WHERE id = :p", p=b3))[0][0]
    assert (await _rows(db, "SELECT last_activity_at FROM threads WHERE id = :t", t=into)) == [
        (b3_at,)
    ]
    assert await _count(db) == 1
    listed = (await client.get("/api/v1/threads")).json()["threads"]
    assert [t["id"] for t in listed] == [into]
    # The old address: the page redirects for good, the API points there.
    r = await client.get(f"/threads/{gone}")
    assert (r.status_code, r.headers["location"]) == (301, f"/threads/{into}")
    r = await client.get(f"/api/v1/threads/{gone}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "thread_merged"
    assert r.json()["error"]["fields"] == {"merged_into": str(into)}
    r = await client.get(f"/posts/{b2}")
    assert r.headers["location"] == f"/threads/{into}#post-{b2}"
    # Search documents: every post under the target; the merged opening post a reply.
    docs = await _rows(db, "SELECT post_id, thread_id, kind FROM search_documents "
                           "WHERE post_id IN (:a, :b) ORDER BY post_id", a=a1, b=b1)  # fmt: skip
    assert docs == [(a1, into, "thread"), (b1, into, "post")]
    # Read positions: the last post each had read, in its new place; what follows is
    # unread (b3 for the first reader; a3 for the second, who had read all of the other).
    assert await _unread(reader, into) == 1
    assert await _unread(other, into) == 0
    told = await _rows(db, "SELECT payload, channels FROM events WHERE type = 'thread.merged'")
    assert len(told) == 1 and told[0][0] == {"thread_id": into, "merged_from": gone}
    assert {f"thread:{gone}", f"thread:{into}"} <= set(told[0][1])
    entry = (await c.get("/api/v1/audit")).json()["entries"][0]
    assert (entry["action"], entry["target_id"], entry["after"]["thread"]) == (
        "thread.merge", gone, into,
    )  # fmt: skip
    assert entry["after"]["posts"][1] == [b1, 2]
    # Merged again into a third thread: the first address follows along.
    third, *_ = await _thread_with(make, db, 1, title="Egret audits")
    assert (await c.post(f"/api/v1/threads/{into}/merge", json={"into": third})).status_code == 200
    r = await client.get(f"/threads/{gone}")
    assert (r.status_code, r.headers["location"]) == (301, f"/threads/{third}")
    assert (await c.post(f"/api/v1/threads/{gone}/merge", json={"into": third})).status_code == 404


async def test_concurrent_merges_and_replies_leave_one_thread_numbered_without_gaps(make, db):
    """Two moderators merge two threads into each other at once while members reply to
    both: the threads are locked in id order, so one merge wins, the other finds its
    thread gone (404) or its target gone (422), and every reply lands, numbered in turn,
    or finds its thread gone."""
    c1 = await make.logged_in(await _moderator(make, db, "africa"))
    c2 = await make.logged_in(await _moderator(make, db, "africa"))
    a, *_ = await _thread_with(make, db, 3)
    b, *_ = await _thread_with(make, db, 3)
    writers = [await make.logged_in() for _ in range(4)]
    answers = await asyncio.gather(
        c1.post(f"/api/v1/threads/{a}/merge", json={"into": b}),
        c2.post(f"/api/v1/threads/{b}/merge", json={"into": a}),
        *(w.post(f"/api/v1/threads/{(a, b)[i % 2]}/posts", json={"body": f"Meanwhile {i}"})
          for i, w in enumerate(writers)),
    )  # fmt: skip
    merges, replies = answers[:2], answers[2:]
    assert sorted(r.status_code for r in merges) in ([200, 404], [200, 422])
    kept = next(r.json()["id"] for r in merges if r.status_code == 200)
    landed = sum(r.status_code == 201 for r in replies)
    assert all(r.status_code in (201, 404) for r in replies)
    positions = [n for _, n in await _positions(db, kept)]
    assert positions == list(range(1, 7 + landed))
    assert await _rows(db, "SELECT post_count FROM threads") == [(6 + landed,)]
    assert await _count(db) == 1


async def test_a_thread_merged_where_a_reader_may_not_follow_is_just_gone(make, db, client):
    c = await make.logged_in(await _moderator(make, db, "africa", "staff-room"))
    gone, _, b2 = await _thread_with(make, db, 2, title="Public cormorant")
    into, *_ = await _thread_with(make, db, 1, title="Closed", region="staff-room")
    assert (await c.post(f"/api/v1/threads/{gone}/merge", json={"into": into})).status_code == 200
    # A visitor: no redirect, no pointer, no post; a member follows.
    assert (await client.get(f"/threads/{gone}")).status_code == 404
    r = await client.get(f"/api/v1/threads/{gone}")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "thread_not_found")
    assert str(into) not in r.text
    assert (await client.get(f"/posts/{b2}")).status_code == 404
    assert "cormorant" not in (await client.get("/api/v1/search", params={"q": "cormorant"})).text
    member = await make.logged_in()
    r = await member.get(f"/threads/{gone}")
    assert (r.status_code, r.headers["location"]) == (301, f"/threads/{into}")
    r = await member.get(f"/threads/{gone}/unread")
    assert (r.status_code, r.headers["location"]) == (301, f"/threads/{into}")


async def _ws(served, cookie: str | None):
    url = served.url.replace("http://", "ws://") + "/ws"
    return connect(url, additional_headers={"Cookie": cookie} if cookie else None)


async def _served_login(served, email: str) -> str:
    """A session on the served process (its own secret key): the cookie header."""
    async with httpx.AsyncClient(base_url=served.url) as c:
        r = await c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD},
                         headers={"Origin": served.url})  # fmt: skip
        assert r.status_code == 200, r.text
        return f"{auth.COOKIE}={c.cookies.get(auth.COOKIE)}"


async def _frames(ws, channels: list[str], since: str | None) -> str:
    sub: dict = {"op": "subscribe", "channels": channels}
    if since:
        sub["since"] = since
    await ws.send(orjson.dumps(sub).decode())
    await ws.send(orjson.dumps({"op": "ping"}).decode())
    frames = []
    async with asyncio.timeout(15):
        while True:
            frame = orjson.loads(await ws.recv())
            frames.append(frame)
            if frame["op"] == "pong":
                return orjson.dumps(frames).decode()


async def test_split_into_a_members_only_region_leaves_visitors_nothing(make, db, client, served):
    moderator = await _moderator(make, db, "africa", "staff-room")
    tid, _, _, p3 = await _thread_with(make, db, 3)
    async with db.transaction() as s:
        await s.execute(
            text("UPDATE posts SET body_source = 'A canary: ptarmigan', "
                 "body_html = '<p>A canary: ptarmigan</p>' WHERE id = :p"),
            {"p": p3},
        )  # fmt: skip
        await documents.refresh(s, [p3])
    assert "ptarmigan" in (await client.get(f"/threads/{tid}")).text
    member = await make.logged_in()
    cookie = await _served_login(served, member.user["email"])
    async with await _ws(served, cookie) as live, await _ws(served, None) as watching:
        await _frames(live, [f"thread:{tid}"], None)
        await _frames(watching, [f"thread:{tid}", "region:africa"], None)
        c = await make.logged_in(moderator)
        body = {"post_id": p3, "title": "Closed ptarmigan", "region": "staff-room"}
        r = await c.post(f"/api/v1/threads/{tid}/split", json=body)
        assert r.status_code == 201, r.text
        nid = r.json()["id"]
        # An open page of the old thread learns of it (live), with the new thread.
        async with asyncio.timeout(15):
            while True:
                frame = orjson.loads(await live.recv())
                if frame.get("type") == "thread.split" and frame["data"]["thread"]["id"] == nid:
                    break
        # A visitor's open page: told the thread changed, never what went where.
        await watching.send(orjson.dumps({"op": "ping"}).decode())
        seen = []
        async with asyncio.timeout(15):
            while not seen or seen[-1]["op"] != "pong":
                seen.append(orjson.loads(await watching.recv()))
        told = orjson.dumps(seen).decode()
        assert (
            "thread.split" in told
            and "ptarmigan" not in told
            and f'"thread":{{"id":{nid},' not in told
        )
    assert await _count(db, "staff-room") == 1
    # A visitor: not on the old page, the new page, the API, search, nor replay.
    assert "ptarmigan" not in (await client.get(f"/threads/{tid}")).text
    assert (await client.get(f"/threads/{nid}")).status_code == 404
    assert "ptarmigan" not in (await client.get(f"/api/v1/threads/{tid}")).text
    assert (await client.get(f"/api/v1/threads/{nid}")).status_code == 404
    assert "ptarmigan" not in (await client.get("/api/v1/search", params={"q": "ptarmigan"})).text
    assert "ptarmigan" not in (await client.get("/api/v1/threads")).text
    async with await _ws(served, None) as visitor:
        replay = await _frames(visitor, [f"thread:{tid}", "region:africa"], "0-0")
    assert "ptarmigan" not in replay
    assert f'"post":{{"id":{p3},' not in replay
    # Members read it in its new place only: replay on the old thread no longer serves it.
    assert "ptarmigan" in (await member.get(f"/api/v1/threads/{nid}")).text
    async with await _ws(served, cookie) as again:
        replay = await _frames(again, [f"thread:{tid}"], "0-0")
    assert "A canary" not in replay and f'"post":{{"id":{p3},' not in replay
    assert f'"thread":{{"id":{nid},' in replay  # the split's notice, about the thread they may read


async def test_the_thread_page_offers_split_and_merge_forms_to_its_moderators(make, db, client):
    moderator = await make.logged_in(await _moderator(make, db, "africa"))
    member = await make.logged_in()
    tid, p1, p2, p3 = await _thread_with(make, db, 3)
    other, *_ = await _thread_with(make, db, 1, title="Osprey audits")
    page = (await moderator.get(f"/threads/{tid}")).text
    assert (
        f"/threads/{tid}/split?post={p2}" in page and f"/threads/{tid}/split?post={p1}" not in page
    )
    assert f'href="/threads/{tid}/merge"' in page
    assert "/split?post=" not in (await member.get(f"/threads/{tid}")).text
    async with db.transaction() as s:  # in their own language
        await s.execute(text("UPDATE users SET language = 'fr' WHERE id = :u"),
                        {"u": moderator.user["id"]})  # fmt: skip
    french = (await moderator.get(f"/threads/{tid}/split?post={p2}")).text
    assert "Scinder un fil" in french and "Titre du nouveau fil" in french
    async with db.transaction() as s:
        await s.execute(text("UPDATE users SET language = 'en' WHERE id = :u"),
                        {"u": moderator.user["id"]})  # fmt: skip
    assert (await member.get(f"/threads/{tid}/split?post={p2}")).status_code == 403
    r = await client.get(f"/threads/{tid}/merge")
    assert (r.status_code, r.headers["location"]) == (303, f"/login?next=/threads/{tid}/merge")
    before = await _state(db)
    # Errors next to the fields, the input kept, nothing changed.
    form = f"/threads/{tid}/split?post={p2}"
    r = await submit(moderator, form, f"/threads/{tid}/split",
                     {"post_id": str(p2), "title": " ", "region": "africa",
                      "topic": "public-procurement", "reason": "Kept reason"})  # fmt: skip
    assert r.status_code == 422 and "title" in field_errors(r.text) and "Kept reason" in r.text
    r = await submit(moderator, form, f"/threads/{tid}/split",
                     {"post_id": str(p1), "title": "T", "region": "africa",
                      "topic": "public-procurement", "reason": ""})  # fmt: skip
    assert r.status_code == 422 and "post_id" in field_errors(r.text)
    for into in ("the other one", str(tid), str(other + 1000)):
        r = await submit(moderator, f"/threads/{tid}/merge", f"/threads/{tid}/merge",
                         {"into": into, "reason": ""})  # fmt: skip
        assert r.status_code == 422 and "into" in field_errors(r.text), into
    assert await _state(db) == before
    # Done: Post/Redirect/Get to the thread the posts are in now.
    r = await submit(moderator, form, f"/threads/{tid}/split",
                     {"post_id": str(p2), "title": "Split by form", "region": "africa",
                      "topic": "whistleblower-protection", "reason": ""})  # fmt: skip
    assert r.status_code == 303
    nid = int(r.headers["location"].rsplit("/", 1)[1])
    assert await _positions(db, nid) == [(p2, 1), (p3, 2)]
    assert "Split by form" in (await client.get(r.headers["location"])).text
    r = await submit(moderator, f"/threads/{nid}/merge", f"/threads/{nid}/merge",
                     {"into": f"http://forum.test/threads/{other}?cursor=x#post-1",
                      "reason": "Same question"})  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, f"/threads/{other}")
    assert [p for p, _ in await _positions(db, other)][1:] == [p2, p3]


LIVE = 5_000  # ms: how soon an open page must learn of it


async def test_an_open_page_learns_its_thread_was_split_then_merged(browser, served, db):
    """Chromium: a reader's open page is told, without reloading, that its thread was
    split, then merged, with a link; the moderator's forms pass axe-core."""
    from tests.web import browsers
    from tests.web.test_accessibility import describe, serious_violations

    async with (
        browsers.member_context(browser, served) as (moderating, moderator),
        browsers.member_context(browser, served) as (reading, reader),
    ):
        async with db.transaction() as s:
            await s.execute(text("UPDATE users SET role = 'moderator' WHERE id = :u"),
                            {"u": moderator.user_id})  # fmt: skip
            await s.execute(text("INSERT INTO moderated_regions SELECT :u, id FROM regions "
                                 "WHERE slug = 'africa'"), {"u": moderator.user_id})  # fmt: skip
        r = await reader.api.post("/api/v1/threads", json={
            "region": "africa", "topic": "public-procurement", "title": "Wagtail audits",
            "body": "First"})  # fmt: skip
        tid = r.json()["thread"]["id"]
        later = []
        for body in ("Second", "Third"):
            later.append((await reader.api.post(f"/api/v1/threads/{tid}/posts",
                                                json={"body": body})).json()["id"])  # fmt: skip
        theirs, mine = await reading.new_page(), await moderating.new_page()
        await theirs.goto(f"{served.url}/threads/{tid}")
        await theirs.evaluate("window.notReloaded = true")
        await mine.goto(f"{served.url}/threads/{tid}")
        assert not await serious_violations(mine), describe(await serious_violations(mine))
        # A post that arrives live offers the split link too, aimed at it.
        r = await reader.api.post(f"/api/v1/threads/{tid}/posts", json={"body": "Fourth"})
        live_link = mine.locator(f'a[href="/threads/{tid}/split?post={r.json()["id"]}"]')
        await live_link.wait_for(timeout=LIVE)
        async with mine.expect_navigation():
            await mine.click(f'a[href="/threads/{tid}/split?post={later[1]}"]')
        assert not await serious_violations(mine), describe(await serious_violations(mine))
        await mine.fill("#title", "Wagtail audits, the third post")
        async with mine.expect_navigation():
            await mine.click("main form button")
        nid = int(mine.url.rsplit("/", 1)[1])
        note = theirs.locator("#changed")
        await note.wait_for(state="visible", timeout=LIVE)
        assert "split" in await note.inner_text()
        assert await theirs.evaluate("window.notReloaded") is True
        # Merged into the new thread: told again, the link leads there.
        await mine.goto(f"{served.url}/threads/{tid}/merge")
        assert not await serious_violations(mine), describe(await serious_violations(mine))
        await mine.fill("#into", f"{served.url}/threads/{nid}")
        async with mine.expect_navigation():
            await mine.click("main form button")
        assert mine.url == f"{served.url}/threads/{nid}"
        await theirs.locator("#changed", has_text="merged").wait_for(timeout=LIVE)
        assert await theirs.get_attribute("#changed a", "href") == f"/threads/{nid}"
        async with theirs.expect_navigation():
            await theirs.click("#changed a")
        assert theirs.url == f"{served.url}/threads/{nid}"
        assert await theirs.locator("article.post").count() == 4


async def test_the_meilisearch_indexer_follows_a_split_and_a_merge(make, db):
    """From the events alone: every moved post's document names its thread, region and
    kind now; the merged thread's posts are the target's."""
    from search.indexer import Indexer
    from search.meili import MeiliBackend
    from search.retry import Backoff
    from tests.search.fake_meili import FakeMeili

    meili = FakeMeili()
    await meili.start()
    backend = MeiliBackend(meili.url, None, backoff=Backoff(base=0.001, cap=0.005),
                           task_poll=0.002)  # type: ignore[arg-type]  # fmt: skip
    await backend.start()
    try:
        c = await make.logged_in(await _moderator(make, db, "africa", "staff-room"))
        tid, p1, p2, p3 = await _thread_with(make, db, 3)
        other, o1 = await _thread_with(make, db, 1, title="Other")
        idx = Indexer(db, backend, poll=0.01)  # type: ignore[arg-type]
        await idx.catch_up()
        body = {"post_id": p2, "title": "Off", "region": "staff-room"}
        nid = (await c.post(f"/api/v1/threads/{tid}/split", json=body)).json()["id"]
        await idx.catch_up()
        docs = meili.documents("posts")
        assert [(docs[p]["thread_id"], docs[p]["region"], docs[p]["kind"]) for p in (p2, p3)] == [
            (nid, "staff-room", "thread"), (nid, "staff-room", "post"),
        ]  # fmt: skip
        assert (docs[p1]["thread_id"], docs[p1]["region"]) == (tid, "africa")
        r = await c.post(f"/api/v1/threads/{other}/merge", json={"into": tid})
        assert r.status_code == 200, r.text
        await idx.catch_up()
        docs = meili.documents("posts")
        assert (docs[o1]["thread_id"], docs[o1]["kind"]) == (tid, "post")
    finally:
        await backend.close()
        await meili.stop()


async def test_a_hidden_thread_splits_into_a_hidden_one_and_counts_stay_as_readers_see(make, db):
    c = await make.logged_in(await _moderator(make, db, "africa"))
    tid, _, p2 = await _thread_with(make, db, 2)
    into, *_ = await _thread_with(make, db, 1, title="Visible")
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :t"), {"t": tid})
        await s.execute(text("UPDATE thread_counts SET threads = threads - 1"))
    assert await _count(db) == 1
    r = await c.post(f"/api/v1/threads/{tid}/split", json={"post_id": p2, "title": "Still hid"})
    assert (r.status_code, r.json()["hidden"]) == (201, True)
    assert await _count(db) == 1
    assert await _rows(db, "SELECT count(*) FROM search_documents WHERE post_id = :p", p=p2) == [
        (0,)
    ]
    # The hidden thread merged into a visible one: its posts show there, the count stays.
    r = await c.post(f"/api/v1/threads/{r.json()['id']}/merge", json={"into": into})
    assert (r.status_code, r.json()["hidden"], r.json()["post_count"]) == (200, False, 2)
    assert await _count(db) == 1
    assert await _rows(db, "SELECT thread_id FROM search_documents WHERE post_id = :p", p=p2) == [
        (into,)
    ]


async def test_posts_held_for_approval_keep_no_place_and_held_threads_wait(make, db):
    c = await make.logged_in(await _moderator(make, db, "africa"))
    gone, g1, g2 = await _thread_with(make, db, 2)
    into, i1 = await _thread_with(make, db, 1, title="Target")
    async with db.transaction() as s:
        await s.execute(text("UPDATE regions SET approve_new_members = true WHERE slug = 'africa'"))
    held = await make.reply(gone, body="Held for approval")
    assert (await _rows(db, "SELECT position, pending FROM posts WHERE id = :p", p=held["id"])) == [
        (None, True)
    ]
    waiting = await make.thread(title="Held whole")
    wid, w1 = waiting["thread"]["id"], waiting["post"]["id"]
    # A thread held whole is approved or rejected first; nothing changed.
    r = await c.post(f"/api/v1/threads/{wid}/merge", json={"into": into})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "thread_pending")
    r = await c.post(f"/api/v1/threads/{gone}/merge", json={"into": wid})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "thread_pending")
    assert await _rows(db, "SELECT pending FROM threads WHERE id = :t", t=wid) == [(True,)]
    assert await _rows(db, "SELECT thread_id FROM posts WHERE id = :p", p=w1) == [(wid,)]
    # The held reply follows the merge, still without a place; the others are numbered.
    r = await c.post(f"/api/v1/threads/{gone}/merge", json={"into": into})
    assert (r.status_code, r.json()["post_count"]) == (200, 3), r.text
    numbered = await _rows(
        db, "SELECT id, position FROM posts WHERE thread_id = :t AND position IS NOT NULL "
        "ORDER BY position", t=into,
    )  # fmt: skip
    assert [p for p, _ in numbered] == [i1, g1, g2]  # same minute: the target's first
    assert [n for _, n in numbered] == [1, 2, 3]
    assert await _rows(db, "SELECT thread_id, position, pending FROM posts WHERE id = :p",
                       p=held["id"]) == [(into, None, True)]  # fmt: skip

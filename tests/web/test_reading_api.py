"""The API of read positions: `unread` on thread lists, `POST /threads/{id}/read`."""

from __future__ import annotations

from sqlalchemy import func, select, text

from forum.models import ReadPosition


async def _positions(db) -> int:
    async with db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(ReadPosition))


async def _unread(client, tid: int):
    listed = (await client.get("/api/v1/threads")).json()["threads"]
    return next(t["unread"] for t in listed if t["id"] == tid)


async def test_a_member_reads_and_the_list_follows(make, client):
    tid = (await make.thread())["thread"]["id"]
    for n in range(3):
        await make.reply(tid, body=f"reply {n}")
    member = await make.logged_in()
    assert await _unread(member, tid) == "new"
    r = await member.post(f"/api/v1/threads/{tid}/read", json={"position": 2})
    assert r.status_code == 200, r.text
    assert r.json() == {"thread_id": tid, "position": 2}
    assert await _unread(member, tid) == 2
    # Beyond the last post: the last post. Back: stays.
    r = await member.post(f"/api/v1/threads/{tid}/read", json={"position": 1000})
    assert r.json()["position"] == 4
    r = await member.post(f"/api/v1/threads/{tid}/read", json={"position": 1})
    assert r.json()["position"] == 4
    assert await _unread(member, tid) == 0
    assert await _unread(client, tid) is None  # a visitor's list says nothing


async def test_the_thread_tells_its_reader_where_they_were(make, client):
    tid = (await make.thread())["thread"]["id"]
    await make.reply(tid, body="a reply")
    member, other = await make.logged_in(), await make.logged_in()
    assert (await member.get(f"/api/v1/threads/{tid}")).json()["read_position"] is None
    await member.post(f"/api/v1/threads/{tid}/read", json={"position": 1})
    assert (await member.get(f"/api/v1/threads/{tid}")).json()["read_position"] == 1
    # Each reader's own: another member never opened it, a visitor has none.
    assert (await other.get(f"/api/v1/threads/{tid}")).json()["read_position"] is None
    assert (await client.get(f"/api/v1/threads/{tid}")).json()["read_position"] is None


async def test_a_thread_page_records_only_a_move_forward(make, db):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in()
    assert (await member.get(f"/threads/{tid}")).status_code == 200
    async with db.transaction() as s:
        first = (await s.execute(select(ReadPosition.position, ReadPosition.read_at))).one()
    assert first.position == 1
    await member.get(f"/threads/{tid}")  # nothing new: nothing written
    await make.reply(tid, body="news")
    async with db.transaction() as s:
        again = (await s.execute(select(ReadPosition.position, ReadPosition.read_at))).one()
    assert again == first
    await member.get(f"/threads/{tid}")
    async with db.transaction() as s:
        assert await s.scalar(select(ReadPosition.position)) == 2


async def test_visitors_get_401_and_nothing_is_written(make, client, db):
    tid = (await make.thread())["thread"]["id"]
    r = await client.post(f"/api/v1/threads/{tid}/read", json={"position": 1})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "login_required"
    assert await _positions(db) == 0


async def test_unknown_and_unreadable_threads_are_404(make, db):
    member = await make.logged_in()
    hidden = (await make.thread())["thread"]["id"]
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :id"), {"id": hidden})
    for tid in (10**9, "abc", hidden):
        r = await member.post(f"/api/v1/threads/{tid}/read", json={"position": 1})
        assert r.status_code == 404, (tid, r.text)
        assert r.json()["error"]["code"] == "thread_not_found"
    assert await _positions(db) == 0


async def test_a_suspended_account_records_nothing(make, db):
    closed = (await make.thread(region="staff-room"))["thread"]["id"]
    suspended = await make.logged_in(await make.user(suspended_at=func.now()))
    r = await suspended.post(f"/api/v1/threads/{closed}/read", json={"position": 1})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "account_suspended"
    listed = (await suspended.get("/api/v1/threads")).json()["threads"]
    assert [t for t in listed if t["id"] == closed] == []
    assert await _positions(db) == 0


async def test_bad_positions_are_refused_and_change_nothing(make, db):
    tid = (await make.thread())["thread"]["id"]
    member = await make.logged_in()
    for body in ({"position": 0}, {"position": -1}, {"position": "2"}, {"position": 2**63},
                 {"position": True}, {}, {"position": 1, "extra": 1}):  # fmt: skip
        r = await member.post(f"/api/v1/threads/{tid}/read", json=body)
        assert r.status_code == 422, (body, r.text)
    r = await member.post(
        f"/api/v1/threads/{tid}/read", content=b"{", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert await _positions(db) == 0

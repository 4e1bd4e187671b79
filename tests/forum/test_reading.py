"""Read positions: monotonic, per member and thread; unread counts that only count what the
reader may see now; where a thread opens for a member."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select, text

from forum import catalog, moderation, posts, reading, threads
from forum.errors import DomainError, Kind
from forum.models import ReadPosition, Role
from forum.permissions import ANONYMOUS, Actor

MODERATOR = Actor(0, Role.MODERATOR)
ADMIN = Actor(0, Role.ADMIN)  # hides posts in every region


async def _thread_with_replies(make, replies: int, **kwargs):
    author = await make.user()
    started = await make.thread(author, **kwargs)
    tid = started["thread"]["id"]
    ids = [started["post"]["id"]]
    for n in range(replies):
        ids.append((await make.reply(tid, author, body=f"reply {n}"))["id"])
    return tid, ids


async def _record(db, actor, tid, position):
    async with db.transaction() as s:
        return (await reading.record(s, actor, tid, position)).position


async def _unread(db, actor, ids):
    async with db.transaction() as s:
        return await reading.unread(s, actor, ids)


async def _landing(db, actor, tid):
    async with db.transaction() as s:
        return await reading.landing(s, actor, tid)


async def _rows(db) -> int:
    async with db.transaction() as s:
        return await s.scalar(select(func.count()).select_from(ReadPosition))


async def test_never_opened_is_new_then_counts_what_follows(db, make):
    tid, _ = await _thread_with_replies(make, 4)
    reader = (await make.user())["actor"]
    assert await _unread(db, reader, [tid]) == {tid: "new"}
    assert await _record(db, reader, tid, 2) == 2
    assert await _unread(db, reader, [tid]) == {tid: 3}
    assert await _record(db, reader, tid, 5) == 5
    assert await _unread(db, reader, [tid]) == {tid: 0}


async def test_position_never_moves_back_and_clamps_to_the_last_post(db, make):
    tid, _ = await _thread_with_replies(make, 2)
    reader = (await make.user())["actor"]
    assert await _record(db, reader, tid, 99) == 3  # past the end: the last post
    assert await _record(db, reader, tid, 1) == 3  # an older tab: stays
    await make.reply(tid)
    assert await _unread(db, reader, [tid]) == {tid: 1}
    assert await _record(db, reader, tid, 4) == 4
    assert await _rows(db) == 1


async def test_positions_are_per_member(db, make):
    tid, _ = await _thread_with_replies(make, 3)
    one, two = (await make.user())["actor"], (await make.user())["actor"]
    await _record(db, one, tid, 4)
    assert await _unread(db, one, [tid]) == {tid: 0}
    assert await _unread(db, two, [tid]) == {tid: "new"}


async def test_visitors_and_suspended_accounts_keep_nothing(db, make):
    tid, _ = await _thread_with_replies(make, 1)
    suspended = Actor((await make.user())["id"], Role.MEMBER, suspended=True)
    for actor, kind in ((ANONYMOUS, Kind.UNAUTHENTICATED), (suspended, Kind.FORBIDDEN)):
        with pytest.raises(DomainError) as raised:
            await _record(db, actor, tid, 1)
        assert raised.value.kind is kind
        assert await _unread(db, actor, [tid]) == {}
    assert await _rows(db) == 0


async def test_unknown_and_unreadable_threads_are_not_found(db, make):
    member = (await make.user())["actor"]
    closed, _ = await _thread_with_replies(make, 1, region="staff-room")
    hidden, _ = await _thread_with_replies(make, 1)
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :id"), {"id": hidden})
    suspended = Actor(member.user_id, Role.MEMBER, suspended=True)
    for actor, tid in ((member, 10**9), (member, hidden)):
        with pytest.raises(DomainError) as raised:
            await _record(db, actor, tid, 1)
        assert raised.value.kind is Kind.NOT_FOUND
        with pytest.raises(DomainError):
            await _landing(db, actor, tid)
    assert await _unread(db, member, [closed, hidden, 10**9]) == {closed: "new"}
    # A member who is suspended reads like a visitor: not the members' room.
    with pytest.raises(DomainError) as raised:
        await _landing(db, suspended, closed)
    assert raised.value.kind is Kind.NOT_FOUND
    assert await _unread(db, MODERATOR, [closed, hidden]) == {closed: "new", hidden: "new"}
    assert await _rows(db) == 0


async def test_hidden_posts_count_only_for_who_may_see_them_and_deleted_never(db, make):
    tid, ids = await _thread_with_replies(make, 4)
    reader = (await make.user())["actor"]
    moderator = await make.user(Role.MODERATOR)
    for who in (reader, moderator["actor"]):
        await _record(db, who, tid, 1)
    async with db.transaction() as s:
        known = await catalog.load(s)
        await moderation.set_post_hidden(s, ADMIN, known, ids[2], hidden=True)
    async with db.transaction() as s:
        author = Actor(await s.scalar(text("SELECT author_id FROM posts WHERE id = :i"),
                                      {"i": ids[3]}), Role.MEMBER)  # fmt: skip
        await posts.delete(s, author, ids[3])
    # Positions 2..5 follow: 3 hidden, 4 deleted.
    assert await _unread(db, reader, [tid]) == {tid: 2}
    assert await _unread(db, moderator["actor"], [tid]) == {tid: 3}
    landing = await _landing(db, reader, tid)
    assert (landing.position, landing.unread) == (2, True)
    await _record(db, reader, tid, 2)
    landing = await _landing(db, reader, tid)
    assert (landing.position, landing.post_id, landing.unread) == (5, ids[4], True)


async def test_own_posts_are_not_unread_and_a_started_thread_is_not_new(db, make):
    me = await make.user()
    other = await make.user()
    mine = (await make.thread(me))["thread"]["id"]
    assert await _unread(db, me["actor"], [mine]) == {mine: 0}
    await make.reply(mine, other)
    await make.reply(mine, me)
    assert await _unread(db, me["actor"], [mine]) == {mine: 1}
    landing = await _landing(db, me["actor"], mine)
    assert (landing.position, landing.unread) == (2, True)


async def test_landing_first_unread_else_last_post(db, make):
    tid, ids = await _thread_with_replies(make, 3)
    reader = (await make.user())["actor"]
    first = await _landing(db, reader, tid)
    assert (first.position, first.post_id, first.unread) == (1, ids[0], True)
    await _record(db, reader, tid, 2)
    assert (await _landing(db, reader, tid)).post_id == ids[2]
    await _record(db, reader, tid, 4)
    last = await _landing(db, reader, tid)
    assert (last.position, last.post_id, last.unread) == (4, ids[3], False)


async def test_counting_stops_at_the_cap(db, make, monkeypatch):
    monkeypatch.setattr(reading, "MAX_COUNTED", 3)
    tid, _ = await _thread_with_replies(make, 5)
    reader = (await make.user())["actor"]
    await _record(db, reader, tid, 1)
    assert await _unread(db, reader, [tid]) == {tid: 3}


async def test_thread_lists_carry_unread_for_members_only(db, make):
    tid, _ = await _thread_with_replies(make, 2)
    reader = (await make.user())["actor"]
    await _record(db, reader, tid, 1)
    async with db.transaction() as s:
        known = await catalog.load(s)
        listed = await threads.list_threads(s, reader, known)
        visitor = await threads.list_threads(s, ANONYMOUS, known)
    assert [(t["id"], t["unread"]) for t in listed["threads"]] == [(tid, 2)]
    assert [(t["id"], t["unread"]) for t in visitor["threads"]] == [(tid, None)]


async def test_one_query_per_list(db, make):
    ids = [(await _thread_with_replies(make, 1, title=f"T{n}"))[0] for n in range(5)]
    reader = (await make.user())["actor"]
    statements: list[str] = []
    async with db.transaction() as s:
        sync = s.sync_connection
        assert sync is not None

        def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(sync, "before_cursor_execute", seen)
        found = await reading.unread(s, reader, ids)
        event.remove(sync, "before_cursor_execute", seen)
    assert found == dict.fromkeys(ids, "new")
    assert len(statements) == 1


async def test_a_mark_tells_the_position_before(db, make):
    tid, _ = await _thread_with_replies(make, 3)
    reader = (await make.user())["actor"]
    async with db.transaction() as s:
        first = await reading.record(s, reader, tid, 2)
    async with db.transaction() as s:
        again = await reading.record(s, reader, tid, 1)
    async with db.transaction() as s:
        on = await reading.record(s, reader, tid, 4)
    assert [(m.previous, m.position) for m in (first, again, on)] == [(None, 2), (2, 2), (2, 4)]


async def test_concurrent_records_keep_the_furthest(db, make):
    tid, _ = await _thread_with_replies(make, 9)
    reader = (await make.user())["actor"]
    order = [3, 10, 1, 7, 5, 9, 2, 8, 4, 6]
    await asyncio.gather(*(_record(db, reader, tid, p) for p in order))
    assert await _unread(db, reader, [tid]) == {tid: 0}
    assert await _record(db, reader, tid, 1) == 10


async def test_the_new_divider_follows_the_same_rules(db, make):
    me = await make.user()
    tid, ids = await _thread_with_replies(make, 3)
    await make.reply(tid, me)
    async with db.transaction() as s:
        known = await catalog.load(s)
        await moderation.set_post_hidden(s, ADMIN, known, ids[2], hidden=True)
    async with db.reader() as r:
        page = await threads.get_thread(r, me["actor"], tid)
    shown = page["posts"]  # 1..4 by the author (3 hidden), 5 mine
    assert reading.first_new(me["actor"], None, shown) == 1
    assert reading.first_new(me["actor"], 1, shown) == 2
    assert reading.first_new(me["actor"], 2, shown) == 4  # 3 is hidden from me
    assert reading.first_new(me["actor"], 4, shown) is None  # 5 is my own
    assert reading.first_new(ANONYMOUS, None, shown) is None


async def test_a_visitors_list_costs_no_query_for_unread(db, make):
    tid, _ = await _thread_with_replies(make, 1)
    member = (await make.user())["actor"]
    counts = {}
    for name, actor in (("visitor", ANONYMOUS), ("member", member)):
        statements: list[str] = []
        async with db.transaction() as s:
            known = await catalog.load(s)
            sync = s.sync_connection
            assert sync is not None

            def seen(conn, cursor, statement, *args, into=statements):  # type: ignore[no-untyped-def]
                into.append(statement)

            event.listen(sync, "before_cursor_execute", seen)
            listed = await threads.list_threads(s, actor, known)
            event.remove(sync, "before_cursor_execute", seen)
        assert [t["id"] for t in listed["threads"]] == [tid]
        counts[name] = len(statements)
    assert counts == {"visitor": 1, "member": 2}


async def test_recording_directly_on_a_reader_connection_is_the_same(db, make):
    tid, _ = await _thread_with_replies(make, 3)
    hidden, _ = await _thread_with_replies(make, 1)
    async with db.transaction() as s:
        await s.execute(text("UPDATE threads SET hidden = true WHERE id = :id"), {"id": hidden})
    reader = (await make.user())["actor"]
    async with db.reader() as r:
        marks = [await reading.record_direct(r, reader, tid, p) for p in (2, 1, 2**40)]
        for actor, thread, kind in (
            (reader, hidden, Kind.NOT_FOUND),
            (reader, 10**9, Kind.NOT_FOUND),
            (ANONYMOUS, tid, Kind.UNAUTHENTICATED),
        ):
            with pytest.raises(DomainError) as raised:
                await reading.record_direct(r, actor, thread, 1)
            assert raised.value.kind is kind
    assert [(m.previous, m.position) for m in marks] == [(None, 2), (2, 2), (2, 4)]
    assert await _unread(db, reader, [tid]) == {tid: 0}
    assert await _rows(db) == 1

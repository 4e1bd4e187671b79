"""The event log: written with the change, published on commit, read without gaps."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest
from sqlalchemy import text

from forum import events
from forum.events import START, Cursor


async def _append(session, n: int) -> None:
    await events.append(session, "test.event", ["test:1"], "public", {"n": n})


async def _read_all(db, after: Cursor = START) -> list[events.Event]:
    async with db.transaction() as s:
        return await events.read(s, after, limit=10_000)


async def test_a_write_and_its_event_commit_together(db, make):
    thread = await make.thread(title="Asset recovery")
    [event] = await _read_all(db)
    assert event.type == "thread.created"
    assert event.payload == {"thread_id": thread["thread"]["id"], "post_id": thread["post"]["id"]}
    assert set(event.channels) == {
        f"thread:{thread['thread']['id']}",
        "region:africa",
        "topic:public-procurement",
    }


async def test_a_rolled_back_write_leaves_no_event(db):
    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            await _append(s, 1)
            raise RuntimeError("the change failed")
    assert await _read_all(db) == []


async def test_notify_is_sent_only_on_commit(db, database_url):
    received: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    await listener.add_listener(events.CHANNEL, lambda *args: received.put_nowait(args[3]))
    try:
        with pytest.raises(RuntimeError):
            async with db.transaction() as s:
                await _append(s, 1)
                raise RuntimeError
        async with db.transaction() as s:
            await _append(s, 2)
        payload = await asyncio.wait_for(received.get(), 5)
        [event] = await _read_all(db)
        assert payload == str(event.cursor.id)
        assert received.empty()
    finally:
        await listener.close()


async def test_an_event_committed_late_is_not_skipped(db):
    """Transaction A takes the lower id but commits after B: readers must wait for A."""
    a_written = asyncio.Event()
    a_may_commit = asyncio.Event()

    async def slow_writer() -> None:
        async with db.transaction() as s:
            await _append(s, 1)
            a_written.set()
            await a_may_commit.wait()

    task = asyncio.create_task(slow_writer())
    await a_written.wait()
    async with db.transaction() as s:
        await _append(s, 2)

    # B is committed, but A (older) is still running: nothing may be handed out yet,
    # or a reader would move its cursor past A's event.
    assert await _read_all(db) == []
    a_may_commit.set()
    await task
    seen = await _read_all(db)
    assert [e.payload["n"] for e in seen] == [1, 2]
    assert seen[0].cursor < seen[1].cursor


async def test_head_is_the_last_readable_event(db):
    assert await _head(db) == START
    async with db.transaction() as s:
        await _append(s, 1)
    [event] = await _read_all(db)
    assert await _head(db) == event.cursor
    assert await _read_all(db, await _head(db)) == []


async def _head(db) -> Cursor:
    async with db.transaction() as s:
        return await events.head(s)


async def test_concurrent_writers_a_polling_reader_sees_every_event_once(db):
    """Many writers with transactions of random length; a reader paging by cursor while
    they run must end with exactly the committed events, each once, in cursor order."""
    writers, per_writer = 8, 25
    done = asyncio.Event()

    async def writer(w: int) -> None:
        for i in range(per_writer):
            async with db.transaction() as s:
                await _append(s, w * 1000 + i)
                await asyncio.sleep(random.random() / 200)
            if i % 7 == 3:  # some writes roll back and must never be seen
                with pytest.raises(ZeroDivisionError):
                    async with db.transaction() as s:
                        await _append(s, -1)
                        1 / 0  # noqa: B018

    seen: list[events.Event] = []

    async def reader() -> None:
        cursor = START
        while True:
            finished = done.is_set()
            async with db.transaction() as s:
                batch = await events.read(s, cursor, limit=7)
            seen.extend(batch)
            if batch:
                cursor = batch[-1].cursor
            elif finished:
                return
            else:
                await asyncio.sleep(0.001)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    await reading

    numbers = [e.payload["n"] for e in seen]
    assert sorted(numbers) == sorted(
        w * 1000 + i for w in range(writers) for i in range(per_writer)
    )
    assert [e.cursor for e in seen] == sorted(e.cursor for e in seen)
    # The same events, in the same order, for a client that resumes from the start.
    assert [e.cursor for e in await _read_all(db)] == [e.cursor for e in seen]


async def test_cursor_round_trips_and_rejects_garbage():
    cursor = Cursor(123456789, 42)
    assert Cursor.parse(str(cursor)) == cursor
    for bad in ["", "1", "a-b", "1-", "-1", "1-2-3", "9" * 30 + "-1", "1 -2"]:
        with pytest.raises(Exception, match="cursor"):
            Cursor.parse(bad)


async def test_events_table_records_the_writing_transaction(db):
    async with db.transaction() as s:
        await _append(s, 1)
        mine = await s.scalar(text("SELECT pg_current_xact_id()::text::bigint"))
    [event] = await _read_all(db)
    assert event.cursor.xid == mine


async def test_retention_keeps_recent_events_or_the_newest_count(db):
    async with db.transaction() as s:
        for n in range(10):
            await _append(s, n)
        # The first six are old.
        await s.execute(
            text(
                "UPDATE events SET at = now() - interval '8 days'"
                " WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 6)"
            )
        )
    async with db.transaction() as s:
        removed = await events.prune(s, days=7, count=5)
    # Old and beyond the newest five: the first five go; the sixth is old but among the
    # newest five.
    assert removed == 5
    assert [e.payload["n"] for e in await _read_all(db)] == [5, 6, 7, 8, 9]
    async with db.transaction() as s:
        assert await events.prune(s, days=7, count=5) == 0
        assert await events.oldest(s) == (await _read_all(db))[0].cursor


async def test_a_cursor_is_expired_when_events_after_it_may_be_gone(db):
    async def expired(cursor: Cursor) -> bool:
        async with db.transaction() as s:
            return await events.expired(s, cursor)

    # An empty log: START (taken on it) has missed nothing; a cursor naming an event
    # comes from a log that was wiped, or another database.
    assert not await expired(START)
    assert await expired(Cursor(5, 5))
    for n in range(4):
        async with db.transaction() as s:
            await _append(s, n)
    kept = [e.cursor for e in await _read_all(db)]
    async with db.transaction() as s:
        await s.execute(text("DELETE FROM events WHERE id = :id"), {"id": kept[0].id})
    # The first event was pruned: a reader that had only it may have missed the second.
    assert await expired(kept[0])
    assert await expired(Cursor(kept[1].xid, kept[1].id - 1))
    assert not await expired(START)  # from the beginning: the backlog caps what it reads
    assert not await expired(kept[1])  # everything after it is kept
    assert not await expired(kept[-1])
    assert not await expired(Cursor(kept[-1].xid + 10, 1))  # ahead of the log (another worker's)

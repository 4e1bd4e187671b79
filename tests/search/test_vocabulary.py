"""The vocabulary for "did you mean": it only proposes; live counts in the reader's regions
decide; words no document holds any more leave it, whatever removed them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from forum import posts
from forum.db import Database
from search.backend import Query
from search.postgres import PostgresBackend
from tests.search.readers import EVERYONE, PUBLIC


@pytest.fixture
async def backend(db) -> AsyncIterator[PostgresBackend]:
    backend = PostgresBackend(db)
    yield backend
    await backend.close()


async def upkeep(make) -> int:
    """Search's upkeep for the vocabulary: new words in, dead ones out (the number)."""
    search = make.app.state.search
    await search.catch_up_vocabulary()
    return await search.prune_vocabulary()


async def known(db: Database, *words: str) -> set[str]:
    async with db.transaction() as session:
        found = await session.scalars(
            text("SELECT word FROM search_terms WHERE word = ANY(:words)"), {"words": list(words)}
        )
        return set(found)


async def test_a_suggestion_needs_three_documents_the_reader_may_read(make, db, backend):
    author = await make.user()
    for n in range(2):
        await make.thread(author, title=f"Open {n}", body="Nyamweya testified.")
    for n in range(5):
        await make.thread(author, region="staff-room", title=f"Room {n}", body="Nyamweya again.")
    await upkeep(make)
    # Seven posts hold the word: enough for the vocabulary, not for a visitor, who may
    # read two of them.
    visitor = await backend.search(Query("niamweya", PUBLIC))
    assert visitor.suggestion is None and visitor.total == 0
    member = await backend.search(Query("niamweya", EVERYONE))
    assert member.suggestion == "nyamweya" and member.corrected and member.total == 7


async def test_a_word_many_readable_documents_hold_is_not_corrected(make, db, backend):
    author = await make.user()
    for n in range(25):
        await make.thread(author, title=f"Hearing {n}", body="Barasa testified.")
    for n in range(2):
        await make.thread(author, title=f"Other {n}", body="Barasu testified.")  # as written
    await upkeep(make)
    # Held by 2 documents against 25: it looks misspelled.
    assert (await backend.search(Query("barasu", PUBLIC))).suggestion == "barasa"
    # How many documents of the reader's regions hold it decides, not the whole forum.
    for _ in range(12):
        await make.thread(author, region="staff-room", body="Barasu again.")
    await upkeep(make)
    assert (await backend.search(Query("barasu", PUBLIC))).suggestion == "barasa"
    members = await backend.search(Query("barasu", EVERYONE))
    assert members.suggestion is None and members.total == 14


async def test_words_no_document_holds_leave_the_vocabulary(make, db):
    author = await make.user()
    edited = await make.thread(author, title="Notes", body="Kamaara met Wanjiru and Otieno.")
    deleted = await make.thread(author, title="Minutes", body="Barasa met Wanjiru.")
    await make.thread(author, title="Others", body="Otieno stays.")
    await upkeep(make)
    assert await known(db, "kamaara", "barasa", "wanjiru", "otieno") == {
        "kamaara",
        "barasa",
        "wanjiru",
        "otieno",
    }
    async with db.transaction() as session:
        await posts.edit(session, author["actor"], edited["post"]["id"], body="Otieno met.")
        await posts.delete(session, author["actor"], deleted["post"]["id"])

    assert await upkeep(make) == 3
    # "otieno" is still held (by the edit and by another post): it stays.
    assert await known(db, "kamaara", "barasa", "wanjiru", "otieno", "met") == {"otieno", "met"}
    async with db.transaction() as session:
        assert await session.scalar(text("SELECT count(*) FROM search_terms_fading")) == 0


async def test_words_removed_by_an_operator_leave_the_vocabulary_too(make, db):
    author = await make.user()
    thread = await make.thread(author, title="Leak", body="Mwangaza told us.")
    await upkeep(make)
    assert await known(db, "mwangaza") == {"mwangaza"}
    async with db.transaction() as session:  # plain SQL: the documents go by cascade
        await session.execute(
            text("DELETE FROM threads WHERE id = :id"), {"id": thread["thread"]["id"]}
        )
    await upkeep(make)
    assert await known(db, "mwangaza") == set()

"""The PostgreSQL backend's query plan: a query is answered from the newest documents
when they hold a page of matches, otherwise from every match; counting stops at a cap;
filters are scope lexemes no reader's words can reach. The sizes are scaled down (a
window of 30 documents) so a test can build a corpus that crosses them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from forum import documents
from search import postgres
from search.backend import Filters, Kind, Query
from search.postgres import PostgresBackend
from tests.search.readers import PUBLIC


@pytest.fixture
async def backend(db) -> AsyncIterator[PostgresBackend]:
    backend = PostgresBackend(db)
    yield backend
    await backend.close()


@pytest.fixture
def small_plan(monkeypatch):
    monkeypatch.setattr(postgres, "WINDOW", 30)
    monkeypatch.setattr(postgres, "RANKED", 3)


async def _threads(make, n: int, body: str) -> list[int]:
    author = await make.user()
    return [
        (await make.thread(author, title=f"Note {i}", body=body))["post"]["id"] for i in range(n)
    ]


async def _in_window(db) -> int:
    async with db.transaction() as session:
        return await session.scalar(
            text("SELECT count(*) FROM search_documents WHERE tsv @@ CAST(:q AS tsquery)"),
            {"q": f"'{documents.NEWEST}'"},
        )


async def test_a_common_word_is_answered_from_the_newest_documents(make, backend, small_plan):
    await _threads(make, 20, "Budget lines for health.")
    earlier = await _threads(make, 15, "Budget lines for schools.")
    await _threads(make, 10, "Tender notices for roads.")
    latest = await _threads(make, 10, "Budget lines for roads.")
    await backend.keep_window()  # the newest 30: 10 + 10 + the last 10 of `earlier`

    results = await backend.search(Query("budget", PUBLIC))
    assert results.total == 20 and not results.exact  # "20+": the window had a page
    assert {h.post_id for h in results.hits} <= set(earlier[-10:] + latest)


async def test_a_word_the_newest_documents_lack_is_found_everywhere(make, backend, small_plan):
    old = await _threads(make, 25, "Budget lines for health.")
    await _threads(make, 35, "Tender notices for roads.")
    await backend.keep_window()

    results = await backend.search(Query("budget", PUBLIC))
    assert results.total == 25 and results.exact
    assert {h.post_id for h in results.hits} <= set(old)


async def test_new_posts_join_the_window_and_old_ones_leave_it(db, make, backend, small_plan):
    await _threads(make, 30, "Tender notices for roads.")
    await backend.keep_window()
    assert await _in_window(db) == 30
    new = await _threads(make, 25, "Budget lines for roads.")  # in the window when written

    results = await backend.search(Query("budget", PUBLIC))
    assert results.total == 25 and not results.exact
    assert await _in_window(db) == 55
    await backend.keep_window()
    assert await _in_window(db) == 30  # the 25 new posts and the 5 newest before them
    assert {h.post_id for h in (await backend.search(Query("budget", PUBLIC))).hits} <= set(new)


async def test_a_forum_smaller_than_the_window_has_none(db, make, backend, small_plan):
    await _threads(make, 25, "Budget lines for health.")
    await backend.keep_window()
    assert await _in_window(db) == 0

    results = await backend.search(Query("budget", PUBLIC))
    assert results.total == 25 and results.exact


async def test_counting_stops_at_the_cap_and_says_so(make, backend, monkeypatch):
    monkeypatch.setattr(postgres, "CAP", 10)
    await _threads(make, 15, "Asset declarations.")

    results = await backend.search(Query("asset", PUBLIC))
    assert results.total == 10 and not results.exact
    assert sum(results.facets["region"].values()) == 10


async def test_long_words_match_by_their_beginning_only_when_little_is_found(make, backend):
    lutter = await make.thread(title="Agir", body="Comment lutter ensemble ?", language="fr")
    assert {h.post_id for h in (await backend.search(Query("luttent", PUBLIC))).hits} == {
        lutter["post"]["id"]
    }
    for n in range(6):
        await make.thread(title=f"Action {n}", body="Ils luttent chaque jour.", language="fr")
    found = await backend.search(Query("luttent", PUBLIC))
    assert found.total == 6  # enough as typed: "lutter" is no longer reached by prefix


async def test_words_never_reach_the_filters(db, make, backend):
    async with db.transaction() as session:
        africa = await session.scalar(text("SELECT id FROM regions WHERE slug = 'africa'"))
    await make.thread(title="Kind thread", body=f"A kind thread about region {africa}.")
    # Its scope lexemes are the same (`kind thread`, `region <africa>`), its words not.
    await make.thread(title="Audit", body="Procurement audits in the ministry.")
    for typed in ("'kind thread'", f'"region {africa}"', "kind\\ thread", f"region\\ {africa}"):
        assert (await backend.search(Query(typed, PUBLIC))).total == 1, typed  # as words
        found = await backend.search(Query(typed, PUBLIC, Filters(kinds=(Kind.POST,))))
        assert found.total == 0, typed  # the opening post is a thread document, not a post


async def test_a_hostile_filter_value_is_one_lexeme_that_matches_nothing(make, backend):
    await make.thread(title="Audit", body="Audit of the ministry.", countries=["KE"])
    assert (await backend.search(Query("audit", PUBLIC, Filters(countries=("KE",))))).total == 1
    for hostile in ("KE') | ('kind thread", "KE' | 'kind thread", "KE\\' | \\'kind thread"):
        found = await backend.search(Query("audit", PUBLIC, Filters(countries=(hostile,))))
        assert found.total == 0, hostile

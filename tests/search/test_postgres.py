"""The PostgreSQL backend's query plan: common words are answered from the newest
documents, rare ones from every match, counting stops at a cap. The sizes are scaled
down (a window of 30 documents) so a test can build a corpus that crosses them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from search import postgres
from search.backend import Query
from search.postgres import PostgresBackend

PUBLIC = frozenset({"public"})


@pytest.fixture
def small_plan(monkeypatch):
    monkeypatch.setattr(postgres, "WINDOW", 30)
    monkeypatch.setattr(postgres, "RANKED", 3)


async def _analyze(db) -> None:
    async with db.transaction() as session:
        await session.execute(text("ANALYZE search_documents"))


async def _threads(make, n: int, body: str) -> list[int]:
    author = await make.user()
    return [
        (await make.thread(author, title=f"Note {i}", body=body))["post"]["id"] for i in range(n)
    ]


async def test_a_common_word_is_answered_from_the_newest_documents(db, make, small_plan):
    older = await _threads(make, 20, "Budget lines for health.")
    newer = await _threads(make, 40, "Budget lines for roads.")
    await _analyze(db)

    results = await PostgresBackend(db).search(Query("budget", PUBLIC))
    assert results.total == 30 and not results.exact  # "30+": the window was full
    assert {h.post_id for h in results.hits} <= set(newer[-30:])
    assert not {h.post_id for h in results.hits} & set(older)


async def test_a_word_the_newest_documents_lack_is_found_everywhere(db, make, small_plan):
    old = await _threads(make, 25, "Budget lines for health.")
    await _threads(make, 35, "Tender notices for roads.")
    await _analyze(db)

    results = await PostgresBackend(db).search(Query("budget", PUBLIC))
    assert results.total == 25 and results.exact
    assert {h.post_id for h in results.hits} <= set(old)


async def test_counting_stops_at_the_cap_and_says_so(db, make, monkeypatch):
    monkeypatch.setattr(postgres, "CAP", 10)
    await _threads(make, 15, "Asset declarations.")

    results = await PostgresBackend(db).search(Query("asset", PUBLIC))
    assert results.total == 10 and not results.exact
    assert sum(results.facets["region"].values()) == 10


async def test_long_words_match_by_their_beginning_only_when_little_is_found(db, make):
    lutter = await make.thread(title="Agir", body="Comment lutter ensemble ?", language="fr")
    backend = PostgresBackend(db)
    assert {h.post_id for h in (await backend.search(Query("luttent", PUBLIC))).hits} == {
        lutter["post"]["id"]
    }
    for n in range(6):
        await make.thread(title=f"Action {n}", body="Ils luttent chaque jour.", language="fr")
    found = await backend.search(Query("luttent", PUBLIC))
    assert found.total == 6  # enough as typed: "lutter" is no longer reached by prefix

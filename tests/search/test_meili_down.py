"""Meilisearch away while the forum is written to (issue 15, "Meilisearch down"): the app
configured for Meilisearch takes posts through its API as usual, and its indexer, riding
out the outage, indexes every post once the server is back. Against the fake server
(`fake_meili.py`, the real client code); `test_meili_live.py` runs the same against a real
Meilisearch when `FORUM_MEILI_URL` is set."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
import uuid
from typing import Any

import pytest

from forum.config import Settings
from search.backend import Query
from search.indexer import Indexer
from search.meili import MeiliBackend, SearchUnavailable
from search.retry import Backoff
from tests.factories import Factory
from tests.relay import Relay
from tests.search.fake_meili import FakeMeili
from tests.search.readers import PUBLIC

# An API answer while the search engine is away: as fast as ever (no request waits on it).
FAST_ENOUGH = 2.0  # seconds, on a loaded 2-core machine


@pytest.fixture
def settings(settings: Settings, meili: FakeMeili) -> Settings:
    return dataclasses.replace(settings, meili_url=meili.url, meili_key=meili.key)


async def _indexed(meili: FakeMeili, ids: set[int], within: float = 120) -> dict[int, Any]:
    """The posts index once it holds `ids`. The indexer backs off up to 10 s, and reads
    only events of finished transactions (DESIGN.md, "The spine"): a transaction left
    open anywhere on the PostgreSQL server, in any database (another test's, on a shared
    `FORUM_TEST_DATABASE_URL`), holds it back, hence the generous bound."""
    for _ in range(int(within / 0.1)):
        if "posts" in meili.indexes and ids <= set(meili.documents("posts")):
            return meili.documents("posts")
        await asyncio.sleep(0.1)
    raise AssertionError(f"not indexed within {within} s")


async def test_posting_is_unaffected_while_meilisearch_is_away_and_the_index_converges(make, meili):
    author = await make.user()
    http = await make.logged_in(author)
    made = await make.thread(author, title="Tenders", body="Before the outage")
    thread, first = made["thread"]["id"], made["post"]["id"]
    await _indexed(meili, {first})
    await meili.stop()
    written, slowest = [], 0.0
    for n in range(10):
        started = time.monotonic()
        r = await http.post(f"/api/v1/threads/{thread}/posts", json={"body": f"Away {n}"})
        slowest = max(slowest, time.monotonic() - started)
        assert r.status_code == 201, r.text
        written.append(r.json()["id"])
    assert slowest < FAST_ENOUGH
    # The search engine is away: searching says so (503), posting did not notice.
    assert (await http.get("/api/v1/search", params={"q": "Away"})).status_code == 503
    await meili.start()
    stored = await _indexed(meili, {first, *written})
    # Every post once (documents are keyed by post id), and nothing else.
    assert sorted(stored) == sorted([first, *written])
    uploads = meili.requests("POST", "/indexes/posts/documents")
    sent = [d["id"] for u in uploads for d in u.body]
    assert sorted(p for p in sent if p in written) == sorted(written)  # each sent once
    found = (await http.get("/api/v1/search", params={"q": "Away"})).json()
    assert found["total"] == 10


@pytest.mark.skipif(not os.environ.get("FORUM_MEILI_URL"), reason="FORUM_MEILI_URL is not set")
async def test_a_real_meilisearch_away_then_back_gets_every_post(db):
    relay = Relay.to_http(os.environ["FORUM_MEILI_URL"])
    await relay.start()
    quick = Backoff(base=0.05, cap=0.5)
    backend = MeiliBackend(
        relay.url, os.environ.get("FORUM_MEILI_KEY"), prefix=f"test_{uuid.uuid4().hex[:12]}_",
        backoff=quick, attempts=2,
    )  # fmt: skip
    indexer = Indexer(db, backend, poll=0.05, backoff=quick)
    make = Factory(None, db)
    stop = asyncio.Event()
    running = asyncio.create_task(indexer.run(stop))
    try:
        thread = await make.thread(body="relayword opening")
        await _found(backend, {thread["post"]["id"]})
        await relay.stop()
        replies = [
            await make.reply(thread["thread"]["id"], body=f"relayword {n}") for n in range(5)
        ]
        await asyncio.sleep(1)  # the indexer meets the outage
        await relay.start()
        await _found(backend, {thread["post"]["id"], *(r["id"] for r in replies)})
    finally:
        stop.set()
        await running
        await relay.stop()
        await relay.start()  # to clean up
        await backend.drop()
        await backend.close()
        await relay.stop()


async def _found(backend: MeiliBackend, ids: set[int], within: float = 60) -> None:
    for _ in range(int(within / 0.2)):
        with contextlib.suppress(SearchUnavailable):
            hits = (await backend.search(Query("relayword", PUBLIC))).hits
            if {h.post_id for h in hits} == ids:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not found within {within} s")

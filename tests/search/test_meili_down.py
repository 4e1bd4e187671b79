"""Meilisearch away while the forum is written to (issue 15, "Meilisearch down"): the app
configured for Meilisearch takes posts through its API as usual, and its indexer, riding
out the outage, indexes every post once the server is back. Against the fake server
(`fake_meili.py`, the real client code); `test_meili_live.py` runs the same against a real
Meilisearch when `FORUM_MEILI_URL` is set."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest

from forum.config import Settings
from tests.search.fake_meili import FakeMeili

# An API answer while the search engine is away: as fast as ever (no request waits on it).
FAST_ENOUGH = 2.0  # seconds, on a loaded 2-core machine


@pytest.fixture
def settings(settings: Settings, meili: FakeMeili) -> Settings:
    return dataclasses.replace(settings, meili_url=meili.url, meili_key=meili.key)


async def _indexed(meili: FakeMeili, ids: set[int], within: float = 60) -> dict[int, Any]:
    """The posts index once it holds `ids` (the indexer backs off up to 10 s)."""
    for _ in range(int(within / 0.1)):
        if "posts" in meili.indexes and ids <= set(meili.documents("posts")):
            return meili.documents("posts")
        await asyncio.sleep(0.1)
    raise AssertionError(f"not indexed within {within} s")


async def test_posting_is_unaffected_while_meilisearch_is_away_and_the_index_converges(make, meili):
    author = await make.user()
    http = await make.logged_in(author)
    r = await http.post(
        "/api/v1/threads",
        json={"region": "africa", "topic": "public-procurement", "title": "Tenders",
              "body": "Before the outage"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    thread, first = r.json()["thread"]["id"], r.json()["post"]["id"]
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

"""The Meilisearch backend and indexer against a real server: skipped unless
`FORUM_MEILI_URL` names one (`FORUM_MEILI_KEY` its key). Each test works under its own
index prefix and deletes its indexes afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from meilisearch_python_sdk.errors import MeilisearchApiError

from forum import posts
from forum.db import Database
from search.backend import Filters, Kind, Query
from search.indexer import Indexer
from search.meili import MeiliBackend
from tests.factories import Factory
from tests.search.engines import Hub, Knowledge, key
from tests.search.readers import EVERYONE, PUBLIC

pytestmark = pytest.mark.skipif(
    not os.environ.get("FORUM_MEILI_URL"), reason="FORUM_MEILI_URL is not set"
)


@pytest.fixture
async def backend() -> AsyncIterator[MeiliBackend]:
    b = MeiliBackend(
        os.environ["FORUM_MEILI_URL"],
        os.environ.get("FORUM_MEILI_KEY"),
        prefix=f"test_{uuid.uuid4().hex[:12]}_",
    )
    await b.start()
    try:
        yield b
    finally:
        await b.drop()
        await b.close()


@pytest.fixture
def make(db: Database) -> Factory:
    return Factory(None, db)


async def ids(backend: MeiliBackend, words: str, audiences=PUBLIC, **filters) -> set[int]:
    results = await backend.search(Query(words, audiences, Filters(**filters)))
    return {h.post_id for h in results.hits}


async def test_index_search_filter_and_delete(db, make, backend):
    author = await make.user()
    africa = await make.thread(
        author, title="Beneficial ownership registers", body="Who maintains the registry?"
    )
    asia = await make.thread(
        region="south-east-asia", title="Procurement audits", body="Registry of contractors"
    )
    staff = await make.thread(region="staff-room", title="Board notes", body="Registry budget")
    reply = await make.reply(africa["thread"]["id"], author, body="The registry is public now")
    indexer = Indexer(db, backend)
    await indexer.catch_up()

    assert await ids(backend, "registry") == {
        africa["post"]["id"],
        asia["post"]["id"],
        reply["id"],
    }
    assert staff["post"]["id"] in await ids(backend, "registry", EVERYONE)
    assert await ids(backend, "registry", regions=("africa",)) == {
        africa["post"]["id"],
        reply["id"],
    }
    assert await ids(backend, "registry", kinds=(Kind.POST,)) == {reply["id"]}
    assert africa["post"]["id"] in await ids(backend, "benefical")  # a typo still finds it

    results = await backend.search(Query("registry", PUBLIC))
    assert results.facets["region"] == {"africa": 2, "south-east-asia": 1}
    assert all("<mark>" in h.snippet for h in results.hits)

    async with db.transaction() as s:
        await posts.delete(s, author["actor"], reply["id"])
    await indexer.catch_up()
    assert reply["id"] not in await ids(backend, "registry")


async def test_hostile_filter_values_find_nothing_they_should_not(db, make, backend):
    await make.thread(region="staff-room", body="Members only registry")
    await Indexer(db, backend).catch_up()
    hostile = 'x" OR region = "staff-room'
    assert await ids(backend, "registry", organisation=hostile) == set()
    assert await ids(backend, "registry", regions=(hostile,)) == set()


async def test_rebuild_swaps_in_a_fresh_index(db, make, backend):
    thread = await make.thread(body="Asset declarations of judges")
    indexer = Indexer(db, backend)
    await indexer.catch_up()
    assert await indexer.rebuild() == 1
    assert await ids(backend, "declarations") == {thread["post"]["id"]}
    with pytest.raises(MeilisearchApiError):
        await backend.client.get_index(f"{backend.posts}_rebuild")
    reply = await make.reply(thread["thread"]["id"], body="More declarations published")
    await indexer.catch_up()
    assert await ids(backend, "declarations") == {thread["post"]["id"], reply["id"]}


async def test_organisations_and_experiences_in_one_federated_search(db, make, backend):
    """The `organisations` and `experiences` indexes on a real server: one federated
    query across kinds, their facets merged, the `org` and UNCAC filters, and a French
    query reaching a Spanish story (Meilisearch's typo tolerance and normalisation)."""
    knowledge = Knowledge(db, make)
    org = await knowledge.organisation(
        "live-watch", description="Harbour registry audits.", phone="+221 77 000 4242"
    )
    story = await knowledge.experience(
        org, title="Reformas electorales", context="Harbour registry.", language="es",
        uncac_articles=(7,),
    )  # fmt: skip
    thread = await make.thread(title="Harbour registry", body="The harbour registry.")
    await Indexer(db, backend).catch_up()

    results = await backend.search(Query("harbour registry", PUBLIC))
    assert {key(h) for h in results.hits} == {
        ("thread", thread["post"]["id"]),
        ("organisation", org),
        ("experience", story),
    }
    assert results.facets["kind"] == {"thread": 1, "organisation": 1, "experience": 1}
    assert results.facets["uncac"] == {"7": 1}
    by_org = await backend.search(Query("harbour", PUBLIC, Filters(organisation=org)))
    assert {key(h) for h in by_org.hits} == {("organisation", org), ("experience", story)}
    assert (await backend.search(Query("4242", PUBLIC))).total == 0
    french = await backend.search(Query("réformes électorales", PUBLIC))
    assert ("experience", story) in {key(h) for h in french.hits}


async def test_news_events_and_resources_in_one_federated_search(db, make, backend):
    """The `news`, `events` and `resources` indexes on a real server: one query across
    kinds, a resource (no region attribute) out of a region filter but read by a visitor,
    a proposal nowhere, a withdrawn event removed, and a misspelt word still found."""
    hub = Hub(db, make)
    proposer = await make.user()
    item = await hub.news(title="Procurement monitoring in Senegal", language="en")
    event = await hub.event(title="Procurement monitoring workshop")
    resource = await hub.resource(title="Procurement monitoring guide")
    withdrawn = await hub.event(title="Procurement monitoring withdrawn")
    await hub.news(proposer, title="Procurement monitoring proposal")
    await hub.decline_event(withdrawn)
    await Indexer(db, backend).catch_up()

    results = await backend.search(Query("procurement monitoring", PUBLIC))
    assert {key(h) for h in results.hits} == {
        ("news", item),
        ("event", event),
        ("resource", resource),
    }
    assert results.facets["kind"] == {"news": 1, "event": 1, "resource": 1}
    assert results.facets["region"] == {"africa": 2}
    regional = await backend.search(
        Query("procurement monitoring", PUBLIC, Filters(regions=("africa",)))
    )
    assert {key(h) for h in regional.hits} == {("news", item), ("event", event)}
    only = await backend.search(Query("monitoring", EVERYONE, Filters(kinds=(Kind.RESOURCE,))))
    assert [key(h) for h in only.hits] == [("resource", resource)]
    typo = await backend.search(Query("procurment", PUBLIC, Filters(kinds=(Kind.NEWS,))))
    assert [key(h) for h in typo.hits] == [("news", item)]

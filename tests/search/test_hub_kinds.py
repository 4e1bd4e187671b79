"""News items, events and resources are searched with posts, organisations and
experiences, on every backend that can run: each kind found by its words and by `kind`,
the filters that apply to it, what a hit shows, documents that follow every change, and
nothing a reader may not see (a proposal, a members-only region's item, a withdrawn
event)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from search.backend import Kind
from tests.search.engines import ENGINES, Engine, key, running
from tests.search.readers import MEMBER, SUSPENDED, VISITOR


@pytest.fixture(params=[*ENGINES, "fake-meilisearch"])
async def engine(request, db, make) -> AsyncIterator[Engine]:
    """Also the Meilisearch backend and its indexer against the fake server: these tests
    need no typo tolerance nor stemming, so the event log, the documents, the filters and
    the federated search are all proved without a live server."""
    async with running(request.param, db, make) as found:
        yield found


async def test_each_kind_is_found_by_its_words_and_by_kind(engine, make, hub):
    item = await hub.news(
        title="Saly workshop on the review",
        summary="Civil society met in Saly about the quokka review.",
        source_name="Le Quotidien",
        countries=("SN",),
        topics=("public-procurement",),
        language="en",
    )
    event = await hub.event(
        title="Quokka workshop in Saly",
        description="Two days on the **quokka** review.",
        countries=("KE",),
        country="SN",
    )
    resource = await hub.resource(
        title="Quokka guide to the review",
        url="https://example.org/quokka-guide",
        description="How CSOs take part.",
        languages=("fr", "en"),  # kept sorted: the first is "en"
        countries=("SN",),
        topics=("whistleblower-protection",),
    )
    thread = await make.thread(title="Quokka", body="The quokka review again.")

    results = await engine.find("quokka")
    assert {key(h) for h in results.hits} == {
        ("news", item),
        ("event", event),
        ("resource", resource),
        ("thread", thread["post"]["id"]),
    }
    assert results.total == 4 and results.exact
    assert results.facets["kind"] == {"news": 1, "event": 1, "resource": 1, "thread": 1}
    # A resource has no region: it counts under none.
    assert results.facets["region"] == {"africa": 3}
    assert results.facets["country"] == {"SN": 3, "KE": 1}
    assert results.facets["topic"] == {
        "public-procurement": 2,  # the news item and the thread
        "whistleblower-protection": 1,
    }
    for kind, found in ((Kind.NEWS, item), (Kind.EVENT, event), (Kind.RESOURCE, resource)):
        assert await engine.keys("quokka", kinds=(kind,)) == {(kind.value, found)}
    assert await engine.keys("quokka", kinds=(Kind.NEWS, Kind.RESOURCE)) == {
        ("news", item),
        ("resource", resource),
    }

    hits = {key(h): h for h in results.hits}
    told = hits[("news", item)]
    assert told.title == "Saly workshop on the review" and told.region == "africa"
    assert told.source == "Le Quotidien" and told.created_at == datetime(2026, 5, 14, tzinfo=UTC)
    assert told.countries == ("SN",) and told.topics == ("public-procurement",)
    assert "<mark>quokka</mark>" in told.snippet and told.language == "en"
    held = hits[("event", event)]
    assert held.title == "Quokka workshop in Saly"
    assert held.source == "Saly" and held.countries == ("KE", "SN")
    # Local times in Dakar (UTC+0): start and end.
    assert held.created_at == datetime(2018, 5, 22, 9, tzinfo=UTC)
    assert held.ends_at == datetime(2018, 5, 24, 17, tzinfo=UTC)
    assert "<mark>quokka</mark>" in held.snippet.lower() and "**" not in held.snippet
    linked = hits[("resource", resource)]
    assert linked.region is None and linked.source == "guide"
    assert linked.url == "https://example.org/quokka-guide" and linked.language == "en"
    assert linked.organisation is None and hits[("news", item)].organisation is None


async def test_the_filters_that_apply_to_each_kind(engine, hub):
    item = await hub.news(title="Wombat news", countries=("KE",), topics=("public-procurement",))
    elsewhere = await hub.news(title="Wombat in Asia", region="south-east-asia")
    event = await hub.event(title="Wombat day", country="KE")
    resource = await hub.resource(title="Wombat guide", countries=("KE",))

    # Region: a resource belongs to none, so a region filter leaves it out.
    assert await engine.keys("wombat", regions=("africa",)) == {("news", item), ("event", event)}
    assert await engine.keys("wombat", regions=("south-east-asia",)) == {("news", elsewhere)}
    # Country: the event's place counts as one of its countries.
    assert await engine.keys("wombat", countries=("KE",)) == {
        ("news", item),
        ("event", event),
        ("resource", resource),
    }
    # Topic: events have none.
    assert await engine.keys("wombat", topics=("public-procurement",)) == {("news", item)}
    # UNCAC articles and authors belong to other kinds.
    assert await engine.keys("wombat", uncac_articles=(13,)) == set()
    # Dates: a news item's day, an event's start.
    assert await engine.keys("wombat", since=date(2026, 5, 14), until=date(2026, 5, 14)) == {
        ("news", item),
        ("news", elsewhere),
    }
    assert await engine.keys("wombat", until=date(2018, 5, 22), kinds=(Kind.EVENT,)) == {
        ("event", event)
    }


async def test_a_proposal_is_found_by_nobody(engine, db, make, hub):
    """Not its proposer, not the editors who decide it: search shows what is published."""
    proposer = await make.user()
    await hub.news(proposer, title="Numbat proposal", summary="Numbat canary.")
    waiting = await hub.event(proposer, published=False, title="Numbat event")
    declined = await hub.event(proposer, published=False, title="Numbat declined")
    await hub.decline_event(declined)
    editor = await hub.editing()
    for reader in (VISITOR, MEMBER, SUSPENDED, proposer["actor"], editor):
        results = await engine.find("numbat", reader)
        assert results.hits == [] and results.total == 0
        assert all(counts == {} for counts in results.facets.values())
    async with db.transaction() as s:
        stored = await s.scalar(text("SELECT count(*) FROM search_knowledge"))
    assert stored == 0
    # Published, the event is found at last.
    await hub.publish_event(waiting)
    assert await engine.keys("numbat") == {("event", waiting)}


async def test_a_members_only_region_is_out_of_sight_of_visitors(engine, db, hub):
    item = await hub.news(title="Bilby news", region="staff-room")
    event = await hub.event(title="Bilby meeting", region="staff-room", online=True, place="")
    for reader in (VISITOR, SUSPENDED):
        results = await engine.find("bilby", reader)
        assert results.hits == [] and results.total == 0
        assert all(counts == {} for counts in results.facets.values())
    results = await engine.find("bilby", MEMBER)
    assert {key(h) for h in results.hits} == {("news", item), ("event", event)}
    assert results.facets["region"] == {"staff-room": 2}
    assert next(h for h in results.hits if h.kind is Kind.EVENT).source == ""  # online

    async with db.transaction() as s:  # as an operator would, in plain SQL
        await s.execute(text("UPDATE regions SET visibility = 'public' WHERE slug = 'staff-room'"))
    assert len((await engine.find("bilby", VISITOR)).hits) == 2


async def test_documents_follow_every_change(engine, hub):
    item = await hub.news(title="Potoroo", summary="Potoroo survey.")
    await hub.edit_news(item, summary="Bandicoot survey.")
    assert await engine.keys("bandicoot") == {("news", item)}
    assert await engine.keys("survey potoroo") == {("news", item)}  # the title stays
    await hub.edit_news(item, title="Quoll", region="staff-room")
    assert await engine.keys("potoroo", MEMBER) == set()
    assert await engine.keys("quoll", VISITOR) == set()
    assert await engine.keys("quoll", MEMBER) == {("news", item)}

    event = await hub.event(title="Dunnart forum", description="Dunnart.")
    await hub.edit_event(event, title="Kowari forum", description="Kowari.")
    assert await engine.keys("dunnart") == set()
    assert await engine.keys("kowari") == {("event", event)}
    # Withdrawn (declined once published), it goes.
    await hub.decline_event(event, "Cancelled.")
    assert await engine.keys("kowari") == set()

    resource = await hub.resource(title="Mulgara guide", description="Mulgara.")
    await hub.edit_resource(resource, title="Ningaui guide", description="Ningaui.")
    assert await engine.keys("mulgara") == set()
    assert await engine.keys("ningaui") == {("resource", resource)}


async def test_a_declined_news_proposal_leaves_no_trace(engine, db, make, hub):
    proposer = await make.user()
    item = await hub.news(proposer, title="Antechinus", summary="Antechinus.")
    await hub.decide_news(item, approve=True)
    assert await engine.keys("antechinus") == {("news", item)}
    other = await hub.news(proposer, title="Phascogale", summary="Phascogale.")
    await hub.decide_news(other, approve=False)
    assert await engine.keys("phascogale", await hub.editing()) == set()
    async with db.transaction() as s:
        stored = await s.scalar(text("SELECT count(*) FROM search_knowledge"))
    assert stored == 1

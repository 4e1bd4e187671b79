"""News items, events and resources in the Meilisearch backend, without a server (the fake
one): the documents it stores, each in its kind's index, the filters it sends (resources,
of no region, are read by everyone), the hits it reads back, removals by kind, and a
rebuild from the forum (the shared suite, `test_hub_kinds.py`, follows each change)."""

from __future__ import annotations

from datetime import UTC, datetime

from forum.knowledge_documents import KnowledgeDocument
from search import meili_filters
from search.backend import Filters, Kind, Query
from search.indexer import Indexer
from search.meili import MeiliBackend
from search.meili_documents import knowledge_to_meili
from tests.search.engines import Hub
from tests.search.fake_meili import FAST
from tests.search.readers import EVERYONE, PUBLIC

START = datetime(2018, 5, 22, 9, tzinfo=UTC)
END = datetime(2018, 5, 24, 17, tzinfo=UTC)


def _document(kind: str, item_id: int, **values: object) -> KnowledgeDocument:
    fields: dict[str, object] = {
        "kind": kind,
        "organisation_id": None,
        "experience_id": None,
        "organisation": None,
        "organisation_name": None,
        "region": "africa",
        "topics": (),
        "countries": ("SN",),
        "uncac_articles": (),
        "title": f"Saly {kind}",
        "body": "The Saly workshop on the review.",
        "language": "fr",
        "created_at": START,
        "item_id": item_id,
    }
    return KnowledgeDocument(**(fields | values))  # type: ignore[arg-type]


NEWS = _document("news", 4, source="Le Soleil", topics=("public-procurement",))
EVENT = _document("event", 5, ends_at=END, source="Saly", countries=("KE", "SN"))
RESOURCE = _document(
    "resource", 6, region=None, source="guide", url="https://example.org/guide", language="en"
)


def test_each_kind_is_stored_by_its_id_with_what_a_hit_shows():
    news = knowledge_to_meili(NEWS)
    assert news["id"] == 4 and news["kind"] == "news" and news["item_id"] == 4
    assert news["title_fra"] == "Saly news" and news["body_fra"].startswith("The Saly")
    assert news["source"] == "Le Soleil" and news["region"] == "africa"
    assert news["organisations"] == [] and news["topics"] == ["public-procurement"]
    assert news["created_at"] == 1526979600 and news["ends_at_iso"] is None
    event = knowledge_to_meili(EVENT)
    assert event["id"] == 5 and event["ends_at_iso"] == "2018-05-24T17:00:00+00:00"
    assert event["countries"] == ["KE", "SN"] and event["source"] == "Saly"
    resource = knowledge_to_meili(RESOURCE)
    assert resource["id"] == 6 and resource["title_eng"] == "Saly resource"
    assert resource["url"] == "https://example.org/guide" and resource["source"] == "guide"
    # No region at all: no region filter can match it.
    assert "region" not in resource


def test_the_resources_index_is_filtered_without_the_readable_regions():
    query = Query("saly", PUBLIC, Filters(kinds=(Kind.RESOURCE,), countries=("SN",)))
    assert meili_filters.expression(query, regional=False) == [
        'kind IN ["resource"]',
        'countries IN ["SN"]',
    ]
    # A region filter stays: it leaves resources out.
    narrowed = Query("saly", EVERYONE, Filters(regions=("africa",)))
    assert meili_filters.expression(narrowed, regional=False) == ['region IN ["africa"]']
    assert meili_filters.expression(Query("saly", PUBLIC), regional=False) == []


async def test_each_kind_goes_to_its_index_and_comes_back_as_a_hit(backend: MeiliBackend, meili):
    members_only = _document("news", 7, region="staff-room", title="Saly members")
    await backend.index_knowledge([NEWS, EVENT, RESOURCE, members_only])
    assert set(meili.documents("t_news")) == {4, 7}
    assert set(meili.documents("t_events")) == {5}
    assert set(meili.documents("t_resources")) == {6}

    results = await backend.search(Query("saly", PUBLIC))
    hits = {(h.kind, h.item_id): h for h in results.hits}
    assert set(hits) == {(Kind.NEWS, 4), (Kind.EVENT, 5), (Kind.RESOURCE, 6)}
    assert results.total == 3
    assert results.facets["kind"] == {"news": 1, "event": 1, "resource": 1}
    assert results.facets["region"] == {"africa": 2}  # the resource is of none
    news, event, resource = hits[(Kind.NEWS, 4)], hits[(Kind.EVENT, 5)], hits[(Kind.RESOURCE, 6)]
    assert news.source == "Le Soleil" and news.created_at == START and news.organisation is None
    assert "<mark>Saly</mark>" in news.snippet
    assert event.ends_at == END and event.source == "Saly" and event.region == "africa"
    assert resource.region is None and resource.url == "https://example.org/guide"
    assert (await backend.search(Query("saly", EVERYONE))).total == 4
    # A region filter leaves the resource out; a kind filter keeps only it.
    regional = await backend.search(Query("saly", PUBLIC, Filters(regions=("africa",))))
    assert {h.kind for h in regional.hits} == {Kind.NEWS, Kind.EVENT}
    only = await backend.search(Query("saly", PUBLIC, Filters(kinds=(Kind.RESOURCE,))))
    assert [h.item_id for h in only.hits] == [6]

    await backend.remove_knowledge({"news": [4, 99], "event": [5]})
    assert set(meili.documents("t_news")) == {7} and meili.documents("t_events") == {}
    assert set(meili.documents("t_resources")) == {6}


async def test_a_rebuild_fills_the_three_indexes_with_what_is_published(db, make, backend, meili):
    hub = Hub(db, make)
    proposer = await make.user()
    item = await hub.news(title="Saly news")
    await hub.news(proposer, title="Saly proposal", summary="Gymnobelideus.")
    event = await hub.event(title="Saly workshop")
    withdrawn = await hub.event(title="Saly withdrawn")
    await hub.decline_event(withdrawn)
    await hub.event(proposer, published=False, title="Saly proposed", description="Petaurus.")
    resource = await hub.resource(title="Saly guide")
    await Indexer(db, backend, backoff=FAST).rebuild()
    assert set(meili.documents("t_news")) == {item}
    assert set(meili.documents("t_events")) == {event}
    assert set(meili.documents("t_resources")) == {resource}
    stored = str([meili.documents(f"t_{name}") for name in ("news", "events", "resources")])
    assert "Gymnobelideus" not in stored and "Petaurus" not in stored

"""The Meilisearch backend against a fake server speaking Meilisearch's HTTP API: what it
stores, the settings it writes, the filters and searches it sends, how it reads answers
and how it rebuilds. Failures are in `test_meili_failures.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime

import pytest
from meilisearch_python_sdk.errors import MeilisearchApiError

from forum.documents import Document
from forum.knowledge_documents import KnowledgeDocument
from search import meili_filters
from search.backend import MARK_END, MARK_START, Filters, Kind, Query
from search.meili import INDEXES, MeiliBackend, SearchUnavailable
from search.meili_documents import SETTINGS, knowledge_to_meili, to_meili
from tests.search import fake_meili_filter
from tests.search.fake_meili import KEY, QUICK, doc
from tests.search.readers import EVERYONE, PUBLIC

# -- documents --------------------------------------------------------------------------


def test_organisations_and_experiences_carry_their_words_in_their_language_and_no_contact():
    told = knowledge_to_meili(
        KnowledgeDocument(
            kind="experience", organisation_id=3, experience_id=8, organisation="olcac",
            organisation_name="OLCAC", region="africa", topics=("public-procurement",),
            countries=("KE", "SN"), uncac_articles=(5, 13), title="Les moto-taxis",
            body="Les chauffeurs refusent.", language="fr",
            created_at=datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC),
        )
    )  # fmt: skip
    assert told["id"] == 8 and told["kind"] == "experience" and told["heading"] == "Les moto-taxis"
    assert told["title_fra"] == "Les moto-taxis" and told["body_fra"] == "Les chauffeurs refusent."
    assert told["organisations"] == ["olcac"] and told["uncac_articles"] == [5, 13]
    assert told["topics"] == ["public-procurement"] and told["created_at"] == 1773480413
    profile = knowledge_to_meili(
        KnowledgeDocument(
            kind="organisation", organisation_id=3, experience_id=None, organisation="olcac",
            organisation_name="OLCAC", region="africa", topics=(), countries=("SN",),
            uncac_articles=(), title="OLCAC", body="Watchdog.", language="",
            created_at=datetime(2026, 3, 14, tzinfo=UTC),
        )
    )  # fmt: skip
    assert profile["id"] == 3 and profile["title"] == "OLCAC" and profile["body"] == "Watchdog."
    # Nothing but what `forum.knowledge_documents` holds: no email, no phone.
    assert not {"email", "phone"} & set(profile)


def test_documents_carry_the_text_in_the_posts_language_and_filterable_values():
    thread = to_meili(
        doc(1, language="fr", countries=("SN", "KE"), organisations=("transparence",))
    )
    assert thread["title_fra"] == "Thread 1" and thread["body_fra"] == "open contracting data"
    assert "title" not in thread and "body" not in thread
    assert thread["thread_title"] == "Thread 1"
    assert thread["countries"] == ["SN", "KE"] and thread["organisations"] == ["transparence"]
    assert thread["created_at"] == 1773480413  # whole seconds, for range filters
    assert thread["created_at_iso"] == "2026-03-14T09:26:53.589793+00:00"

    reply = to_meili(doc(2, kind="post", position=3, language="sw"))
    # A reply is not found by its thread's title, but shows it.
    assert not any(k.startswith("title") for k in reply)
    assert reply["thread_title"] == "Thread 2" and reply["body"] == "open contracting data"


async def test_start_creates_indexes_and_writes_settings_only_when_they_differ(meili):
    first = MeiliBackend(meili.url, KEY, prefix="t_", **QUICK)
    await first.start()
    await first.close()
    for uid in (f"t_{name}" for name in INDEXES):
        index = meili.indexes[uid]
        assert sorted(index.settings["filterableAttributes"]) == sorted(
            SETTINGS["filterableAttributes"]
        )
        assert index.settings["searchableAttributes"][0] == "title"
        assert {"attributePatterns": ["title_fra", "body_fra"], "locales": ["fra"]} in (
            index.settings["localizedAttributes"]
        )
        assert index.settings["pagination"]["maxTotalHits"] == 10_000
    assert len(meili.requests("PATCH", r"/indexes/[^/]+/settings")) == len(INDEXES)

    meili.seen.clear()
    again = MeiliBackend(meili.url, KEY, prefix="t_", **QUICK)
    await again.start()
    assert [s.method for s in meili.seen] == ["GET"] * len(INDEXES)  # nothing rewritten

    meili.indexes["t_posts"].settings["filterableAttributes"] = ["kind"]  # changed by hand
    meili.seen.clear()
    await again.start()
    assert len(meili.requests("PATCH", "/indexes/t_posts/settings")) == 1
    await again.close()


async def test_a_wrong_key_is_refused_once_not_retried(meili):
    wrong = MeiliBackend(meili.url, "not-the-key", **QUICK)
    with pytest.raises(MeilisearchApiError) as refused:
        await wrong.start()
    await wrong.close()
    assert refused.value.code == "invalid_api_key"
    assert len(meili.seen) == 1


# -- filters ----------------------------------------------------------------------------


def test_filter_names_the_readable_regions_first_then_each_filter():
    query = Query(
        "tenders",
        EVERYONE,
        Filters(
            kinds=(Kind.THREAD,),
            regions=("africa", "south-east-asia"),
            countries=("SN",),
            topics=("public-procurement",),
            uncac_articles=(5, 13),
            author=42,
            organisation="transparency-senegal",
            since=date(2026, 1, 1),
            until=date(2026, 1, 31),
        ),
    )
    assert meili_filters.expression(query) == [
        'region IN ["africa", "south-east-asia", "staff-room"]',
        'kind IN ["thread"]',
        'region IN ["africa", "south-east-asia"]',
        'countries IN ["SN"]',
        'topics IN ["public-procurement"]',
        "uncac_articles IN [5, 13]",  # integers we formatted; posts have none
        "author_id = 42",
        'organisations = "transparency-senegal"',
        "created_at >= 1767225600",  # 2026-01-01T00:00:00Z
        "created_at < 1769904000",  # 2026-02-01T00:00:00Z: the whole last day is in
    ]


HOSTILE = [
    'africa" OR region = "staff-room',
    'x\\" OR region = "staff-room',
    "back\\slash\\",
    'line\nbreak" OR "1" = "1',
    "'single' OR region = staff-room",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_one_quoted_value(value):
    query = Query("", PUBLIC, Filters(organisation=value, regions=(value,)))
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    assert meili_filters.expression(query) == [
        'region IN ["africa", "south-east-asia"]',
        f'region IN ["{escaped}"]',
        f'organisations = "{escaped}"',
    ]


async def test_hostile_filters_cannot_widen_what_a_reader_sees(backend, meili):
    members_only = [doc(i, region="staff-room", organisations=(v,)) for i, v in enumerate(HOSTILE)]
    public = [doc(100 + i, organisations=(v,)) for i, v in enumerate(HOSTILE)]
    await backend.index(members_only + public)
    for n, value in enumerate(HOSTILE):
        meili.seen.clear()
        results = await backend.search(Query("", PUBLIC, Filters(organisation=value)))
        # Exactly the public post whose organisation is this text: the value came through
        # Meilisearch's unescaping intact and did not add an OR.
        assert [h.post_id for h in results.hits] == [100 + n]
        (request,) = meili.requests("POST", "/multi-search")
        for query in request.body["queries"]:
            # Resources, of no region, are read by everyone: their index has no regions.
            regional = query["indexUid"] != "t_resources"
            assert query["filter"] == meili_filters.expression(
                Query("", PUBLIC, Filters(organisation=value)), regional=regional
            )


# -- searching --------------------------------------------------------------------------


async def test_one_federated_request_across_every_index(backend, meili):
    await backend.search(Query("open data", PUBLIC, Filters(regions=("africa",)), page=3))
    (request,) = meili.requests("POST", "/multi-search")
    federation = request.body["federation"]
    uids = [f"t_{name}" for name in INDEXES]
    assert federation["limit"] == 20 and federation["offset"] == 40
    facets = ["region", "topics", "kind", "countries", "uncac_articles"]
    assert federation["facetsByIndex"] == {uid: facets for uid in uids}
    assert federation["mergeFacets"] == {"maxValuesPerFacet": 100}
    assert [q["indexUid"] for q in request.body["queries"]] == uids
    for query in request.body["queries"]:
        assert query["q"] == "open data"
        readable = ['region IN ["africa", "south-east-asia"]']
        if query["indexUid"] == "t_resources":  # everyone reads them; no region matches
            readable = []
        assert query["filter"] == [*readable, 'region IN ["africa"]']
        assert query["highlightPreTag"] == MARK_START and query["highlightPostTag"] == MARK_END
        assert "body_fra" in query["attributesToCrop"]
        assert "body_fra" not in query["attributesToRetrieve"]  # the crop is enough
        # Refused in federated mode: facets and paging belong to the federation.
        assert all(query.get(k) is None for k in ("facets", "limit", "offset", "page"))


async def test_results_carry_hits_totals_facets_and_pages(backend):
    await backend.index(
        [doc(i, region="africa" if i % 3 else "south-east-asia") for i in range(1, 26)]
        + [doc(99, body="unrelated words")]
    )
    first = await backend.search(Query("contracting", PUBLIC))
    assert first.total == 25 and first.exact and len(first.hits) == 20
    assert first.facets == {
        "region": {"africa": 17, "south-east-asia": 8},
        "topic": {"public-procurement": 25},
        "kind": {"thread": 25},
        "country": {"SN": 25},
        "uncac": {},
    }
    assert first.suggestion is None
    second = await backend.search(Query("contracting", PUBLIC, page=2))
    assert len(second.hits) == 5
    assert not {h.post_id for h in first.hits} & {h.post_id for h in second.hits}
    hit = first.hits[0]
    assert hit.title == f"Thread {hit.post_id}" and hit.kind is Kind.THREAD
    assert hit.created_at == datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)


async def test_members_only_posts_reach_members_only(backend):
    await backend.index([doc(1), doc(2, region="staff-room")])
    assert {h.post_id for h in (await backend.search(Query("open", PUBLIC))).hits} == {1}
    assert {h.post_id for h in (await backend.search(Query("open", EVERYONE))).hits} == {1, 2}


async def test_snippets_are_escaped_with_marks_only_around_matches(backend):
    body = 'Read <script>alert("x")</script> & the open contracting data'
    await backend.index([doc(1, body=body, language="fr")])
    (hit,) = (await backend.search(Query("contracting", PUBLIC))).hits
    assert hit.snippet == (
        'Read &lt;script&gt;alert("x")&lt;/script&gt; &amp; the open <mark>contracting</mark> data'
    )


async def test_removed_posts_are_no_longer_found(backend, meili):
    await backend.index([doc(1), doc(2)])
    assert meili.indexes["t_posts"].primary_key == "id"
    await backend.remove([2, 12345])  # unknown ids are ignored
    assert set(meili.documents("t_posts")) == {1}


# -- rebuilding -------------------------------------------------------------------------


async def test_rebuild_fills_a_fresh_index_and_swaps_it_in_while_search_answers(backend, meili):
    await backend.index([doc(1, body="stale words"), doc(2, body="stale words")])

    async def batches() -> AsyncIterator[Sequence[Document]]:
        for chunk in ([doc(2, body="fresh words")], [doc(3, body="fresh words")]):
            # Until the swap, readers get the old index.
            found = await backend.search(Query("stale", PUBLIC))
            assert {h.post_id for h in found.hits} == {1, 2}
            yield chunk

    await backend.rebuild(batches())
    assert set(meili.documents("t_posts")) == {2, 3}
    assert meili.documents("t_posts")[2]["body_eng"] == "fresh words"
    assert "t_posts_rebuild" not in meili.indexes
    assert len(meili.requests("POST", "/swap-indexes")) == 1
    assert {h.post_id for h in (await backend.search(Query("fresh", PUBLIC))).hits} == {2, 3}


@pytest.mark.parametrize("lost", ["the swap's answer", "the answer about its task"])
async def test_a_swap_whose_answer_is_lost_is_never_undone(backend, meili, lost):
    # The swap happened but the client cannot know: enqueued again, it would swap the old
    # index back in and then delete the fresh one as "the old documents".
    await backend.index([doc(1, body="stale words")])

    async def batches() -> AsyncIterator[Sequence[Document]]:
        yield [doc(2, body="fresh words")]

    if lost == "the swap's answer":
        meili.lose_answers.append(("POST", "/swap-indexes"))
        with pytest.raises(SearchUnavailable):
            await backend.rebuild(batches())
        await backend.rebuild(batches())  # the indexer starts the rebuild over
    else:
        meili.lose_answers.append(("GET", "/tasks/indexSwap"))
        await backend.rebuild(batches())
        assert len(meili.requests("POST", "/swap-indexes")) == 1
    assert set(meili.documents("t_posts")) == {2}
    assert "t_posts_rebuild" not in meili.indexes


async def test_drop_deletes_the_backends_indexes(backend, meili):
    await backend.drop()
    assert meili.indexes == {}


@pytest.mark.parametrize(
    ("written", "value"),
    [  # Meilisearch's own cases (crates/filter-parser/src/value.rs)
        (r'"\\"', "\\"),
        (r'"aa\\aa"', r"aa\aa"),
        (r'"Hello \"world\""', 'Hello "world"'),
        (r'"Hello \\\"world\\\""', r"Hello \"world\""),
        (r'"\"\""', '""'),
    ],
)
def test_the_fake_server_unquotes_as_meilisearch_does(written, value):
    # The injection tests above are only as good as the fake's reading of quotes.
    assert fake_meili_filter.parse(f"organisation = {written}", {"organisation"})(
        {"organisation": value}
    )

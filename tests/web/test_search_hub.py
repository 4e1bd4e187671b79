"""News items, events and resources through `GET /api/v1/search` and the /search page:
found with the other kinds, filtered by kind, each shown with its dates and source and
linked to its page; and canaries that reach nobody through either: a proposed news item,
a proposed event, a members-only region's published items (hits, snippets, facets,
totals), a withdrawn event."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text

from forum.models import Role
from tests.search.engines import Hub
from tests.web.test_search_kinds import _results
from web import schemas

API = "/api/v1/search"


async def _hits(reader: httpx.AsyncClient, q: str, **params: object) -> dict:
    r = await reader.get(API, params={"q": q, **params})
    assert r.status_code == 200, r.text
    schemas.SearchResults.model_validate_json(r.content)  # the document stays true
    return r.json()


async def test_the_api_finds_each_kind_and_links_it_to_its_page(client, make, db):
    hub = Hub(db, make)
    item = await hub.news(title="Saly dingo workshop", source_name="Le Soleil")
    event = await hub.event(title="Dingo day", description="A *dingo* gathering.")
    resource = await hub.resource(
        title="Dingo guide", url="https://example.org/dingo", kind="training_material"
    )

    body = await _hits(client, "dingo")
    by_kind = {h["kind"]: h for h in body["hits"]}
    assert set(by_kind) == {"news", "event", "resource"} and body["total"] == 3
    assert body["facets"]["kind"] == {"news": 1, "event": 1, "resource": 1}
    news, held, linked = by_kind["news"], by_kind["event"], by_kind["resource"]
    assert news["url"] == f"/news/{item}" and news["news_id"] == item
    assert news["source"] == "Le Soleil" and news["created_at"].startswith("2026-05-14")
    assert news["organisation"] is None and news["author"] is None
    assert held["url"] == f"/events/{event}" and held["event_id"] == event
    assert held["place"] == "Saly" and held["ends_at"].startswith("2018-05-24T17:00")
    assert linked["url"] == "https://example.org/dingo" and linked["resource_id"] == resource
    assert linked["region"] is None and linked["resource_kind"] == "training_material"
    for hit in (news, held):  # the pages open for this reader
        assert (await client.get(hit["url"])).status_code == 200

    only = await _hits(client, "dingo", kind=["news", "resource"])
    assert {h["kind"] for h in only["hits"]} == {"news", "resource"}
    assert [h["kind"] for h in (await _hits(client, "dingo", kind="event"))["hits"]] == ["event"]
    assert (await _hits(client, "dingo", region="africa"))["total"] == 2  # no resource


async def test_the_page_shows_each_kind_with_its_dates_and_source(client, make, db):
    hub = Hub(db, make)
    item = await hub.news(title="Wallaby news", source_name="Le Soleil")
    event = await hub.event(title="Wallaby forum", online=True, place="")
    await hub.resource(title="Wallaby guide", url="https://example.org/wallaby", kind="guide")

    page = await client.get("/search", params={"q": "wallaby"})
    assert page.status_code == 200
    found = _results(page.text)
    assert f'<a href="/news/{item}">Wallaby news</a> <span class="meta">(news)</span>' in found
    assert "Le Soleil" in found and 'datetime="2026-05-14T00:00:00+00:00"' in found
    assert f'<a href="/events/{event}">Wallaby forum</a> <span class="meta">(event)</span>' in found
    assert "Online" in found and 'datetime="2018-05-24T17:00:00+00:00"' in found
    assert (
        '<a href="https://example.org/wallaby" rel="noopener noreferrer">Wallaby guide</a>'
        ' <span class="meta">(resource)</span>'
    ) in found
    assert '<p class="meta">Guide' in found  # the resource's kind leads its line
    for value, label in (("news", "News"), ("event", "Events"), ("resource", "Resources")):
        assert f'<option value="{value}">{label}</option>' in page.text
    for language, words in (("fr", "(actualité)"), ("es", "(evento)")):
        translated = await client.get(
            "/search", params={"q": "wallaby"}, headers={"Accept-Language": language}
        )
        assert words in translated.text
    narrowed = _results((await client.get("/search", params={"q": "wallaby", "kind": "news"})).text)
    assert f"/news/{item}" in narrowed and f"/events/{event}" not in narrowed


async def test_proposals_and_members_only_items_reach_nobody_else(client, make, db):
    hub = Hub(db, make)
    proposer = await make.user()
    # Canaries: words only a proposal or a members-only region's item holds.
    await hub.news(proposer, title="Kultarr proposal", summary="Kultarr.")
    await hub.event(proposer, published=False, title="Kultarr event", description="Kultarr.")
    await hub.news(title="Ningbing members", region="staff-room")
    await hub.event(title="Ningbing meeting", region="staff-room")
    await hub.news(title="Ningbing public")  # something a visitor does find

    await hub.editing()
    editor = await make.logged_in(hub.editor)
    owner = await make.logged_in(proposer)
    member = await make.logged_in()
    applicant = await make.logged_in(await make.user(Role.APPLICANT))

    def seen(answer: str, canary: str) -> bool:
        # Times are left out: their digits are not words.
        return canary in re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+", "", answer).lower()

    for who in (client, member, applicant, owner, editor):
        api = await _hits(who, "kultarr")
        assert api["total"] == 0 and api["hits"] == [] and api["facets"]["kind"] == {}
        page = _results((await who.get("/search", params={"q": "kultarr"})).text)
        assert not seen(page, "kultarr")
    for who in (client, applicant):
        api = await _hits(who, "ningbing")
        assert api["total"] == 1 and api["facets"]["region"] == {"africa": 1}
        assert api["facets"]["kind"] == {"news": 1}
        assert not seen(str(api["hits"]), "members")
        page = _results((await who.get("/search", params={"q": "ningbing"})).text)
        assert not seen(page, "ningbing members") and not seen(page, "ningbing meeting")
    # Members find them (the checks above could fail).
    assert (await _hits(member, "ningbing"))["total"] == 3


async def test_a_withdrawn_event_and_a_declined_proposal_leave_the_results(client, make, db):
    hub = Hub(db, make)
    event = await hub.event(title="Quenda forum")
    assert (await _hits(client, "quenda"))["total"] == 1
    admin = await make.logged_in(await make.user(Role.ADMIN))
    r = await admin.post(f"/api/v1/events/{event}/decline", json={"reason": "Cancelled."})
    assert r.status_code == 200, r.text
    assert (await _hits(client, "quenda"))["total"] == 0
    assert (await _hits(admin, "quenda"))["total"] == 0

    proposer = await make.user()
    item = await hub.news(proposer, title="Quenda news")
    r = await admin.post(f"/api/v1/news/{item}/decline")
    assert r.status_code in (200, 204), r.text
    assert (await _hits(admin, "quenda"))["total"] == 0
    async with db.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM search_knowledge")) == 0


async def test_reindex_rebuilds_news_events_and_resources(client, make, db, app):
    hub = Hub(db, make)
    await hub.news(title="Mardo news")
    await hub.event(title="Mardo event")
    await hub.resource(title="Mardo guide")
    async with db.transaction() as s:
        await s.execute(text("DELETE FROM search_knowledge"))  # drifted, or lost
    assert (await _hits(client, "mardo"))["total"] == 0
    await app.state.search.rebuild()
    assert (await _hits(client, "mardo"))["facets"]["kind"] == {
        "news": 1,
        "event": 1,
        "resource": 1,
    }


async def test_the_openapi_document_lists_the_new_kinds(client):
    doc = (await client.get("/api/v1/openapi.json")).json()
    hit = doc["components"]["schemas"]["SearchHit"]
    kinds = set(hit["properties"]["kind"]["enum"])
    assert {"news", "event", "resource"} <= kinds
    assert {"news_id", "event_id", "resource_id", "ends_at", "source"} <= set(hit["properties"])
    (search,) = (op for path, ops in doc["paths"].items() if path.endswith("/search")
                 for op in ops.values())  # fmt: skip
    kind = next(p for p in search["parameters"] if p["name"] == "kind")
    assert "news, event or resource" in kind["description"]

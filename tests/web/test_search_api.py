"""GET /api/v1/search and the /search page, through the real app.

What a reader receives (hits, snippets, facets, totals, suggestions) is what the current
state lets that reader see now: a region an operator closes, a word deleted or edited
away, an organisation a member keeps to themselves, a suspension."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import insert, text

from forum import documents, moderation
from forum.models import Country, Region, Role
from search import postgres
from tests.factories import MAILER
from tests.search.engines import Knowledge
from tests.servers import run_forum
from web import schemas

API = "/api/v1/search"


async def _regions(client: httpx.AsyncClient) -> set[str]:
    return {r["slug"] for r in (await client.get("/api/v1/regions")).json()["regions"]}


async def until_catalog(client: httpx.AsyncClient, done: Callable[[set[str]], bool]) -> None:
    """Wait until the app follows a change made straight in the database: its event
    listener reads the `catalog.changed` event a trigger appended, and the regions the
    client is offered change (bounded, not timed)."""
    for _ in range(1_000):
        if done(await _regions(client)):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the app never saw the catalog change")


async def found(reader: httpx.AsyncClient, q: str, **params: str) -> dict:
    r = await reader.get(API, params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def test_search_answers_hits_facets_total_and_links(make, client):
    t = await make.thread(
        title="Whistleblower hotlines",
        body="Our hotline takes anonymous reports.",
        countries=("KE",),
    )
    for n in range(50):
        await make.reply(t["thread"]["id"], body=f"Reply {n} about something else.")
    late = await make.reply(t["thread"]["id"], body="The hotline got 40 reports last month.")

    r = await client.get(API, params={"q": "hotline"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2 and body["exact"] is True
    assert body["facets"]["region"] == {"africa": 2}
    assert body["suggestion"] is None and body["corrected"] is False
    hits = {h["post_id"]: h for h in body["hits"]}
    first = hits[t["post"]["id"]]
    assert first["url"] == f"/threads/{t['thread']['id']}#post-{t['post']['id']}"
    assert first["countries"] == ["KE"] and first["author"]["name"].startswith("Member")
    # Post 52 is on the thread's second page: the link opens that page, at the post.
    page = await client.get(hits[late["id"]]["url"].split("#")[0])
    assert f'id="post-{late["id"]}"' in page.text


async def test_misspelled_words_get_a_suggestion_and_its_results(make, app, client):
    for n in range(3):
        await make.thread(title=f"Corruption case {n}", body="Corruption in customs.")
    await app.state.search.refresh_vocabulary()

    body = (await client.get(API, params={"q": "corruptoin"})).json()
    assert body["suggestion"] == "corruption" and body["corrected"] is True
    assert body["total"] == 3


async def test_the_upkeep_keeps_the_newest_posts_in_the_window(make, app, client, monkeypatch):
    monkeypatch.setattr(postgres, "WINDOW", 25)
    author = await make.user()
    for n in range(30):
        await make.thread(author, title=f"Budget {n}", body="Budget lines for roads.")
    await app.state.search.keep_up()

    body = (await client.get(API, params={"q": "budget"})).json()
    assert body["total"] == 25 and body["exact"] is False  # "25+": from the newest 25


async def test_reindex_rebuilds_the_documents_and_the_window(db, make, app, client, monkeypatch):
    monkeypatch.setattr(postgres, "WINDOW", 2)
    for n in range(3):
        await make.thread(title=f"Audit {n}", body="An audit of the roads budget.")
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM search_documents"))  # drifted, or lost
    assert (await client.get(API, params={"q": "audit"})).json()["total"] == 0

    assert await app.state.search.rebuild() == 3
    body = (await client.get(API, params={"q": "audit"})).json()
    assert body["total"] == 3 and body["exact"] is True
    async with db.transaction() as session:
        newest = await session.scalar(
            text("SELECT count(*) FROM search_documents WHERE tsv @@ CAST(:q AS tsquery)"),
            {"q": f"'{documents.NEWEST}'"},
        )
    assert newest == 2


async def test_members_see_members_only_regions_anonymous_readers_do_not(make, client):
    member = await make.user()
    await make.thread(member, region="staff-room", title="Internal", body="Sensitive lead.")
    assert (await client.get(API, params={"q": "sensitive"})).json()["total"] == 0
    r = await client.get(API, params={"q": "sensitive", "region": "staff-room"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_region"
    reader = await make.logged_in(member)
    assert (await reader.get(API, params={"q": "sensitive"})).json()["total"] == 1


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({}, "q", "empty_query"),
        ({"q": "   "}, "q", "empty_query"),
        ({"q": "x" * 501}, "q", "query_too_long"),
        ({"q": "a\x00b"}, "q", "invalid_q"),
        ({"q": "a", "page": "0"}, "page", "invalid_page"),
        ({"q": "a", "page": "51"}, "page", "invalid_page"),
        ({"q": "a", "page": "-1"}, "page", "invalid_page"),
        ({"q": "a", "page": "1e3"}, "page", "invalid_page"),
        ({"q": "a", "page": "99999999999999999999999"}, "page", "invalid_page"),
        ({"q": "a", "region": "nowhere"}, "region", "unknown_region"),
        ({"q": "a", "region": "Africa'; DROP TABLE posts;--"}, "region", "unknown_region"),
        ({"q": "a", "topic": "nothing"}, "topic", "unknown_topic"),
        ({"q": "a", "country": "XX"}, "country", "unknown_country"),
        ({"q": "a", "country": "KEN"}, "country", "unknown_country"),
        ({"q": "a", "kind": "user"}, "kind", "unknown_kind"),
        ({"q": "a", "author": "me"}, "author", "invalid_author"),
        ({"q": "a", "from": "2026-13-01"}, "from", "invalid_from"),
        ({"q": "a", "to": "yesterday"}, "to", "invalid_to"),
        ({"q": "a", "from": "2026-02-01", "to": "2026-01-01"}, "from", "invalid_range"),
        ({"q": "a", "org": "x" * 201}, "org", "unknown_org"),
        ({"q": "a", "org": "Transparency Senegal"}, "org", "unknown_org"),
        ({"q": "a", "uncac": "72"}, "uncac", "unknown_uncac"),
        ({"q": "a", "uncac": "x"}, "uncac", "unknown_uncac"),
        ({"q": "a", "kind": "organization"}, "kind", "unknown_kind"),
    ],
)
async def test_bad_search_requests_get_a_clear_422(client, params, field, code):
    r = await client.get(API, params=params)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == code and field in error["fields"]


@pytest.mark.parametrize(
    "q",
    [
        "OR",
        "-",
        "!!!",
        '"',
        "' OR 1=1 --",
        "a:* & !b | 'c",
        "<-> <2> !!",
        "\\",
        "((((",
        "é" * 500,
        "word " * 100,
        " ".join(f"-x{n} w{n} OR" for n in range(40)),
        "حرف",
        "😀 🙂",
    ],
)
async def test_odd_queries_answer_200_never_a_server_error(make, client, q):
    await make.thread(title="Plain", body="Some plain words here.")
    r = await client.get(API, params={"q": q})
    assert r.status_code == 200, r.text
    assert r.json()["hits"] == [] or r.json()["total"] >= 1
    answer = schemas.SearchResults.model_validate_json(r.content)
    assert len(answer.hits) == min(answer.total, 20)


async def test_repeated_filters_combine_as_alternatives(make, client):
    a = await make.thread(title="Audit", body="Audit of roads.", countries=("KE",))
    b = await make.thread(title="Audit", body="Audit of schools.", countries=("SN",))
    await make.thread(region="south-east-asia", title="Audit", body="Audit of ports.")
    r = await client.get(API, params=[("q", "audit"), ("country", "ke"), ("country", "SN")])
    assert {h["post_id"] for h in r.json()["hits"]} == {a["post"]["id"], b["post"]["id"]}


async def test_search_page_works_without_javascript(make, client):
    await make.thread(title="Procurement <b>watch</b>", body="Tender red flags.")
    page = await client.get("/search", params={"q": "tender"})
    assert page.status_code == 200
    assert "Procurement &lt;b&gt;watch&lt;/b&gt;" in page.text
    assert "<mark>Tender</mark>" in page.text
    assert "1 result" in page.text
    assert ">Africa</a> 1" in page.text  # facets by name
    assert 'href="/search?q=tender&amp;region=africa"' in page.text  # a facet narrows

    bad = await client.get("/search", params={"q": "x", "page": "0"})
    assert bad.status_code == 422 and "whole number for the page" in bad.text
    empty = await client.get("/search")
    assert empty.status_code == 200 and 'name="q"' in empty.text


async def test_search_page_filters_offer_only_what_the_reader_may_read(make, client):
    kenya = await make.thread(title="Audit", body="Audit of roads.", countries=("KE",))
    await make.thread(region="south-east-asia", title="Audit", body="Audit of ports.")
    page = await client.get("/search", params={"q": "audit", "country": "KE", "kind": "thread"})
    assert f'href="/threads/{kenya["thread"]["id"]}' in page.text
    assert "ports" not in page.text
    assert '<option value="KE" selected>Kenya</option>' in page.text
    assert '<option value="africa">Africa</option>' in page.text
    # A members-only region is not even named to a visitor; a member is offered it.
    assert "Members&#39; room" not in page.text and "staff-room" not in page.text
    member = await make.logged_in()
    offered = await member.get("/search", params={"q": "audit"})
    assert '<option value="staff-room">Members&#39; room</option>' in offered.text


async def test_a_region_added_while_the_app_runs_can_be_searched_at_once(client, db):
    assert (await client.get(API, params={"q": "x", "region": "africa"})).status_code == 200
    async with db.transaction() as session:
        await session.execute(insert(Region).values(slug="pacific", name="Pacific"))
    await until_catalog(client, lambda slugs: "pacific" in slugs)
    assert (await client.get(API, params={"q": "x", "region": "pacific"})).status_code == 200


async def test_a_region_an_operator_makes_members_only_leaves_search_at_once(make, app, client, db):
    author = await make.user()
    for n in range(3):
        await make.thread(
            author, region="south-east-asia", title=f"Ledger {n}", body="Kiprotich signed it."
        )
    await make.thread(author, title="Ledger", body="The ledger of the Nairobi office.")
    await app.state.search.refresh_vocabulary()
    member = await make.logged_in()
    before = await found(client, "kiprotich")
    assert before["total"] == 3 and before["facets"]["region"] == {"south-east-asia": 3}
    assert (await found(client, "kiprutich"))["suggestion"] == "kiprotich"

    async with db.transaction() as session:  # as an operator would, in plain SQL
        await session.execute(
            text("UPDATE regions SET visibility = 'members' WHERE slug = 'south-east-asia'")
        )
    await until_catalog(client, lambda slugs: "south-east-asia" not in slugs)

    after = await found(client, "kiprotich")
    assert after["hits"] == [] and after["total"] == 0 and after["exact"] is True
    assert after["facets"] == {"region": {}, "topic": {}, "kind": {}, "country": {}, "uncac": {}}
    ledger = await found(client, "ledger")
    assert ledger["total"] == 1
    assert ledger["facets"]["region"] == {"africa": 1}
    assert ledger["facets"]["topic"] == {"public-procurement": 1}
    assert ledger["facets"]["kind"] == {"thread": 1}
    misspelt = await found(client, "kiprutich")
    assert misspelt["suggestion"] is None and misspelt["hits"] == []
    r = await client.get(API, params={"q": "ledger", "region": "south-east-asia"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_region"

    assert (await found(member, "kiprotich"))["total"] == 3
    assert (await found(member, "ledger"))["facets"]["region"] == {
        "africa": 1,
        "south-east-asia": 3,
    }
    corrected = await found(member, "kiprutich")
    assert corrected["suggestion"] == "kiprotich" and corrected["total"] == 3


async def test_a_misspelt_name_from_a_members_only_region_is_corrected_for_members_only(
    make, app, client
):
    author = await make.user()
    for n in range(3):
        await make.thread(
            author, region="staff-room", title=f"Lead {n}", body="Wanjiku Nyamweya signed."
        )
    await app.state.search.refresh_vocabulary()

    visitor = await found(client, "niamweya")
    assert visitor["suggestion"] is None and visitor["corrected"] is False
    assert visitor["total"] == 0 and visitor["hits"] == []
    member = await found(await make.logged_in(), "niamweya")
    assert member["suggestion"] == "nyamweya" and member["corrected"] is True
    assert member["total"] == 3


async def test_words_deleted_or_edited_away_are_never_suggested_again(make, app, client, db):
    author = await make.user()
    writer = await make.logged_in(author)
    posts = []
    for n in range(4):
        thread = await make.thread(author, title=f"Notes {n}", body="Ngugi Kamaara met auditors.")
        posts.append(thread["post"]["id"])
    await app.state.search.refresh_vocabulary()
    reader = await make.logged_in()
    assert (await found(reader, "kamara"))["suggestion"] == "kamaara"

    for post_id in posts[:2]:
        assert (await writer.delete(f"/api/v1/posts/{post_id}")).status_code == 200
    for post_id in posts[2:]:
        edited = await writer.patch(f"/api/v1/posts/{post_id}", json={"body": "We met auditors."})
        assert edited.status_code == 200, edited.text

    for who in (client, reader, writer):
        answer = await found(who, "kamara")
        assert answer["suggestion"] is None and answer["total"] == 0
    # The upkeep lets go of the dead word, and of no living one.
    await app.state.search.keep_up()
    async with db.transaction() as session:
        kept = await session.scalars(
            text("SELECT word FROM search_terms WHERE word IN ('kamaara', 'auditors')")
        )
        assert set(kept) == {"auditors"}
    assert (await found(reader, "kamara"))["suggestion"] is None


async def test_org_finds_only_members_who_show_their_affiliation(client, make, db):
    knowledge = Knowledge(db, make)
    org = await knowledge.organisation("transparency-senegal", description="Audit watchers.")
    threads = {}
    for show in (True, False, None):
        author = await make.user()
        if show is not None:
            await knowledge.join(org, author, shown=show)
        thread = await make.thread(author, title="Port audit", body="Audit of the port tender.")
        threads[show] = thread["post"]["id"]

    member = await make.logged_in()
    for reader in (client, member):
        shown = await found(reader, "audit", org=org)
        posts = {h["post_id"] for h in shown["hits"] if h["post_id"]}
        assert posts == {threads[True]}
        # The organisation's own profile is found by its filter too.
        assert {h["kind"] for h in shown["hits"]} == {"thread", "organisation"}
        assert shown["total"] == 2 and shown["facets"]["region"] == {"africa": 2}
        # Their posts are found as ever; only the affiliation stays theirs.
        assert len([h for h in (await found(reader, "audit"))["hits"] if h["post_id"]]) == 3


async def test_org_of_a_members_only_region_is_unknown_to_visitors(client, make, db):
    async with db.transaction() as s:
        await s.execute(insert(Country).values(code="QM", name="Quietland", region_id=3))
    knowledge = Knowledge(db, make)
    org = await knowledge.organisation("quiet-watch", country="QM")
    author = await make.user()
    await knowledge.join(org, author, shown=True)
    await make.thread(author, title="Port audit", body="Audit of the port tender.")
    # A visitor may not learn who shows an affiliation with it, nor that it exists.
    r = await client.get(API, params={"q": "audit", "org": org})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_org"
    assert (await client.get(API, params={"q": "audit", "org": "no-such-org"})).status_code == 422
    member = await make.logged_in()
    assert (await found(member, "audit", org=org))["total"] == 1


async def test_a_suspended_member_searches_like_a_visitor(make, app, db):
    author = await make.user()
    for n in range(3):
        await make.thread(
            author, region="staff-room", title=f"Board {n}", body="Otieno Barasa read it."
        )
    await app.state.search.refresh_vocabulary()
    member = await make.user()
    reader = await make.logged_in(member)
    assert (await found(reader, "barasa"))["facets"]["region"] == {"staff-room": 3}
    assert (await found(reader, "barrasa"))["suggestion"] == "barasa"

    moderator = await make.user(Role.MODERATOR)
    async with db.transaction() as session:
        await moderation.set_suspended(
            session, moderator["actor"], MAILER, member["id"], suspended=True, reason="Spam"
        )

    answer = await found(reader, "barasa")
    assert answer["total"] == 0 and answer["hits"] == [] and answer["facets"]["region"] == {}
    assert (await found(reader, "barrasa"))["suggestion"] is None
    r = await reader.get(API, params={"q": "barasa", "region": "staff-room"})
    assert r.status_code == 422


async def test_forum_search_reads_as_an_administrator(make, server_env):
    member = await make.user()
    await make.thread(member, region="staff-room", title="Minutes", body="Kiprotich attended.")
    result = await asyncio.to_thread(run_forum, server_env, "search", "kiprotich")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 results (postgres)")
    assert "staff-room" in result.stdout

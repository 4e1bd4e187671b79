"""The indexer between a real PostgreSQL (posts written through the core) and the fake
Meilisearch: what readers can find follows what the forum holds, through outages,
restarts, pruned events and rebuilds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

import pytest
from sqlalchemy import insert, text

from forum import accounts, events, posts
from forum.catalog import CatalogCache
from forum.db import Database
from forum.documents import Document
from forum.knowledge_documents import KnowledgeDocument
from forum.models import Country, Role
from forum.permissions import ANONYMOUS, Actor
from search.backend import Filters, Kind, Query, Results
from search.indexer import Indexer
from search.meili import INDEXES, MeiliBackend, SearchUnavailable
from search.meili_documents import SETTINGS
from search.retry import Backoff
from search.service import Search
from tests.factories import Factory
from tests.search.engines import key
from tests.search.fake_meili import FakeMeili
from tests.search.readers import EVERYONE, PUBLIC

FAST = Backoff(base=0.001, cap=0.005)


@pytest.fixture
async def meili() -> AsyncIterator[FakeMeili]:
    fake = FakeMeili()
    await fake.start()
    yield fake
    await fake.stop()


def connect(meili: FakeMeili, **options: object) -> MeiliBackend:
    return MeiliBackend(meili.url, None, backoff=FAST, task_poll=0.002, **options)  # type: ignore[arg-type]


@pytest.fixture
async def backend(meili: FakeMeili) -> AsyncIterator[MeiliBackend]:
    b = connect(meili)
    await b.start()
    yield b
    await b.close()


@pytest.fixture
def make(db: Database) -> Factory:
    return Factory(None, db)  # users, threads and replies need only the database


def indexer(db: Database, backend: MeiliBackend, **options: object) -> Indexer:
    return Indexer(db, backend, backoff=FAST, poll=0.01, **options)  # type: ignore[arg-type]


async def until(condition: Callable[[], bool]) -> None:
    """Wait for something the indexer does in the background (bounded, not timed)."""
    for _ in range(2_000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


async def head(db: Database) -> events.Cursor:
    async with db.transaction() as s:
        return await events.head(s)


async def edit(db: Database, author: dict, post_id: int, body: str) -> None:
    async with db.transaction() as s:
        await posts.edit(s, author["actor"], post_id, body=body)


async def test_posts_written_in_the_forum_become_searchable(db, make, backend, meili):
    author = await make.user()
    first = await make.thread(author, title="Monitoring tenders", body="Open contracting data")
    idx = indexer(db, backend, batch=2)
    assert await idx.catch_up() == 1  # no cursor yet: a full rebuild
    replies = [await make.reply(first["thread"]["id"], body=f"Reply number {n}") for n in range(5)]
    assert await idx.catch_up() == 5  # in batches of two events
    stored = meili.documents("posts")
    assert set(stored) == {first["post"]["id"], *(r["id"] for r in replies)}
    assert stored[first["post"]["id"]]["title_eng"] == "Monitoring tenders"
    assert await idx.position() == await head(db)
    found = await backend.search(Query("contracting", PUBLIC))
    assert [h.post_id for h in found.hits] == [first["post"]["id"]]
    assert found.hits[0].author_name == author["display_name"]


async def test_edits_are_reindexed_and_deletions_removed(db, make, backend, meili):
    author = await make.user()
    thread = await make.thread(author, body="First draft about procurement")
    reply = await make.reply(thread["thread"]["id"], author, body="A reply to remove")
    idx = indexer(db, backend)
    await idx.catch_up()
    await edit(db, author, thread["post"]["id"], "Second draft about audits")
    async with db.transaction() as s:
        await posts.delete(s, author["actor"], reply["id"])
    await idx.catch_up()
    stored = meili.documents("posts")
    assert set(stored) == {thread["post"]["id"]}
    assert stored[thread["post"]["id"]]["body_eng"].strip() == "Second draft about audits"
    assert (await backend.search(Query("first draft", PUBLIC))).hits == []
    assert len((await backend.search(Query("second draft", PUBLIC))).hits) == 1


async def test_members_only_threads_are_indexed_for_members_only(db, make, backend):
    staff = await make.thread(region="staff-room", body="Internal notes on the audit")
    await indexer(db, backend).catch_up()
    assert (await backend.search(Query("audit", PUBLIC))).hits == []
    members = await backend.search(Query("audit", EVERYONE))
    assert [h.post_id for h in members.hits] == [staff["post"]["id"]]


async def test_events_that_change_no_post_are_passed_over(db, make, backend, meili):
    thread = await make.thread()
    idx = indexer(db, backend)
    await idx.catch_up()
    async with db.transaction() as s:
        await events.append(s, "user.suspended", ["moderation"], "members", {"user": {"id": 1}})
        await events.append(s, "post.flagged", ["moderation"], "members", {"post": "odd"})
        await events.append(s, "thread.locked", ["region:africa"], "public", {"thread": {}})
    assert await idx.catch_up() == 0
    assert await idx.position() == await head(db)
    assert set(meili.documents("posts")) == {thread["post"]["id"]}


async def test_a_change_to_a_whole_thread_resends_all_its_posts(db, make, backend):
    thread = await make.thread()
    tid = thread["thread"]["id"]
    await make.reply(tid)
    await make.reply(tid)
    idx = indexer(db, backend)
    await idx.catch_up()
    # As a thread moved to another region or hidden will be announced: its posts'
    # documents change with it.
    async with db.transaction() as s:
        await events.append(s, "thread.moved", [f"thread:{tid}"], "public", {"thread_id": tid})
    assert await idx.catch_up() == 3


async def test_a_renamed_member_is_found_by_the_new_name_only(db, make, backend, meili):
    author = await make.user(display_name="Old Name")
    thread = await make.thread(author, body="Open contracting data")
    reply = await make.reply(thread["thread"]["id"], author, body="More contracting data")
    idx = indexer(db, backend)
    await idx.catch_up()
    async with db.transaction() as s:
        await accounts.change_settings(s, author["actor"], display_name="Fresh Name")
    assert await idx.catch_up() == 2
    stored = meili.documents("posts")
    assert {stored[i]["author_name"] for i in (thread["post"]["id"], reply["id"])} == {"Fresh Name"}


async def test_an_outage_keeps_the_cursor_and_nothing_is_lost(db, make, backend, meili):
    thread = await make.thread()
    idx = indexer(db, backend)
    await idx.catch_up()
    before = await idx.position()
    reply = await make.reply(thread["thread"]["id"], body="Written while search was down")
    await meili.stop()
    with pytest.raises(SearchUnavailable):
        await idx.catch_up()
    assert await idx.position() == before  # the reply was not acknowledged: not passed
    await meili.start()
    assert await idx.catch_up() == 1
    assert reply["id"] in meili.documents("posts")
    assert await idx.position() == await head(db)


async def test_run_rides_out_an_outage_and_warns_once(db, make, meili, caplog):
    backend = connect(meili, attempts=1)  # every failure reaches the indexer's own loop
    await backend.start()
    thread = await make.thread()
    idx = indexer(db, backend)
    await idx.catch_up()
    meili.fail_requests = 10**9  # Meilisearch answers 503 to everything
    failing_from = len(meili.seen)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="forum.search")
    running = asyncio.create_task(idx.run(stop))
    reply = await make.reply(thread["thread"]["id"], body="Sent once search is back")
    await until(lambda: len(meili.seen) > failing_from + 10)  # many rounds have failed
    meili.indexes.clear()  # and it comes back empty
    meili.fail_requests = 0
    await until(lambda: "posts" in meili.indexes and reply["id"] in meili.documents("posts"))
    stop.set()
    await running
    await backend.close()
    # Documents sent after the outage land in an index with the settings searches need.
    filterable = meili.indexes["posts"].settings["filterableAttributes"]
    assert sorted(filterable) == sorted(SETTINGS["filterableAttributes"])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "retrying" in warnings[0].getMessage()
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_the_cursor_survives_a_restart(db, make, meili):
    thread = await make.thread()
    first = connect(meili)
    await first.start()
    await indexer(db, first).catch_up()
    await first.close()
    reply = await make.reply(thread["thread"]["id"])

    meili.seen.clear()
    second = connect(meili)  # a new process: new client, new indexer
    await second.start()
    assert await indexer(db, second).catch_up() == 1
    await second.close()
    (sent,) = meili.requests("POST", "/indexes/posts/documents")
    assert [d["id"] for d in sent.body] == [reply["id"]]  # only what changed since
    assert not meili.requests("POST", "/swap-indexes")


async def test_events_pruned_while_away_lead_to_a_rebuild(db, make, backend, meili):
    thread = await make.thread()
    idx = indexer(db, backend)
    await idx.catch_up()
    missed = await make.reply(thread["thread"]["id"], body="Its event will be pruned")
    kept = await make.reply(thread["thread"]["id"], body="The newest event is kept")
    async with db.transaction() as s:
        assert await events.prune(s, days=0, count=1) > 0
    meili.seen.clear()
    await idx.catch_up()
    assert len(meili.requests("POST", "/swap-indexes")) == 1
    assert {missed["id"], kept["id"]} <= set(meili.documents("posts"))
    assert await idx.position() == await head(db)


class PausingBackend(MeiliBackend):
    """Runs `meanwhile` after the rebuild has read every post, before the swap."""

    async def meanwhile(self) -> None:
        pass

    async def rebuild(
        self,
        batches: AsyncIterator[Sequence[Document]],
        knowledge: Sequence[KnowledgeDocument] = (),
    ) -> None:
        async def then_write() -> AsyncIterator[Sequence[Document]]:
            async for batch in batches:
                yield batch
            await self.meanwhile()

        await super().rebuild(then_write(), knowledge)


async def test_rebuild_swaps_indexes_and_replays_what_was_written_meanwhile(db, make, meili):
    author = await make.user()
    thread = await make.thread(author, body="Before the rebuild")
    backend = PausingBackend(meili.url, None, backoff=FAST, task_poll=0.002)
    await backend.start()
    idx = indexer(db, backend)
    written: list[int] = []

    async def write() -> None:
        written.append((await make.reply(thread["thread"]["id"], body="During rebuild"))["id"])
        await edit(db, author, thread["post"]["id"], "Edited during the rebuild")

    try:
        await idx.catch_up()
        backend.meanwhile = write  # type: ignore[method-assign]
        assert await idx.rebuild() == 1
        assert "posts_rebuild" not in meili.indexes
        assert set(meili.documents("posts")) == {thread["post"]["id"]}  # the swapped-in index
        await idx.catch_up()  # the cursor was set to where the rebuild began
    finally:
        await backend.close()
    stored = meili.documents("posts")
    assert set(stored) == {thread["post"]["id"], *written}
    assert stored[thread["post"]["id"]]["body_eng"].strip() == "Edited during the rebuild"


async def test_only_one_indexer_catches_up_at_a_time(db, make, backend):
    await make.thread()
    one, other = indexer(db, backend), indexer(db, backend)
    async with one._exclusive() as mine:
        assert mine
        assert await other.catch_up() == 0  # skips its turn
        assert await other.position() is None
    assert await other.catch_up() == 1


async def test_a_cursor_past_a_wiped_log_leads_to_a_rebuild_and_start_does_not(
    db, make, backend, meili
):
    thread = await make.thread()
    idx = indexer(db, backend)
    await idx.catch_up()
    async with db.transaction() as s:
        await s.execute(text("DELETE FROM events"))  # wiped by hand: nothing is kept
    meili.seen.clear()
    await idx.catch_up()
    assert len(meili.requests("POST", "/swap-indexes")) == 1  # events.expired said so
    assert thread["post"]["id"] in meili.documents("posts")
    # Rebuilt on an empty log, it stands at START: the events written next are all kept,
    # so it reads on from there without another rebuild.
    assert await idx.position() == events.START
    reply = await make.reply(thread["thread"]["id"], body="Written after the wipe")
    meili.seen.clear()
    assert await idx.catch_up() == 1
    assert not meili.requests("POST", "/swap-indexes")
    assert reply["id"] in meili.documents("posts")


async def test_documents_carry_an_organisation_only_when_its_member_shows_it(
    db, make, backend, meili, knowledge
):
    shown, kept = await make.user(), await make.user()
    org = await knowledge.organisation("transparency-senegal")
    await knowledge.join(org, shown, shown=True)
    await knowledge.join(org, kept, shown=False)
    a = await make.thread(shown, title="Port audit", body="Audit of the port tender.")
    b = await make.thread(kept, title="Road audit", body="Audit of the road tender.")
    await indexer(db, backend).catch_up()
    stored = meili.documents("posts")
    assert stored[a["post"]["id"]]["organisations"] == [org]
    assert stored[b["post"]["id"]]["organisations"] == []
    assert all("visibility" not in d for d in stored.values())
    found = await backend.search(Query("audit", PUBLIC, Filters(organisation=org)))
    assert [h.post_id for h in found.hits] == [a["post"]["id"]]


async def test_search_asks_for_the_regions_the_reader_may_read_now(db, make, meili, settings):
    """Through the service, as the app searches: the policy over the current catalog makes
    the first filter entry, on its own, whatever the reader adds."""
    search = Search(db, replace(settings, meili_url=meili.url), CatalogCache(db))
    assert search.meili is not None and search.indexer is not None
    asia = await make.thread(region="south-east-asia", title="Ledger", body="Kiprotich's ledger.")
    africa = await make.thread(title="Ledger", body="The ledger of the Nairobi office.")
    await search.meili.start()
    await search.indexer.catch_up()
    member = Actor(1, Role.MEMBER)

    async def ask(reader: Actor, **filters: object) -> tuple[Results, list[list[str]]]:
        """The results, and the filter sent to each index of regional documents (every
        one but `resources`: everyone reads them, `test_hub_kinds.py`)."""
        meili.seen.clear()
        results = await search.find(reader, "ledger", Filters(**filters), 1)  # type: ignore[arg-type]
        (request,) = meili.requests("POST", "/multi-search")
        queries = request.body["queries"]
        return results, [q["filter"] for q in queries if q["indexUid"] != "resources"]

    results, sent = await ask(ANONYMOUS)
    assert sent == [['region IN ["africa", "south-east-asia"]']] * 5
    assert results.facets["region"] == {"africa": 1, "south-east-asia": 1}

    async with db.transaction() as session:  # as an operator would, in plain SQL
        await session.execute(
            text("UPDATE regions SET visibility = 'members' WHERE slug = 'south-east-asia'")
        )
    search.catalog.changed()  # what the app's event listener does on `catalog.changed`

    for reader in (ANONYMOUS, Actor(1, Role.MEMBER, suspended=True)):
        results, sent = await ask(reader)
        assert sent == [['region IN ["africa"]']] * 5
        assert [h.post_id for h in results.hits] == [africa["post"]["id"]]
        assert results.total == 1 and results.facets["region"] == {"africa": 1}
    results, sent = await ask(member, regions=("south-east-asia",))
    assert (
        sent
        == [
            [
                'region IN ["africa", "south-east-asia", "staff-room"]',
                'region IN ["south-east-asia"]',
            ]
        ]
        * 5
    )
    assert [h.post_id for h in results.hits] == [asia["post"]["id"]]
    await search.stop()


# Organisations and experiences: the `organisations` and `experiences` indexes follow the
# event log, posts carry the organisations their authors show, one federated search finds
# every kind, and no document holds an email or a phone.

PHONE = "+221 77 123 9911"
EMAIL = "kwyjibo-desk@example.org"


async def test_documents_follow_organisations_experiences_and_shown_affiliations(
    db, make, backend, meili, knowledge
):
    org = await knowledge.organisation(
        "kind-watch", description="Ferry tenders.", phone=PHONE, phone_visibility="private",
        email=EMAIL, email_visibility="members", uncac_articles=(9,),
    )  # fmt: skip
    story = await knowledge.experience(org, title="Ferries", context="Ferry tenders.")
    author = await make.user()
    await knowledge.join(org, author, shown=False)
    post = (await make.thread(author, title="Ferry", body="Ferry tenders."))["post"]["id"]
    idx = indexer(db, backend)
    await idx.catch_up()

    [profile] = meili.documents("organisations").values()
    assert profile["kind"] == "organisation" and profile["organisations"] == [org]
    assert profile["heading"] == "Kind-Watch" and profile["uncac_articles"] == [9]
    assert (
        PHONE not in str(profile) and "9911" not in str(profile) and "kwyjibo" not in str(profile)
    )
    told = meili.documents("experiences")[story]
    assert told["organisations"] == [org] and told["region"] == "africa"
    assert meili.documents("posts")[post]["organisations"] == []  # hidden affiliation

    await knowledge.show(org, author, True)
    await knowledge.edit(story, context="Barge tenders.")
    await knowledge.update(org, description="Barge office.")
    await idx.catch_up()
    assert meili.documents("posts")[post]["organisations"] == [org]
    assert "Barge" in str(meili.documents("experiences")[story])
    assert "Barge office" in str(meili.documents("organisations"))

    # An organisation moving to a members-only region takes its experiences along.
    async with db.transaction() as s:
        await s.execute(insert(Country).values(code="QM", name="Quietland", region_id=3))
    await knowledge.update(org, country="QM")
    await idx.catch_up()
    assert meili.documents("experiences")[story]["region"] == "staff-room"
    assert {d["region"] for d in meili.documents("organisations").values()} == {"staff-room"}


async def test_one_federated_search_finds_every_kind_within_the_readable_regions(
    db, make, backend, meili, knowledge
):
    org = await knowledge.organisation("fed-watch", description="Lighthouse audits.")
    story = await knowledge.experience(
        org, title="Lighthouse", context="Lighthouse audits.", uncac_articles=(12,)
    )
    post = (await make.thread(title="Lighthouse", body="Lighthouse audits."))["post"]["id"]
    await indexer(db, backend).catch_up()
    meili.seen.clear()

    results = await backend.search(Query("lighthouse", PUBLIC))
    assert {key(h) for h in results.hits} == {
        ("thread", post),
        ("organisation", org),
        ("experience", story),
    }
    (request,) = meili.requests("POST", "/multi-search")
    assert {q["indexUid"] for q in request.body["queries"]} == set(INDEXES)
    assert results.total == 3 and results.facets["uncac"] == {"12": 1}
    assert results.facets["kind"] == {"thread": 1, "organisation": 1, "experience": 1}
    told = next(h for h in results.hits if h.kind is Kind.EXPERIENCE)
    assert told.organisation == org and told.uncac_articles == (12,) and told.title == "Lighthouse"

    only = await backend.search(Query("lighthouse", PUBLIC, Filters(uncac_articles=(12,))))
    assert [key(h) for h in only.hits] == [("experience", story)]
    by_org = await backend.search(Query("lighthouse", PUBLIC, Filters(organisation=org)))
    assert {key(h) for h in by_org.hits} == {("organisation", org), ("experience", story)}
    # The regions the reader may read come first in every query's filter.
    staff_only = await backend.search(Query("lighthouse", EVERYONE[2:]))
    assert staff_only.hits == [] and staff_only.total == 0


async def test_a_rebuild_swaps_in_every_index_at_once(db, make, backend, meili, knowledge):
    org = await knowledge.organisation("swap-watch", description="Harbour.")
    story = await knowledge.experience(org, title="Harbour", context="Harbour.")
    post = (await make.thread(title="Harbour", body="Harbour."))["post"]["id"]
    await indexer(db, backend).rebuild()
    (swap,) = meili.requests("POST", "/swap-indexes")
    assert sorted(tuple(p["indexes"]) for p in swap.body) == [
        (name, f"{name}_rebuild") for name in sorted(INDEXES)
    ]
    assert list(meili.documents("experiences")) == [story]
    assert post in meili.documents("posts") and len(meili.documents("organisations")) == 1

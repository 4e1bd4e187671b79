"""The behaviour every search backend owes its readers, run against each backend that can
run here: PostgreSQL always, Meilisearch when `FORUM_MEILI_URL` names a live server.

Readers are actors: each search asks the policy which regions the reader may read in the
catalog as the database holds it now, as the app does."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from forum import documents, moderation, posts
from forum.catalog import load as load_catalog
from forum.models import Role
from search.backend import Kind
from tests.search.readers import MEMBER, SUSPENDED, VISITOR


async def test_french_query_finds_french_posts_by_stem_and_without_accents(engine, make):
    t = await make.thread(
        title="Comment lutter contre la corruption dans les marchés publics",
        body="Notre société civile observe les marchés de travaux depuis deux ans.",
        language="fr",
    )
    pid = t["post"]["id"]
    assert pid in await engine.ids("luttent")
    assert pid in await engine.ids("marché")
    assert pid in await engine.ids("societe civile")
    assert pid in await engine.ids("MARCHES PUBLICS")


async def test_query_in_one_language_finds_exact_terms_in_another(engine, make):
    t = await make.thread(
        title="Perlindungan pelapor di Indonesia",
        body="Kami membahas whistleblower dan UNCAC bersama organisasi masyarakat sipil.",
        language="id",
    )
    assert t["post"]["id"] in await engine.ids("whistleblower UNCAC")


async def test_phrase_exclusion_and_or(engine, make):
    adjacent = await make.thread(title="Open data", body="We track public procurement closely.")
    apart = await make.thread(title="Budgets", body="Procurement reform needs public scrutiny.")
    draft = await make.thread(title="Law", body="The draft procurement law is out for review.")
    a, b, d = (x["post"]["id"] for x in (adjacent, apart, draft))

    assert await engine.ids('"public procurement"') == {a}
    assert await engine.ids("procurement") == {a, b, d}
    assert await engine.ids("procurement -draft") == {a, b}
    assert await engine.ids('procurement -"public scrutiny"') == {a, d}
    assert await engine.ids("scrutiny OR closely") == {a, b}


async def test_exclusion_removes_every_form_of_the_word(engine, make):
    keep = await make.thread(title="Audits", body="The audit office publishes its findings.")
    drop = await make.thread(title="Drafts", body="The audit office reviewed several drafts.")
    assert await engine.ids("audit") == {keep["post"]["id"], drop["post"]["id"]}
    assert await engine.ids("audit -draft") == {keep["post"]["id"]}


async def test_members_only_hidden_and_deleted_posts_stay_out_of_sight(engine, make, db):
    member = await make.user()
    open_ = await make.thread(title="Asset declarations", body="Open register of assets.")
    closed = await make.thread(
        member, region="staff-room", title="Asset tracing", body="Assets traced abroad."
    )
    gone = await make.reply(open_["thread"]["id"], member, body="Assets of the minister.")
    hidden = await make.reply(open_["thread"]["id"], body="Assets hidden offshore.")
    async with db.transaction() as session:
        await posts.delete(session, member["actor"], gone["id"])
        # What moderation will do: hide the post, then bring its document in line.
        await session.execute(
            text("UPDATE posts SET hidden = true WHERE id = :id"), {"id": hidden["id"]}
        )
        await documents.refresh(session, [hidden["id"]])

    assert await engine.ids("assets", VISITOR) == {open_["post"]["id"]}
    assert await engine.ids("assets", MEMBER) == {open_["post"]["id"], closed["post"]["id"]}
    results = await engine.find("assets", VISITOR)
    assert results.total == 1
    assert "staff-room" not in results.facets["region"]
    # Filtering on the closed region does not open it.
    assert await engine.ids("assets", VISITOR, regions=("staff-room",)) == set()


async def test_filters_narrow_by_region_country_topic_kind_author_and_dates(
    engine, make, knowledge
):
    alice = await make.user()
    await knowledge.join(await knowledge.organisation("transparency-senegal"), alice, shown=True)
    kenya = await make.thread(
        title="Tender monitoring",
        body="Tender notices compared.",
        countries=("KE",),
        topic="whistleblower-protection",
    )
    senegal = await make.thread(
        alice, title="Tender portal", body="Tender data.", countries=("SN",)
    )
    asia = await make.thread(region="south-east-asia", title="Tender rules", body="Tender law.")
    reply = await make.reply(kenya["thread"]["id"], alice, body="Tender prices too.")
    k, s, a, r = kenya["post"]["id"], senegal["post"]["id"], asia["post"]["id"], reply["id"]

    assert await engine.ids("tender") == {k, s, a, r}
    assert await engine.ids("tender", regions=("south-east-asia",)) == {a}
    assert await engine.ids("tender", countries=("KE",)) == {k, r}
    assert await engine.ids("tender", topics=("whistleblower-protection",)) == {k, r}
    assert await engine.ids("tender", kinds=(Kind.POST,)) == {r}
    assert await engine.ids("tender", kinds=(Kind.THREAD,)) == {k, s, a}
    assert await engine.ids("tender", author=alice["id"]) == {s, r}
    assert await engine.ids("tender", organisation="transparency-senegal") == {s, r}
    today = date.today()
    assert await engine.ids("tender", since=today, until=today) == {k, s, a, r}
    assert await engine.ids("tender", until=today - timedelta(days=1)) == set()


async def test_facets_count_matches_per_region_topic_and_kind(engine, make):
    t = await make.thread(title="Beneficial ownership", body="Ownership registers.")
    await make.reply(t["thread"]["id"], body="Ownership data is patchy.")
    await make.thread(
        region="south-east-asia", topic="whistleblower-protection", body="Ownership rules."
    )
    results = await engine.find("ownership")
    assert results.total == 3 and results.exact
    assert results.facets["region"] == {"africa": 2, "south-east-asia": 1}
    assert results.facets["topic"] == {"public-procurement": 2, "whistleblower-protection": 1}
    assert results.facets["kind"] == {"thread": 2, "post": 1}


async def test_snippets_highlight_matches_and_cannot_inject_html(engine, make):
    body = 'Report: <script>alert("x")</script> <img src=x onerror=alert(1)> bribery & fraud.'
    await make.thread(title="Hostile", body=body)
    [hit] = (await engine.find("bribery")).hits
    assert "<mark>bribery</mark>" in hit.snippet
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;/script&gt;" in hit.snippet  # shown as text
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


async def test_hits_carry_what_the_result_page_shows(engine, make):
    t = await make.thread(
        title="Sanctions list", body="Debarment of firms.", countries=("SN", "KE")
    )
    r = await make.reply(t["thread"]["id"], body="Debarment works when published.")
    hits = {h.post_id: h for h in (await engine.find("debarment")).hits}
    opening, answer = hits[t["post"]["id"]], hits[r["id"]]
    assert (opening.kind, opening.position, opening.title) == (Kind.THREAD, 1, "Sanctions list")
    assert (answer.kind, answer.position, answer.thread_id) == (Kind.POST, 2, t["thread"]["id"])
    assert answer.title == "Sanctions list"
    assert opening.countries == ("KE", "SN")
    assert (opening.region, opening.topics) == ("africa", ("public-procurement",))
    assert opening.author_name.startswith("Member")


async def test_an_edit_is_found_by_its_new_words_only(engine, make, db):
    author = await make.user()
    t = await make.thread(author, title="Notes", body="Nepotism in hiring.")
    async with db.transaction() as session:
        body = "Conflicts of interest in hiring."
        await posts.edit(session, author["actor"], t["post"]["id"], body=body)
    assert await engine.ids("nepotism") == set()
    assert await engine.ids("conflicts interest") == {t["post"]["id"]}


async def test_pages_do_not_overlap(engine, make):
    t = await make.thread(title="Budget tracking", body="Budget tracking in districts.")
    for n in range(24):
        await make.reply(t["thread"]["id"], body=f"Budget note number {n}.")
    first = await engine.find("budget")
    second = await engine.find("budget", page=2)
    assert first.total == 25
    assert len(first.hits) == 20 and len(second.hits) == 5
    assert not {h.post_id for h in first.hits} & {h.post_id for h in second.hits}
    assert (await engine.find("budget", page=3)).hits == []


async def test_title_matches_rank_above_passing_mentions(engine, make):
    older = await make.thread(title="Asset recovery in Kenya", body="Cases and lessons.")
    chatter = await make.thread(
        title="Weekly digest",
        body="Many topics this week: elections, audits, and one note on asset recovery.",
    )
    hits = (await engine.find("asset recovery")).hits
    assert [h.post_id for h in hits] == [older["post"]["id"], chatter["post"]["id"]]


@pytest.mark.parametrize("words", ["OR", "-", "!!!", '""', "-word", "the", ":* & | !"])
async def test_queries_with_nothing_to_find_answer_empty(engine, make, words):
    await make.thread(title="Anything", body="The word is here.")
    results = await engine.find(words)
    assert results.hits == [] and results.total == 0


# -- what the current state lets a reader see now ---------------------------------------


async def test_a_region_made_members_only_is_out_of_sight_at_once(engine, make, db):
    author = await make.user()
    canary = set()
    for n in range(3):
        thread = await make.thread(
            author, region="south-east-asia", title=f"Ledger {n}", body="Kiprotich signed it."
        )
        canary.add(thread["post"]["id"])
    africa = await make.thread(author, title="Ledger", body="The ledger of the Nairobi office.")
    before = await engine.find("ledger")
    assert before.total == 4 and before.facets["region"] == {"africa": 1, "south-east-asia": 3}
    if engine.suggests:
        assert (await engine.find("kiprutich")).suggestion == "kiprotich"

    async with db.transaction() as session:  # as an operator would, in plain SQL
        await session.execute(
            text("UPDATE regions SET visibility = 'members' WHERE slug = 'south-east-asia'")
        )

    assert await engine.ids("kiprotich") == set()
    after = await engine.find("ledger")
    assert [h.post_id for h in after.hits] == [africa["post"]["id"]] and after.total == 1
    assert after.facets == {
        "region": {"africa": 1},
        "topic": {"public-procurement": 1},
        "kind": {"thread": 1},
        "country": {},
        "uncac": {},
    }
    misspelt = await engine.find("kiprutich")
    assert misspelt.suggestion is None and misspelt.hits == [] and misspelt.total == 0
    assert await engine.ids("kiprotich", SUSPENDED) == set()  # reads like a visitor

    assert await engine.ids("kiprotich", MEMBER) == canary
    members = await engine.find("ledger", MEMBER)
    assert members.facets["region"] == {"africa": 1, "south-east-asia": 3}
    if engine.suggests:
        assert (await engine.find("kiprutich", MEMBER)).suggestion == "kiprotich"


async def test_a_misspelt_name_from_a_members_only_region_is_corrected_for_members_only(
    engine, make
):
    author = await make.user()
    for n in range(3):
        await make.thread(
            author, region="staff-room", title=f"Lead {n}", body="Wanjiku Nyamweya signed."
        )
    for reader in (VISITOR, SUSPENDED):
        results = await engine.find("niamweya", reader)
        assert results.suggestion is None and results.corrected is False
        assert results.hits == [] and results.total == 0 and results.facets["region"] == {}
    member = await engine.find("niamweya", MEMBER)
    assert member.total == 3
    if engine.suggests:
        assert member.suggestion == "nyamweya" and member.corrected


async def test_words_deleted_hidden_or_edited_away_are_never_suggested_again(engine, make, db):
    author = await make.user()
    admin = await make.user(Role.ADMIN)  # hides posts in every region
    ids = []
    for n in range(5):
        thread = await make.thread(author, title=f"Notes {n}", body="Ngugi Kamaara met auditors.")
        ids.append(thread["post"]["id"])
    if engine.suggests:
        assert (await engine.find("kamara", MEMBER)).suggestion == "kamaara"

    async with db.transaction() as session:
        for post_id in ids[:2]:
            await posts.delete(session, author["actor"], post_id)
        for post_id in ids[2:4]:
            await posts.edit(session, author["actor"], post_id, body="We met auditors.")
        catalog = await load_catalog(session)
        await moderation.set_post_hidden(session, admin["actor"], catalog, ids[4], hidden=True)

    for reader in (VISITOR, MEMBER):
        results = await engine.find("kamara", reader)
        assert results.suggestion is None and results.hits == [] and results.total == 0
        assert await engine.ids("kamaara", reader) == set()


async def test_org_matches_only_affiliations_members_show(engine, make, knowledge):
    shown, kept = await make.user(), await make.user()
    org = await knowledge.organisation("transparency-senegal")
    await knowledge.join(org, shown, shown=True)
    await knowledge.join(org, kept, shown=False)
    a = await make.thread(shown, title="Port audit", body="Audit of the port tender.")
    b = await make.thread(kept, title="Road audit", body="Audit of the road tender.")
    c = await make.reply(a["thread"]["id"], kept, body="Our audit found the same.")
    for reader in (VISITOR, MEMBER):
        assert await engine.ids("audit", reader, organisation=org) == {a["post"]["id"]}
        everyone = {a["post"]["id"], b["post"]["id"], c["id"]}
        assert await engine.ids("audit", reader) == everyone

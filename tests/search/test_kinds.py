"""Organisations (CSO profiles) and experiences (case stories) are searched with posts, on
every backend that can run: one query across kinds, `kind` filters, facets by country,
topic and UNCAC article, documents that follow every change, and nothing a reader of the
region may not see (a members-only region, an email or a phone)."""

from __future__ import annotations

from sqlalchemy import insert, text

from forum.models import Country
from search.backend import Kind
from tests.search.engines import key
from tests.search.readers import MEMBER, SUSPENDED, VISITOR

PHONE = "+221 77 555 0193"
EMAIL = "qzwxdesk@example.org"


async def _members_only_country(db) -> str:
    """A country of the members-only region (reference data has none)."""
    async with db.transaction() as s:
        await s.execute(insert(Country).values(code="QM", name="Quietland", region_id=3))
    return "QM"


async def test_one_query_finds_posts_organisations_and_experiences(engine, make, knowledge):
    org = await knowledge.organisation(
        "olcac",
        name="Observatoire de lutte contre la corruption",
        description="We monitor moto-taxi checkpoints and bribes.",
        topics=("public-procurement",),
        uncac_articles=(13,),
        languages=("fr",),
    )
    story = await knowledge.experience(
        org,
        title="Moto-taxi drivers refuse to pay bribes",
        countries=("KE",),
        topics=("whistleblower-protection",),
        uncac_articles=(5, 13),
        context="Drivers paid bribes at every checkpoint.",
    )
    thread = await make.thread(title="Checkpoints", body="Bribes at checkpoints again.")
    post = thread["post"]["id"]

    results = await engine.find("bribes")
    assert {key(h) for h in results.hits} == {
        ("thread", post),
        ("organisation", org),
        ("experience", story),
    }
    assert results.total == 3 and results.exact
    assert results.facets["kind"] == {"thread": 1, "organisation": 1, "experience": 1}
    assert results.facets["country"] == {"SN": 1, "KE": 1}  # the thread names none
    assert results.facets["topic"] == {"public-procurement": 2, "whistleblower-protection": 1}
    assert results.facets["uncac"] == {"13": 2, "5": 1}  # posts have no UNCAC article
    assert results.facets["region"] == {"africa": 3}

    assert await engine.keys("bribes", kinds=(Kind.ORGANISATION,)) == {("organisation", org)}
    assert await engine.keys("bribes", kinds=(Kind.EXPERIENCE, Kind.THREAD)) == {
        ("experience", story),
        ("thread", post),
    }
    assert await engine.keys("bribes", uncac_articles=(5,)) == {("experience", story)}
    assert await engine.keys("bribes", countries=("KE",)) == {("experience", story)}
    assert await engine.keys("bribes", topics=("whistleblower-protection",)) == {
        ("experience", story)
    }
    # Posts only: an author's filter leaves organisations and experiences out.
    assert await engine.keys("bribes", author=thread["post"]["author"]["id"]) == {("thread", post)}

    hits = {key(h): h for h in results.hits}
    profile, told = hits[("organisation", org)], hits[("experience", story)]
    assert profile.title == "Observatoire de lutte contre la corruption"
    assert (profile.organisation, profile.region, profile.countries) == (org, "africa", ("SN",))
    assert "<mark>bribes</mark>" in profile.snippet
    assert told.title == "Moto-taxi drivers refuse to pay bribes"
    assert told.organisation == org and told.organisation_name == profile.title
    assert told.uncac_articles == (5, 13) and told.topics == ("whistleblower-protection",)
    assert "<mark>bribes</mark>" in told.snippet and told.language == "en"


async def test_a_french_query_finds_spanish_and_english_experiences(engine, knowledge):
    org = await knowledge.organisation("red-transparencia", country="KE")
    spanish = await knowledge.experience(
        org,
        title="Las reformas electorales en la provincia",
        context="Acompañamos las reformas electorales con observadores.",
        language="es",
    )
    english = await knowledge.experience(
        org,
        title="Corruption in customs",
        context="Customs officers and corruption at the border.",
        language="en",
    )
    # The Spanish stems of French words ("réformes électorales" -> reform, electoral).
    assert ("experience", spanish) in await engine.keys("réformes électorales")
    # A word both languages write alike, and a French plural read by the English stemmer.
    assert ("experience", english) in await engine.keys("la corruption")
    assert ("experience", english) in await engine.keys("corruptions")


async def test_a_members_only_region_is_out_of_sight_of_visitors(engine, db, knowledge):
    quiet = await _members_only_country(db)
    org = await knowledge.organisation("quiet-watch", country=quiet, description="Zephyrine.")
    story = await knowledge.experience(org, title="Zephyrine audit", context="Zephyrine.")
    for reader in (VISITOR, SUSPENDED):
        results = await engine.find("zephyrine", reader)
        assert results.hits == [] and results.total == 0
        assert all(counts == {} for counts in results.facets.values())
    assert await engine.keys("zephyrine", MEMBER) == {
        ("organisation", org),
        ("experience", story),
    }

    async with db.transaction() as s:  # as an operator would, in plain SQL
        await s.execute(text("UPDATE regions SET visibility = 'public' WHERE slug = 'staff-room'"))
    assert len((await engine.find("zephyrine", VISITOR)).hits) == 2


async def test_an_organisation_moving_to_a_members_only_region_takes_its_experiences(
    engine, db, knowledge
):
    quiet = await _members_only_country(db)
    org = await knowledge.organisation("moving-watch", description="Quillwort registry.")
    story = await knowledge.experience(org, title="Quillwort", context="Quillwort registry.")
    assert len((await engine.find("quillwort", VISITOR)).hits) == 2
    await knowledge.update(org, country=quiet)
    assert (await engine.find("quillwort", VISITOR)).total == 0
    assert await engine.keys("quillwort", MEMBER) == {("organisation", org), ("experience", story)}


async def test_contact_fields_are_never_searchable(engine, make, db, knowledge):
    org = await knowledge.organisation(
        "contact-watch",
        description="Open contracting.",
        phone=PHONE,
        phone_visibility="private",
        email=EMAIL,
        email_visibility="members",
    )
    member = await make.user()
    await knowledge.join(org, member, shown=True)
    for words in ("0193", "555 0193", "qzwxdesk", EMAIL):
        for reader in (VISITOR, MEMBER, member["actor"], knowledge.admin["actor"]):
            assert (await engine.find(words, reader)).total == 0
    assert ("organisation", org) in await engine.keys("contracting")
    async with db.transaction() as s:
        stored = await s.scalar(
            text("SELECT body || ' ' || CAST(tsv AS text) FROM search_knowledge")
        )
    assert "0193" not in stored and "qzwxdesk" not in stored


async def test_documents_follow_every_change(engine, knowledge):
    org = await knowledge.organisation("edit-watch", description="Cormorant office.")
    story = await knowledge.experience(org, title="Heron", context="Heron river survey.")
    await knowledge.edit(story, context="Egret river survey.", uncac_articles=(9,))
    assert await engine.keys("heron river") == {("experience", story)}  # the title stays
    assert await engine.keys("survey", uncac_articles=(9,)) == {("experience", story)}
    assert (await engine.find("heron", kinds=(Kind.EXPERIENCE,))).hits[0].snippet
    assert await engine.keys("egret") == {("experience", story)}
    await knowledge.edit(story, title="Stork")
    assert await engine.keys("heron") == set()

    await knowledge.update(org, description="Pelican office.")
    assert await engine.keys("cormorant") == set()
    assert await engine.keys("pelican") == {("organisation", org)}


async def test_org_finds_the_organisation_its_experiences_and_its_shown_members_posts(
    engine, make, knowledge
):
    org = await knowledge.organisation("fennel-watch", description="Fennel audits.")
    other = await knowledge.organisation("dill-watch", description="Fennel too.")
    story = await knowledge.experience(org, title="Fennel", context="Fennel audits.")
    await knowledge.experience(other, title="Fennel elsewhere", context="Fennel.")
    shown, hidden = await make.user(), await make.user()
    await knowledge.join(org, shown, shown=True)
    await knowledge.join(org, hidden, shown=False)
    by_shown = (await make.thread(shown, title="Fennel", body="Fennel."))["post"]["id"]
    await make.thread(hidden, title="Fennel", body="Fennel.")

    assert await engine.keys("fennel", organisation=org) == {
        ("organisation", org),
        ("experience", story),
        ("thread", by_shown),
    }
    # A member who hides their affiliation is not found by it any more, at once.
    await knowledge.show(org, shown, False)
    assert await engine.keys("fennel", organisation=org, kinds=(Kind.THREAD,)) == set()
    await knowledge.show(org, hidden, True)
    assert len(await engine.keys("fennel", organisation=org, kinds=(Kind.THREAD,))) == 1

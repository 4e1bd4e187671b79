"""Organisations: who creates and edits them, who sees each contact field, affiliations
chosen by their members, and the events every change appends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from forum import affiliations, catalog, events, organisations
from forum.errors import DomainError, Kind
from forum.models import Affiliation, Organisation, Role
from forum.organisation_fields import Activity, Profile
from forum.permissions import ANONYMOUS, Actor

ADMIN = Actor(10**6, Role.ADMIN)
PHONE = "+221 33 800 1234"
EMAIL = "office@canary.example.org"


def profile(**changes) -> Profile:
    values = {
        "name": "Forum Civil",
        "country": "sn",
        "kind": "ngo",
        "email": EMAIL,
        "email_visibility": "members",
        "phone": PHONE,
        "phone_visibility": "private",
        "topics": ("public-procurement",),
        "uncac_articles": (13, 5),
        "languages": ("fr", "en"),
        "activities": (Activity("Budget tracking", date(2019, 1, 1), date(2021, 6, 30)),),
    }
    return Profile(**(values | changes))


async def _create(db, slug="forum-civil", **changes):
    async with db.transaction() as s:
        cat = await catalog.load(s)
        return await organisations.create(s, ADMIN, cat, slug, profile(**changes))


async def _get(db, actor, slug="forum-civil"):
    async with db.transaction() as s:
        return await organisations.get(s, actor, await catalog.load(s), slug)


async def _affiliate(db, actor, user_id, role="member", shown=None, slug="forum-civil"):
    async with db.transaction() as s:
        return await affiliations.affiliate(
            s, actor, await catalog.load(s), slug, user_id=user_id, role=role, shown=shown
        )


async def test_an_admin_creates_a_profile_with_its_specialisation(db):
    made = await _create(db)
    assert (made.name, made.country, made.region, made.kind) == (
        "Forum Civil", "SN", "africa", "ngo"
    )  # fmt: skip
    assert made.topics == ["public-procurement"]
    assert made.uncac_articles == [5, 13]
    assert made.languages == ["en", "fr"]
    assert made.activities[0].title == "Budget tracking"
    assert not made.verified


async def test_only_admins_create(db, make):
    member = await make.user()
    async with db.transaction() as s:
        with pytest.raises(DomainError) as err:
            await organisations.create(s, member["actor"], await catalog.load(s), "x", profile())
    assert err.value.kind is Kind.FORBIDDEN


async def test_bad_values_name_their_field_and_change_nothing(db):
    for changes, field in [
        ({"country": "ZZ"}, "country"),
        ({"kind": "party"}, "kind"),
        ({"phone_visibility": "secret"}, "phone_visibility"),
        ({"uncac_articles": (72,)}, "uncac_articles"),
        ({"topics": ("no-such",)}, "topics"),
        ({"name": "  "}, "name"),
        ({"email": "not an address"}, "email"),
    ]:
        with pytest.raises(DomainError) as err:
            await _create(db, **changes)
        assert field in err.value.fields, (changes, err.value.fields)
    await _create(db)
    with pytest.raises(DomainError) as err:
        await _create(db)
    assert err.value.code == "slug_taken"
    async with db.transaction() as s:
        assert len((await s.execute(select(Organisation.id))).all()) == 1


async def test_contact_fields_follow_their_visibility(db, make):
    await _create(db)
    staff, outsider, rep = await make.user(), await make.user(), await make.user()
    await _affiliate(db, ADMIN, staff["id"])
    await _affiliate(db, ADMIN, rep["id"], role="representative")
    seen = {
        "visitor": await _get(db, ANONYMOUS),
        "outsider": await _get(db, outsider["actor"]),
        "staff": await _get(db, staff["actor"]),
        "admin": await _get(db, ADMIN),
        "moderator": await _get(db, Actor(outsider["id"], Role.MODERATOR)),
        "suspended staff": await _get(db, Actor(staff["id"], Role.MEMBER, suspended=True)),
    }
    phones = {who: v.phone for who, v in seen.items()}
    emails = {who: v.email for who, v in seen.items()}
    assert phones == {"visitor": None, "outsider": None, "staff": PHONE, "admin": PHONE,
                      "moderator": None, "suspended staff": None}  # fmt: skip
    assert emails == {"visitor": None, "outsider": EMAIL, "staff": EMAIL, "admin": EMAIL,
                      "moderator": EMAIL, "suspended staff": None}  # fmt: skip


async def test_representatives_edit_members_do_not(db, make):
    await _create(db)
    rep, plain = await make.user(), await make.user()
    await _affiliate(db, ADMIN, rep["id"], role="representative")
    await _affiliate(db, plain["actor"], plain["id"])
    async with db.transaction() as s:
        cat = await catalog.load(s)
        view, changed = await organisations.update_profile(
            s, rep["actor"], cat, "forum-civil", {"description": "Watchdog", "country": "KE"}
        )
        assert changed and view.description == "Watchdog" and view.country == "KE"
        _, changed = await organisations.update_profile(
            s, rep["actor"], cat, "forum-civil", {"description": "Watchdog"}
        )
        assert not changed
        with pytest.raises(DomainError) as err:
            await organisations.update_profile(s, rep["actor"], cat, "forum-civil", {},
                                               verified=True)  # fmt: skip
        assert err.value.code == "admin_only"
        with pytest.raises(DomainError) as err:
            await organisations.update_profile(
                s, plain["actor"], cat, "forum-civil", {"description": "Mine now"}
            )
        assert err.value.code == "not_representative"


async def test_members_add_themselves_representatives_name_others(db, make):
    await _create(db)
    await _create(db, slug="other-org", name="Other")
    rep, newcomer, stranger = await make.user(), await make.user(), await make.user()
    await _affiliate(db, ADMIN, rep["id"], role="representative")
    # Nobody names themselves representative, nor adds someone else.
    for actor, uid, role in [
        (newcomer["actor"], newcomer["id"], "representative"),
        (newcomer["actor"], stranger["id"], "member"),
    ]:
        with pytest.raises(DomainError) as err:
            await _affiliate(db, actor, uid, role)
        assert err.value.kind is Kind.FORBIDDEN
    # A representative names others in their own organisation only.
    added = await _affiliate(db, rep["actor"], newcomer["id"], "representative")
    assert (added.role, added.shown) == ("representative", False)
    with pytest.raises(DomainError):
        await _affiliate(db, rep["actor"], stranger["id"], slug="other-org")
    mine = await _affiliate(db, stranger["actor"], stranger["id"], shown=True)
    assert (mine.role, mine.shown) == ("member", True)


async def test_a_hidden_affiliation_shows_to_the_member_representatives_and_admins(db, make):
    await _create(db)
    rep, quiet, loud, other = [await make.user() for _ in range(4)]
    await _affiliate(db, ADMIN, rep["id"], role="representative")
    await _affiliate(db, quiet["actor"], quiet["id"], shown=False)
    await _affiliate(db, loud["actor"], loud["id"], shown=True)

    def names(view):
        return {m.user_id for m in view.members}

    everyone = {rep["id"], quiet["id"], loud["id"]}
    assert names(await _get(db, ANONYMOUS)) == {loud["id"]}
    assert names(await _get(db, other["actor"])) == {loud["id"]}
    assert names(await _get(db, quiet["actor"])) == {quiet["id"], loud["id"]}
    assert names(await _get(db, rep["actor"])) == everyone
    assert names(await _get(db, ADMIN)) == everyone
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await affiliations.show(s, quiet["actor"], cat, "forum-civil", True)
        with pytest.raises(DomainError):
            await affiliations.end(s, other["actor"], cat, "forum-civil", loud["id"])
        await affiliations.end(s, loud["actor"], cat, "forum-civil", loud["id"])
        await affiliations.end(s, rep["actor"], cat, "forum-civil", quiet["id"])
    assert names(await _get(db, ANONYMOUS)) == set()


async def test_events_carry_no_contact_and_hidden_affiliations_reach_only_the_member(db, make):
    await _create(db)
    member = await make.user()
    await _affiliate(db, member["actor"], member["id"], shown=False)
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await organisations.update_profile(s, ADMIN, cat, "forum-civil", {"phone": "+1 555 0100"})
        await affiliations.show(s, member["actor"], cat, "forum-civil", True)
    async with db.transaction() as s:
        log = await events.read(s)
    assert [(e.type, e.visibility) for e in log] == [
        ("organisation.created", "public"),
        ("affiliation.changed", f"user:{member['id']}"),
        ("organisation.updated", "public"),
        ("affiliation.changed", "public"),
    ]
    for e in log:
        assert PHONE not in str(e.payload) and "555" not in str(e.payload)
        assert EMAIL not in str(e.payload)


async def test_an_organisation_of_a_members_only_region_is_not_told_to_visitors(db, make):
    async with db.transaction() as s:
        await catalog.set_region_visibility(s, ADMIN, "africa", catalog.Visibility.MEMBERS)
    await _create(db)
    with pytest.raises(DomainError) as err:
        await _get(db, ANONYMOUS)
    assert err.value.kind is Kind.NOT_FOUND
    async with db.transaction() as s:
        found, _ = await organisations.list_organisations(s, ANONYMOUS, await catalog.load(s))
        assert found == []
        log = await events.read(s)
    assert {e.visibility for e in log if e.type.startswith("organisation.")} == {"members"}
    member = await make.user()
    assert (await _get(db, member["actor"])).slug == "forum-civil"


async def test_the_directory_pages_by_name_and_filters_by_region_and_country(db):
    for n, country in enumerate(["SN", "KE", "ID", "SN"]):
        await _create(db, slug=f"org-{n}", name=f"Org {n}", country=country)
    async with db.transaction() as s:
        cat = await catalog.load(s)
        first, cursor = await organisations.list_organisations(s, ANONYMOUS, cat, limit=3)
        rest, end = await organisations.list_organisations(
            s, ANONYMOUS, cat, limit=3, cursor=cursor
        )
        assert [o.slug for o in first + rest] == ["org-0", "org-1", "org-2", "org-3"]
        assert end is None
        africa, _ = await organisations.list_organisations(s, ANONYMOUS, cat, region="africa")
        assert [o.slug for o in africa] == ["org-0", "org-1", "org-3"]
        senegal, _ = await organisations.list_organisations(s, ANONYMOUS, cat, country="sn")
        assert [o.slug for o in senegal] == ["org-0", "org-3"]


async def test_a_profile_lists_threads_its_shown_members_started(db, make):
    await _create(db)
    shown, hidden = await make.user(), await make.user()
    await _affiliate(db, shown["actor"], shown["id"], shown=True)
    await _affiliate(db, hidden["actor"], hidden["id"], shown=False)
    await make.thread(shown, title="Shown member's thread")
    await make.thread(shown, title="Members' room thread", region="staff-room")
    await make.thread(hidden, title="Hidden member's thread")
    async with db.transaction() as s:
        cat = await catalog.load(s)
        public = await organisations.shown_members_threads(s, ANONYMOUS, cat, "forum-civil")
        members = await organisations.shown_members_threads(s, hidden["actor"], cat, "forum-civil")
        rows = (await s.execute(select(Affiliation.user_id))).all()
    assert [t["title"] for t in public] == ["Shown member's thread"]
    assert {t["title"] for t in members} == {"Shown member's thread", "Members' room thread"}
    assert len(rows) == 2


async def test_the_demo_holds_organisations_with_shown_and_hidden_members(db):
    from forum import demo, demo_data

    await demo.load(db)
    await demo.load(db)  # idempotent
    async with db.transaction() as s:
        cat = await catalog.load(s)
        found, _ = await organisations.list_organisations(s, ANONYMOUS, cat, limit=100)
        assert {o.slug for o in found} == {o.slug for o in demo_data.ORGANISATIONS}
        assert {o.region for o in found} >= {"africa", "south-east-europe", "south-east-asia"}
        ghana = await organisations.get(s, ANONYMOUS, cat, "community-accountability-network")
        rows = (await s.execute(select(Affiliation.role))).all()
    assert [(m.name, m.role) for m in ghana.members] == [("Kofi Mensah", "representative")]
    assert len(rows) == sum(len(o.members) for o in demo_data.ORGANISATIONS)

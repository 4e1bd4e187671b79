"""Experiences (CSO case stories): members of the organisation write and edit them,
revisions are kept, every change appends an id-only event, and whoever may not read the
organisation learns nothing of them (the feed rebuilds events from the rows)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import insert, update

from forum import affiliations, catalog, events, experiences, feed, organisations
from forum.errors import DomainError, Kind
from forum.experiences import Story
from forum.models import Country, Organisation, Role
from forum.organisation_fields import Profile
from forum.permissions import ANONYMOUS, Actor

STORY = Story(
    title="Moto-taxi drivers refuse to pay",
    countries=("sn",),
    topics=("public-procurement",),
    uncac_articles=(13, 5, 13),
    context="Drivers paid **bribes** at every checkpoint.",
    action="Workshops with drivers and police.",
    lessons="<script>alert(1)</script>Talk to the police too.",
    year=2018,
    language="en",
)


async def _setup(db, make):
    admin = await make.user(Role.ADMIN)
    writer, outsider = await make.user(), await make.user()
    async with db.transaction() as s:
        cat = await catalog.load(s)
        await organisations.create(
            s, admin["actor"], cat, "olcac", Profile(name="OLCAC", country="SN", kind="ngo")
        )
        await affiliations.affiliate(s, admin["actor"], cat, "olcac", user_id=writer["id"])
    return admin, writer, outsider


async def _create(db, actor, story=STORY, slug="olcac"):
    async with db.transaction() as s:
        return await experiences.create(s, actor, await catalog.load(s), slug, story)


async def _call(db, fn, *args, **kwargs):
    async with db.transaction() as s:
        return await fn(s, *args[:1], await catalog.load(s), *args[1:], **kwargs)


async def test_a_member_writes_an_experience_rendered_like_posts(db, make):
    _, writer, _ = await _setup(db, make)
    made = await _create(db, writer["actor"])
    assert (made.organisation, made.region, made.countries) == ("olcac", "africa", ["SN"])
    assert made.uncac_articles == [5, 13] and made.topics == ["public-procurement"]
    assert "<strong>bribes</strong>" in made.html["context"]
    assert "<script>" not in made.html["lessons"] and made.html["obstacles"] == ""
    assert made.author == writer["display_name"] and made.may_edit
    seen = await _call(db, experiences.get, ANONYMOUS, made.id)
    assert seen.title == STORY.title and not seen.may_edit
    listed, cursor = await _call(db, experiences.list_experiences, ANONYMOUS, country="SN")
    assert [e.id for e in listed] == [made.id] and cursor is None


async def test_only_the_organisations_members_write_and_bad_input_changes_nothing(db, make):
    admin, writer, outsider = await _setup(db, make)
    moderator = await make.user(Role.MODERATOR)
    for actor, kind in [(outsider["actor"], Kind.FORBIDDEN), (moderator["actor"], Kind.FORBIDDEN),
                        (ANONYMOUS, Kind.UNAUTHENTICATED)]:  # fmt: skip
        with pytest.raises(DomainError) as refused:
            await _create(db, actor)
        assert refused.value.kind is kind
    for bad, field in [
        (dict(title="  "), "title"),
        (dict(countries=("ZZ",)), "countries"),
        (dict(topics=("nope",)), "topics"),
        (dict(uncac_articles=(72,)), "uncac_articles"),
        (dict(year=1200), "year"),
        (dict(language="english"), "language"),
        (dict(context="x" * (70 * 1024)), "context"),
        (dict(threads=(999,)), "threads"),
    ]:
        with pytest.raises(DomainError) as refused:
            await _create(db, writer["actor"], dataclasses.replace(STORY, **bad))
        assert refused.value.kind is Kind.INVALID and field in (refused.value.fields or {}), bad
    listed, _ = await _call(db, experiences.list_experiences, admin["actor"])
    assert listed == []
    assert (await _create(db, admin["actor"])).may_edit  # admins may too


async def test_edits_keep_revisions_for_members_and_moderators_only(db, make):
    _, writer, outsider = await _setup(db, make)
    made = await _create(db, writer["actor"])
    edited, changed = await _call(
        db, experiences.update_story, writer["actor"], made.id, {"context": "Checkpoints."}
    )
    assert changed and edited.revision == 2 and edited.sources["context"] == "Checkpoints."
    again, changed = await _call(
        db, experiences.update_story, writer["actor"], made.id, {"context": "Checkpoints."}
    )
    assert not changed and again.revision == 2
    versions = await _call(db, experiences.revisions, writer["actor"], made.id)
    assert [v["revision"] for v in versions] == [1, 2]
    assert "bribes" in versions[0]["sources"]["context"]
    moderator = await make.user(Role.MODERATOR)
    assert len(await _call(db, experiences.revisions, moderator["actor"], made.id)) == 2
    for actor in (outsider["actor"], ANONYMOUS):
        with pytest.raises(DomainError) as refused:
            await _call(db, experiences.revisions, actor, made.id)
        assert refused.value.kind is Kind.FORBIDDEN
        with pytest.raises(DomainError):
            await _call(db, experiences.update_story, actor, made.id, {"title": "Taken"})
    with pytest.raises(DomainError) as refused:
        await _call(db, experiences.update_story, writer["actor"], made.id, {"nope": 1})
    assert refused.value.kind is Kind.INVALID
    assert (await _call(db, experiences.get, ANONYMOUS, made.id)).revision == 2


async def test_events_carry_the_id_and_are_told_as_the_organisation_is_now(db, make):
    _, writer, _ = await _setup(db, make)
    made = await _create(db, writer["actor"])
    await _call(db, experiences.update_story, writer["actor"], made.id, {"year": 2019})
    async with db.transaction() as s:
        log = [e for e in await events.read(s) if e.type.startswith("experience.")]
        assert [e.type for e in log] == ["experience.created", "experience.updated"]
        assert all(e.payload == {"experience_id": made.id} for e in log)
        assert all(e.channels == ["region:africa"] and e.visibility == "public" for e in log)
        told = await feed.current(s, log)
        assert [d.audience for d in told] == ["public", "public"]
        assert told[0].data == {"experience_id": made.id, "organisation": "olcac"}
        # The organisation moves to a members-only region: replay tells only members.
        await s.execute(insert(Country).values(code="XM", name="Members", region_id=3))
        await s.execute(
            update(Organisation).where(Organisation.slug == "olcac").values(country_code="XM")
        )
        told = await feed.current(s, log)
        assert [d.audience for d in told] == ["members", "members"]
    with pytest.raises(DomainError) as refused:
        await _call(db, experiences.get, ANONYMOUS, made.id)
    assert refused.value.kind is Kind.NOT_FOUND
    assert (await _call(db, experiences.list_experiences, ANONYMOUS))[0] == []
    assert (await _call(db, experiences.get, Actor(writer["id"], Role.MEMBER), made.id)).id


async def test_the_demo_tells_six_experiences_in_three_languages(db):
    from forum import demo, demo_data

    await demo.load(db)
    await demo.load(db)  # idempotent
    listed, _ = await _call(db, experiences.list_experiences, ANONYMOUS, limit=100)
    assert {e.title for e in listed} == {e.title for e in demo_data.EXPERIENCES}
    assert len(listed) >= 6 and {e.language for e in listed} == {"en", "fr", "es"}
    moto = next(e for e in listed if "Motorcycle-taxi" in e.title)
    told = await _call(db, experiences.get, ANONYMOUS, moto.id)
    assert told.organisation == "observatoire-bonne-gouvernance" and told.author
    assert [t.title[:26] for t in told.threads] == ["Petites subventions et PME"]
    assert "<strong>small grant</strong>" in told.html["action"]

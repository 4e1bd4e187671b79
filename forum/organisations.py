"""Organisations (CSO profiles): reading, creating and editing them.

Tables `organisations`, `organisation_topics`, `organisation_activities` and
`affiliations`, through SQLAlchemy Core only. Who sees which field, who edits, whose
affiliation shows: `forum.permissions` (its `Tie` is how the reader stands to the
organisation, read here). Every change appends an event in the writer's transaction:
`organisation.created|updated` (region channel, payload the slug only), never a contact
field. Its search document is rewritten in the same transaction
(`forum.knowledge_documents`). Affiliations are written by `forum.affiliations`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, findable, knowledge_documents, pagination
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import (
    Affiliation,
    AffiliationRole,
    Country,
    Organisation,
    OrganisationActivity,
    OrganisationTopic,
    Region,
    Thread,
    Topic,
    User,
)
from forum.organisation_fields import (
    PROFILE_FIELDS,
    Activity,
    Profile,
    check_profile,
    check_slug,
)
from forum.permissions import (
    NO_TIE,
    Actor,
    Tie,
    allows,
    can_read_organisation,
    check_can_create_organisation,
    check_can_edit_organisation,
    check_can_verify_organisation,
    may_see_affiliation,
    may_see_contact,
    region_audience,
)

MAX_MEMBERS_LISTED = 200
THREADS_LISTED = 20


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    role: str
    shown: bool


@dataclass(frozen=True)
class Summary:
    slug: str
    name: str
    country: str
    region: str
    kind: str
    verified: bool


@dataclass(frozen=True)
class View:
    """An organisation as one reader may see it: a contact field they may not see is None."""

    slug: str
    name: str
    country: str
    region: str
    kind: str
    website: str | None
    email: str | None
    email_visibility: str
    phone: str | None
    phone_visibility: str
    description: str
    languages: list[str]
    topics: list[str]
    uncac_chapters: list[int]
    uncac_articles: list[int]
    activities: list[Activity]
    verified: bool
    created_at: datetime
    updated_at: datetime
    members: list[Member]  # the affiliations this reader may see
    you: Member | None  # the reader's own affiliation
    may_edit: bool


@dataclass(frozen=True)
class Found:
    id: int
    region_visibility: str
    region: str
    slug: str


async def find(session: AsyncConnection, actor: Actor, catalog: Catalog, slug: str) -> Found:
    """The organisation a reader names (with where it is); one they may not read looks
    missing."""
    row = (
        await session.execute(
            select(Organisation.id, Organisation.country_code).where(Organisation.slug == slug)
        )
    ).first()
    region = _region(catalog, row.country_code) if row else None
    if row is None or region is None or not can_read_organisation(actor, region.visibility):
        raise not_found("organisation")
    return Found(row.id, region.visibility, region.slug, slug)


def _region(catalog: Catalog, country: str) -> Any:
    entry = next((c for c in catalog.countries if c.code == country), None)
    return catalog.region_by_id(entry.region_id) if entry else None


async def tie(session: AsyncConnection, actor: Actor, organisation_id: int) -> Tie:
    if actor.user_id is None:
        return NO_TIE
    role = await session.scalar(
        select(Affiliation.role).where(
            Affiliation.user_id == actor.user_id, Affiliation.organisation_id == organisation_id
        )
    )
    if role is None:
        return NO_TIE
    return Tie(affiliated=True, representative=role == AffiliationRole.REPRESENTATIVE)


# Reading


async def get(session: AsyncConnection, actor: Actor, catalog: Catalog, slug: str) -> View:
    found = await find(session, actor, catalog, slug)
    reader_tie = await tie(session, actor, found.id)
    org = (await session.execute(select(Organisation).where(Organisation.id == found.id))).one()
    topics = await session.scalars(
        select(Topic.slug)
        .join(OrganisationTopic, OrganisationTopic.topic_id == Topic.id)
        .where(OrganisationTopic.organisation_id == found.id)
        .order_by(Topic.slug)
    )
    activities = await session.execute(
        select(OrganisationActivity)
        .where(OrganisationActivity.organisation_id == found.id)
        .order_by(OrganisationActivity.started_on.desc(), OrganisationActivity.id)
    )
    members = await session.execute(
        select(Affiliation.user_id, User.display_name, Affiliation.role, Affiliation.shown)
        .join(User, User.id == Affiliation.user_id)
        .where(Affiliation.organisation_id == found.id)
        .order_by(Affiliation.role.desc(), User.display_name)
        .limit(MAX_MEMBERS_LISTED)
    )
    listed = [
        Member(m.user_id, m.display_name, m.role, m.shown)
        for m in members
        if may_see_affiliation(actor, m.user_id, m.shown, reader_tie)
    ]
    you = next((m for m in listed if m.user_id == actor.user_id), None)
    return View(
        slug=org.slug,
        name=org.name,
        country=org.country_code,
        region=found.region,
        kind=org.kind,
        website=org.website,
        email=org.email if may_see_contact(actor, org.email_visibility, reader_tie) else None,
        email_visibility=org.email_visibility,
        phone=org.phone if may_see_contact(actor, org.phone_visibility, reader_tie) else None,
        phone_visibility=org.phone_visibility,
        description=org.description,
        languages=list(org.languages),
        topics=list(topics),
        uncac_chapters=list(org.uncac_chapters),
        uncac_articles=list(org.uncac_articles),
        activities=[Activity(a.title, a.started_on, a.ended_on, a.description) for a in activities],
        verified=org.verified,
        created_at=org.created_at,
        updated_at=org.updated_at,
        members=listed,
        you=you,
        may_edit=allows(check_can_edit_organisation, actor, reader_tie),
    )


async def list_organisations(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    region: str | None = None,
    country: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Summary], str | None]:
    """By name, in keyset pages; only organisations of regions the reader may read."""
    if region is not None:
        region_ids = [catalog.region(actor, region).id]
    else:
        region_ids = [r.id for r in catalog.readable_regions(actor)]
    codes = [c.code for c in catalog.countries if c.region_id in region_ids]
    if country is not None:
        (code,) = catalog.country_codes([country], field="country")
        codes = [c for c in codes if c == code]
    query = select(
        Organisation.id,
        Organisation.slug,
        Organisation.name,
        Organisation.country_code,
        Organisation.kind,
        Organisation.verified,
    ).where(Organisation.country_code.in_(codes))
    if cursor is not None:
        key = pagination.decode(cursor, str, int)
        query = query.where(tuple_(Organisation.name, Organisation.id) > key)
    rows = (
        await session.execute(query.order_by(Organisation.name, Organisation.id).limit(limit + 1))
    ).all()
    page = rows[:limit]
    next_cursor = pagination.encode(page[-1].name, page[-1].id) if len(rows) > limit else None
    return [
        Summary(r.slug, r.name, r.country_code, _region(catalog, r.country_code).slug, r.kind,
                r.verified)
        for r in page
    ], next_cursor  # fmt: skip


async def shown_members_threads(
    session: AsyncConnection, actor: Actor, catalog: Catalog, slug: str
) -> list[dict[str, Any]]:
    """The newest threads the organisation's shown members started, that the reader may
    read (ids, titles, regions: the thread page shows the rest)."""
    found = await find(session, actor, catalog, slug)
    authors = select(Affiliation.user_id).where(
        Affiliation.organisation_id == found.id, Affiliation.shown
    )
    query = (
        select(Thread.id, Thread.title, Thread.region_id, Thread.created_at)
        .join(Region, Region.id == Thread.region_id)
        .where(Thread.author_id.in_(authors), findable.threads(actor))
    )
    rows = await session.execute(
        query.order_by(Thread.created_at.desc(), Thread.id.desc()).limit(THREADS_LISTED)
    )
    return [
        {"id": r.id, "title": r.title, "region": _region_slug(catalog, r.region_id),
         "created_at": r.created_at}
        for r in rows
    ]  # fmt: skip


def _region_slug(catalog: Catalog, region_id: int) -> str:
    region = catalog.region_by_id(region_id)
    return region.slug if region else ""


# Writing


async def _write_profile(
    session: AsyncConnection, catalog: Catalog, organisation_id: int, profile: Profile
) -> None:
    values = {
        "name": profile.name,
        "country_code": profile.country,
        "kind": profile.kind,
        "website": profile.website,
        "email": profile.email,
        "email_visibility": profile.email_visibility,
        "phone": profile.phone,
        "phone_visibility": profile.phone_visibility,
        "description": profile.description,
        "languages": list(profile.languages),
        "uncac_chapters": list(profile.uncac_chapters),
        "uncac_articles": list(profile.uncac_articles),
        "updated_at": func.now(),
    }
    await session.execute(
        update(Organisation).where(Organisation.id == organisation_id).values(**values)
    )
    await session.execute(
        delete(OrganisationTopic).where(OrganisationTopic.organisation_id == organisation_id)
    )
    if profile.topics:
        await session.execute(
            insert(OrganisationTopic),
            [
                {"organisation_id": organisation_id, "topic_id": catalog.topic(t).id}
                for t in profile.topics
            ],
        )
    await session.execute(
        delete(OrganisationActivity).where(OrganisationActivity.organisation_id == organisation_id)
    )
    if profile.activities:
        await session.execute(
            insert(OrganisationActivity),
            [
                {"organisation_id": organisation_id, **dataclasses.asdict(a)}
                for a in profile.activities
            ],
        )


async def _announce(session: AsyncConnection, type_: str, found: Found) -> None:
    await events.append(
        session,
        type_,
        [f"region:{found.region}"],
        region_audience(found.region_visibility),
        {"organisation": found.slug},
    )


async def create(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    slug: str,
    profile: Profile,
    *,
    verified: bool = False,
) -> View:
    check_can_create_organisation(actor)
    check_slug(slug)
    profile = check_profile(profile, catalog)
    organisation_id = await session.scalar(
        upsert(Organisation)
        .values(slug=slug, name=profile.name, country_code=profile.country, kind=profile.kind,
                verified=verified)
        .on_conflict_do_nothing(index_elements=[Organisation.slug])
        .returning(Organisation.id)
    )  # fmt: skip
    if organisation_id is None:
        raise DomainError(
            Kind.CONFLICT, "slug_taken", "An organisation has this slug already.",
            fields={"slug": "An organisation has this slug already."},
        )  # fmt: skip
    await _write_profile(session, catalog, organisation_id, profile)
    await knowledge_documents.refresh(session, organisations=[organisation_id])
    await _announce(session, "organisation.created", await find(session, actor, catalog, slug))
    return await get(session, actor, catalog, slug)


async def current_profile(session: AsyncConnection, catalog: Catalog, slug: str) -> Profile:
    """The whole stored profile, for an editor (the edit form, a patch, the import)."""
    org = (await session.execute(select(Organisation).where(Organisation.slug == slug))).first()
    if org is None:
        raise not_found("organisation")
    topics = await session.scalars(
        select(Topic.slug)
        .join(OrganisationTopic, OrganisationTopic.topic_id == Topic.id)
        .where(OrganisationTopic.organisation_id == org.id)
        .order_by(Topic.slug)
    )
    activities = await session.execute(
        select(OrganisationActivity.title, OrganisationActivity.started_on,
               OrganisationActivity.ended_on, OrganisationActivity.description)
        .where(OrganisationActivity.organisation_id == org.id)
        .order_by(OrganisationActivity.started_on.desc(), OrganisationActivity.id)
    )  # fmt: skip
    return Profile(
        name=org.name,
        country=org.country_code,
        kind=org.kind,
        website=org.website,
        email=org.email,
        email_visibility=org.email_visibility,
        phone=org.phone,
        phone_visibility=org.phone_visibility,
        description=org.description,
        languages=tuple(org.languages),
        topics=tuple(topics),
        uncac_chapters=tuple(org.uncac_chapters),
        uncac_articles=tuple(org.uncac_articles),
        activities=tuple(Activity(*a) for a in activities),
    )


async def update_profile(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    slug: str,
    changes: dict[str, Any],
    *,
    verified: bool | None = None,
) -> tuple[View, bool]:
    """Change the named fields of `Profile` (and, for admins, `verified`); answers the
    profile and whether anything changed (nothing changed: no event)."""
    found = await find(session, actor, catalog, slug)
    check_can_edit_organisation(actor, await tie(session, actor, found.id))
    if verified is not None:
        check_can_verify_organisation(actor)
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], "No such field.", "unknown_field")
    before = await current_profile(session, catalog, slug)
    after = check_profile(dataclasses.replace(before, **changes), catalog)
    changed = after != before
    if changed:
        await _write_profile(session, catalog, found.id, after)
    if verified is not None:
        flipped = await session.scalar(
            update(Organisation)
            .where(Organisation.id == found.id, Organisation.verified != verified)
            .values(verified=verified, updated_at=func.now())
            .returning(Organisation.id)
        )
        changed = changed or flipped is not None
    if changed:
        await knowledge_documents.refresh(session, organisations=[found.id])
        # The country may have moved it to another region: announce where it is now.
        await _announce(session, "organisation.updated", await find(session, actor, catalog, slug))
    return await get(session, actor, catalog, slug), changed


async def current(
    session: AsyncConnection, slugs: Collection[str]
) -> dict[str, tuple[dict[str, Any], str]]:
    """These organisations' events as they may be told now (`forum.feed`): the slug, to
    the audience of the region the organisation is in now; gone ones are left out."""
    rows = await session.execute(
        select(Organisation.slug, Region.visibility)
        .join(Country, Country.code == Organisation.country_code)
        .join(Region, Region.id == Country.region_id)
        .where(Organisation.slug.in_(list(slugs)))
    )
    return {r.slug: ({"organisation": r.slug}, region_audience(r.visibility)) for r in rows}

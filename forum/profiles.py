"""A member's profile as a reader may see it (`/members/<handle>`): their name, handle,
since when they are a member, and the organisations they chose to show
(`permissions.affiliation_shown`) that the reader may read. Nothing else: not their
email, role, suspension or organisations they keep to themselves. Tables `users`,
`affiliations`, `organisations`, through Core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import handles
from forum.catalog import Catalog
from forum.models import Affiliation, Organisation, User
from forum.permissions import Actor, affiliation_shown, can_read_organisation


@dataclass(frozen=True)
class ShownOrganisation:
    slug: str
    name: str


@dataclass(frozen=True)
class Profile:
    user_id: int
    display_name: str
    handle: str
    member_since: datetime
    organisations: list[ShownOrganisation]
    moved: bool  # reached by a handle the member used before: redirect to `handle`


async def profile(session: AsyncConnection, actor: Actor, catalog: Catalog, handle: str) -> Profile:
    """404 for a handle nobody has or had."""
    found = await handles.resolve(session, handle)
    row = (
        await session.execute(
            select(User.display_name, User.created_at).where(User.id == found.user_id)
        )
    ).one()
    # Uses index: pk_affiliations (user_id first)
    ties = await session.execute(
        select(Organisation.slug, Organisation.name, Organisation.country_code, Affiliation.shown)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .where(Affiliation.user_id == found.user_id)
        .order_by(Organisation.name)
    )
    countries = {c.code: c for c in catalog.countries}
    shown = []
    for tie in ties:
        country = countries.get(tie.country_code)
        region = catalog.region_by_id(country.region_id) if country else None
        if region is None or not can_read_organisation(actor, region.visibility):
            continue
        # The profile shows what the member shows to everyone; what their representatives
        # or admins also see stays on the organisation's page.
        if affiliation_shown(tie.shown):
            shown.append(ShownOrganisation(tie.slug, tie.name))
    return Profile(found.user_id, row.display_name, found.handle, row.created_at, shown,
                   found.moved)  # fmt: skip

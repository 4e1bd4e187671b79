"""Which regions each moderator moderates (`moderated_regions`): what scopes their
powers (`permissions.check_can_moderate_in`), the applications they decide and the audit
entries they read. Admins set them (`assign`: the page `/admin/moderators`, the API and
`forum moderator`). Tables `moderated_regions` and `users`, through Core statements."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, events
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import ModeratedRegion, Role, User
from forum.permissions import Actor, check_can_administer, user_audience

MAX_LISTED = 500  # moderators on the admins' page; a forum has tens


async def regions_of(session: AsyncConnection, actor: Actor) -> list[int]:
    """The ids of the regions `actor` moderates (none for anyone but a moderator)."""
    if actor.user_id is None:
        return []
    found = await session.scalars(
        select(ModeratedRegion.region_id).where(ModeratedRegion.user_id == actor.user_id)
    )
    return list(found)


@dataclass(frozen=True)
class Moderator:
    user_id: int
    name: str
    role: str
    regions: list[str]  # slugs, in the catalog's order


def _slugs(catalog: Catalog, region_ids: list[int]) -> list[str]:
    chosen = set(region_ids)
    return [r.slug for r in catalog.regions if r.id in chosen]


async def listing(session: AsyncConnection, actor: Actor, catalog: Catalog) -> list[Moderator]:
    """Every moderator with their regions, by name (admins only)."""
    check_can_administer(actor)
    rows = await session.execute(
        select(User.id, User.display_name, User.role,
               func.array_remove(func.array_agg(ModeratedRegion.region_id), None))
        .outerjoin(ModeratedRegion, ModeratedRegion.user_id == User.id)
        .where(User.role == Role.MODERATOR.value)
        .group_by(User.id)
        .order_by(User.display_name, User.id)
        .limit(MAX_LISTED)
    )  # fmt: skip
    return [Moderator(r[0], r[1], r[2], _slugs(catalog, r[3])) for r in rows]


async def assign(
    session: AsyncConnection, by: Actor | None, catalog: Catalog, user_id: int, regions: list[str]
) -> Moderator:
    """The member moderates these regions (region slugs) and no others; none makes them a
    plain member again; an admin stays an admin. `by` None is the operator (`forum
    moderator`); anyone else must be an admin. Their sockets follow at once
    (`user.role_changed`, on their own channel)."""
    if by is not None:
        check_can_administer(by)
    ids = {r.slug: r.id for r in catalog.regions}
    unknown = sorted(set(regions) - set(ids))
    if unknown:
        raise invalid("regions", f"No such region: {', '.join(unknown)}.", "unknown_region")
    chosen = sorted({ids[slug] for slug in regions})
    found = (
        await session.execute(
            select(User.display_name, User.role).where(User.id == user_id).with_for_update()
        )
    ).first()
    if found is None:
        raise not_found("user")
    if found.role == Role.APPLICANT.value:
        raise DomainError(
            Kind.CONFLICT, "not_approved_yet", "An applicant must be approved as a member first."
        )
    before = await regions_of(session, Actor(user_id, Role(found.role)))
    role = found.role
    if role != Role.ADMIN.value:
        role = (Role.MODERATOR if chosen else Role.MEMBER).value
        await session.execute(update(User).where(User.id == user_id).values(role=role))
    await session.execute(delete(ModeratedRegion).where(ModeratedRegion.user_id == user_id))
    if chosen:
        await session.execute(
            upsert(ModeratedRegion), [{"user_id": user_id, "region_id": r} for r in chosen]
        )
    audience = user_audience(user_id)
    await events.append(session, "user.role_changed", [audience], audience, {"user_id": user_id})
    await audit.record(
        session, by, "moderator.assign", ("user", user_id),
        before={"role": found.role, "regions": _slugs(catalog, before)},
        after={"role": role, "regions": _slugs(catalog, chosen)},
    )  # fmt: skip
    return Moderator(user_id, found.display_name, role, _slugs(catalog, chosen))

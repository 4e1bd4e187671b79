"""Members' affiliations with organisations: joining, being named, showing, leaving.

Table `affiliations`, through SQLAlchemy Core. Who may do which is the policy's
(`permissions.check_can_affiliate` and its neighbours); every change appends
`affiliation.changed` to the member's channel, and to the organisation's region channel
when the affiliation is shown (`permissions.affiliation_audience`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, names
from forum.catalog import Catalog
from forum.errors import invalid, not_found
from forum.models import Affiliation, AffiliationRole, Country, Organisation, Region, User
from forum.organisations import Found, Member, find, tie
from forum.permissions import (
    Actor,
    affiliation_audience,
    check_can_affiliate,
    check_can_end_affiliation,
    check_can_show_affiliation,
    user_audience,
)


async def member_named(session: AsyncConnection, display_name: str) -> int:
    """The account with this display name as people read it (`forum.names.key`), for
    forms where a representative names a colleague."""
    user_id = await session.scalar(
        select(User.id).where(User.display_name_key == names.key(display_name))
    )
    if user_id is None:
        raise invalid("display_name", "No member has this name.", "unknown_member")
    return user_id


async def _user_exists(session: AsyncConnection, user_id: int) -> None:
    if await session.scalar(select(User.id).where(User.id == user_id)) is None:
        raise invalid("user_id", "No such member.", "unknown_user")


async def _affiliation_event(
    session: AsyncConnection, found: Found, user_id: int, role: str | None, shown: bool
) -> None:
    channels = [f"user:{user_id}"] + ([f"region:{found.region}"] if shown else [])
    await events.append(
        session,
        "affiliation.changed",
        channels,
        affiliation_audience(user_id, shown, found.region_visibility),
        {"organisation": found.slug, "user_id": user_id, "role": role, "shown": shown},
    )


async def affiliate(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    slug: str,
    *,
    user_id: int,
    role: str = AffiliationRole.MEMBER.value,
    shown: bool | None = None,
) -> Member:
    """Add a member to the organisation, or change their role. `shown` only counts when
    members add themselves (whether it is shown is theirs to say): others add them
    unshown, and a role change keeps their choice."""
    if role not in {r.value for r in AffiliationRole}:
        raise invalid("role", "Choose member or representative.", "invalid_role")
    found = await find(session, actor, catalog, slug)
    check_can_affiliate(actor, user_id, role, await tie(session, actor, found.id))
    await _user_exists(session, user_id)
    own = actor.user_id == user_id
    values = {"user_id": user_id, "organisation_id": found.id, "role": role,
              "shown": bool(shown) if own else False}  # fmt: skip
    set_ = {"role": role} | ({"shown": bool(shown)} if own and shown is not None else {})
    row = (
        await session.execute(
            upsert(Affiliation)
            .values(**values)
            .on_conflict_do_update(
                index_elements=[Affiliation.user_id, Affiliation.organisation_id], set_=set_
            )
            .returning(Affiliation.role, Affiliation.shown)
        )
    ).one()
    await _affiliation_event(session, found, user_id, row.role, row.shown)
    name = await session.scalar(select(User.display_name).where(User.id == user_id))
    return Member(user_id, name or "", row.role, row.shown)


async def show(
    session: AsyncConnection, actor: Actor, catalog: Catalog, slug: str, shown: bool
) -> Member:
    """The member's own choice: show their affiliation to the profile's readers or not."""
    found = await find(session, actor, catalog, slug)
    check_can_show_affiliation(actor, actor.user_id or 0)
    row = (
        await session.execute(
            update(Affiliation)
            .where(and_(Affiliation.user_id == actor.user_id,
                        Affiliation.organisation_id == found.id))
            .values(shown=shown)
            .returning(Affiliation.role, Affiliation.shown)
        )
    ).first()  # fmt: skip
    if row is None:
        raise not_found("affiliation")
    # Hiding it tells only the member; the readers who saw it shown learn it on reload.
    await _affiliation_event(session, found, actor.user_id or 0, row.role, row.shown)
    return Member(actor.user_id or 0, "", row.role, row.shown)


async def end(
    session: AsyncConnection, actor: Actor, catalog: Catalog, slug: str, user_id: int
) -> None:
    """Leave (oneself) or remove a member (admins and representatives)."""
    found = await find(session, actor, catalog, slug)
    check_can_end_affiliation(actor, user_id, await tie(session, actor, found.id))
    gone = await session.scalar(
        delete(Affiliation)
        .where(Affiliation.user_id == user_id, Affiliation.organisation_id == found.id)
        .returning(Affiliation.shown)
    )
    if gone is None:
        raise not_found("affiliation")
    await _affiliation_event(session, found, user_id, None, gone)


async def current(
    session: AsyncConnection, keys: Collection[tuple[str, int]]
) -> dict[tuple[str, int], tuple[dict[str, Any], str]]:
    """These affiliations (organisation slug, member) as they are now, each with the
    audience that may hear of it now (`forum.feed`): one hidden since, or ended, reaches
    only its member, so replay never tells others what the member no longer shows."""
    wanted = list(keys)
    rows = await session.execute(
        select(Organisation.slug, Affiliation.user_id, Affiliation.role, Affiliation.shown,
               Region.visibility)
        .join(Organisation, Organisation.id == Affiliation.organisation_id)
        .join(Country, Country.code == Organisation.country_code)
        .join(Region, Region.id == Country.region_id)
        .where(tuple_(Organisation.slug, Affiliation.user_id).in_(wanted))
    )  # fmt: skip
    found: dict[tuple[str, int], tuple[dict[str, Any], str]] = {}
    for r in rows:
        data = {"organisation": r.slug, "user_id": r.user_id, "role": r.role, "shown": r.shown}
        found[(r.slug, r.user_id)] = (data, affiliation_audience(r.user_id, r.shown, r.visibility))
    for slug, user_id in wanted:
        if (slug, user_id) not in found:  # ended
            data = {"organisation": slug, "user_id": user_id, "role": None, "shown": False}
            found[(slug, user_id)] = (data, user_audience(user_id))
    return found

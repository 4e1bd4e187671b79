"""Regions' settings, for admins: a region's description, and whether new members'
posts there wait for a moderator's approval (`forum.approvals`). The `regions` table's
trigger tells every process's catalog at once (`forum.catalog`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit
from forum.errors import invalid, not_found
from forum.models import Region
from forum.permissions import Actor, check_can_change_region_settings

MAX_DESCRIPTION = 2000  # characters
_SETTINGS = (Region.id, Region.slug, Region.name, Region.description, Region.visibility,
             Region.approve_new_members)  # fmt: skip


@dataclass(frozen=True)
class RegionSettings:
    id: int
    slug: str
    name: str
    description: str
    visibility: str
    approve_new_members: bool


async def list_settings(session: AsyncConnection, actor: Actor) -> list[RegionSettings]:
    check_can_change_region_settings(actor)
    rows = await session.execute(select(*_SETTINGS).order_by(Region.name))
    return [RegionSettings(*r) for r in rows]


async def change(
    session: AsyncConnection,
    actor: Actor,
    slug: str,
    *,
    approve_new_members: bool | None = None,
    description: str | None = None,
) -> RegionSettings:
    """Change what is given; what already holds changes nothing and records nothing."""
    check_can_change_region_settings(actor)
    if description is not None:
        description = description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise invalid("description", f"must be at most {MAX_DESCRIPTION} characters",
                          "description_too_long")  # fmt: skip
    row = (
        await session.execute(select(*_SETTINGS).where(Region.slug == slug).with_for_update())
    ).first()
    if row is None:
        raise not_found("region")
    was = RegionSettings(*row)
    wanted: dict[str, Any] = {}
    if approve_new_members is not None and approve_new_members != was.approve_new_members:
        wanted["approve_new_members"] = approve_new_members
    if description is not None and description != was.description:
        wanted["description"] = description
    if not wanted:
        return was
    await session.execute(update(Region).where(Region.id == was.id).values(wanted))
    # The audit log never keeps text: a changed description is recorded as changed.
    before = {_field(k): (getattr(was, k) if k != "description" else False) for k in wanted}
    after = {_field(k): (v if k != "description" else True) for k, v in wanted.items()}
    await audit.record(session, actor, "region.settings", ("region", was.id),
                       region_id=was.id, before=before, after=after)  # fmt: skip
    return RegionSettings(**{**was.__dict__, **wanted})


def _field(name: str) -> str:
    return "description_changed" if name == "description" else name

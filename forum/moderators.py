"""Which regions each moderator moderates (`moderated_regions`): what scopes their
powers (`permissions.check_can_moderate_in`), the applications they decide and the audit
entries they read. Admins set them (`forum moderator`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.models import ModeratedRegion
from forum.permissions import Actor


async def regions_of(session: AsyncConnection, actor: Actor) -> list[int]:
    """The ids of the regions `actor` moderates (none for anyone but a moderator)."""
    if actor.user_id is None:
        return []
    found = await session.scalars(
        select(ModeratedRegion.region_id).where(ModeratedRegion.user_id == actor.user_id)
    )
    return list(found)

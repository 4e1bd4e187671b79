"""The regions of `tests.factories.reference_data` as the catalog holds them, who may read
which, and the regions a reader may read now (the policy over the catalog as the database
holds it, as `search.service.Search.find` asks)."""

from __future__ import annotations

from forum.catalog import RegionEntry
from forum.catalog import load as load_catalog
from forum.db import Database
from forum.models import Role
from forum.permissions import ANONYMOUS, Actor

AFRICA = RegionEntry(1, "africa", "Africa", "", "public")
ASIA = RegionEntry(2, "south-east-asia", "South-East Asia", "", "public")
STAFF_ROOM = RegionEntry(3, "staff-room", "Members' room", "", "members")
PUBLIC = (AFRICA, ASIA)  # what a visitor may read
EVERYONE = (AFRICA, ASIA, STAFF_ROOM)  # what a member may read

VISITOR = ANONYMOUS
MEMBER = Actor(user_id=1, role=Role.MEMBER)
SUSPENDED = Actor(user_id=1, role=Role.MEMBER, suspended=True)


async def readable(db: Database, reader: Actor) -> tuple[RegionEntry, ...]:
    async with db.transaction() as conn:
        catalog = await load_catalog(conn)
    return tuple(catalog.readable_regions(reader))

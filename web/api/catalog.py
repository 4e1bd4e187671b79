"""GET /regions, /topics, /countries."""

from __future__ import annotations

from starlette.requests import Request

from forum import catalog
from web.responses import JSON
from web.unit import unit


async def regions(request: Request) -> JSON:
    async with unit(request) as u:
        found = await catalog.list_regions(u.session, u.actor, await u.catalog())
    return JSON({"regions": found})


async def topics(request: Request) -> JSON:
    async with unit(request) as u:
        found = await catalog.list_topics(u.session, u.actor, await u.catalog())
    return JSON({"topics": found})


async def countries(request: Request) -> JSON:
    async with unit(request) as u:
        found = catalog.list_countries(u.actor, await u.catalog())
    return JSON({"countries": found})

"""GET /regions, /topics, /countries."""

from __future__ import annotations

from starlette.requests import Request

from forum import catalog
from web.responses import JSON
from web.unit import unit


async def regions(request: Request) -> JSON:
    async with unit(request) as u:
        return JSON({"regions": await catalog.list_regions(u.session, u.actor)})


async def topics(request: Request) -> JSON:
    async with unit(request) as u:
        return JSON({"topics": await catalog.list_topics(u.session)})


async def countries(request: Request) -> JSON:
    async with unit(request) as u:
        return JSON({"countries": await catalog.list_countries(u.session, u.actor)})

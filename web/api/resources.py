"""/resources: links to source documents and partners (editors curate them)."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from forum import resources
from forum.resources import Entry
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def list_resources(request: Request) -> JSON:
    async with unit(request) as u:
        found, cursor = await resources.list_resources(
            u.session,
            u.actor,
            await u.catalog(),
            kind=query_text(request, "kind", 32),
            country=query_text(request, "country", 2),
            topic=query_text(request, "topic", 64),
            cursor=query_text(request, "cursor"),
            limit=page_limit(request, 50),
        )
    return JSON({"resources": [dataclasses.asdict(r) for r in found], "next_cursor": cursor})


async def get_resource(request: Request) -> JSON:
    resource_id = path_id(request, "resource_id", "resource")
    async with unit(request) as u:
        view = await resources.get(u.session, u.actor, await u.catalog(), resource_id)
    return JSON(dataclasses.asdict(view))


async def create_resource(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.ResourceCreate)
    async with unit(request) as u:
        view = await resources.create(
            u.session, u.actor, await u.catalog(), Entry(**data.changes())
        )
    return JSON(dataclasses.asdict(view), status_code=201)


async def edit_resource(request: Request) -> JSON:
    resource_id = path_id(request, "resource_id", "resource")
    data, _ = await read_json(request, schemas.ResourceFields)
    async with unit(request) as u:
        view = await resources.update_entry(
            u.session, u.actor, await u.catalog(), resource_id, data.changes()
        )
    return JSON(dataclasses.asdict(view))

"""/moderators, /users/{user_id}/moderated-regions and /users/{user_id}/editor: admins
name moderators and the regions they moderate (`forum.moderators`), and editors
(`forum.editors`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import editors, moderators
from web import schemas
from web.inputs import path_id, read_json
from web.responses import JSON
from web.unit import unit


async def list_moderators(request: Request) -> JSON:
    async with unit(request) as u:
        found = await moderators.listing(u.session, u.actor, await u.catalog())
    return JSON({"moderators": found})


async def set_regions(request: Request) -> JSON:
    user_id = path_id(request, "user_id", "user")
    data, _ = await read_json(request, schemas.ModeratedRegions)
    async with unit(request) as u:
        found = await moderators.assign(
            u.session, u.actor, await u.catalog(), user_id, data.regions
        )
    return JSON(found)


async def set_editor(request: Request) -> JSON:
    user_id = path_id(request, "user_id", "user")
    data, _ = await read_json(request, schemas.EditorIn)
    async with unit(request) as u:
        found = await editors.set_editor(u.session, u.actor, user_id, data.editor)
    return JSON(found)

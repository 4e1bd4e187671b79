"""PATCH /regions/{slug}: admins change a region's settings (`forum.regions_settings`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import regions_settings
from web import schemas
from web.inputs import read_json
from web.responses import JSON
from web.unit import unit


async def change(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.RegionSettingsIn)
    async with unit(request) as u:
        found = await regions_settings.change(
            u.session, u.actor, request.path_params["slug"],
            approve_new_members=data.approve_new_members, description=data.description,
        )  # fmt: skip
    return JSON(_out(found))


async def listing(request: Request) -> JSON:
    async with unit(request) as u:
        found = await regions_settings.list_settings(u.session, u.actor)
    return JSON({"regions": [_out(r) for r in found]})


def _out(r: regions_settings.RegionSettings) -> dict:
    return {"slug": r.slug, "name": r.name, "description": r.description,
            "visibility": r.visibility, "approve_new_members": r.approve_new_members}  # fmt: skip

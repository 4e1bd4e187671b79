"""/users/{user_id}/suspend and /reinstate: moderators and admins suspend a member for a
period or until lifted, and lift it (`forum.moderation.set_suspended`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import moderation
from web import schemas
from web.inputs import path_id, read_json
from web.responses import JSON
from web.unit import unit


async def _set(request: Request, data: schemas.Suspension | schemas.Reinstatement) -> JSON:
    user_id = path_id(request, "user_id", "user")
    until = data.until if isinstance(data, schemas.Suspension) else None
    async with unit(request) as u:
        found = await moderation.set_suspended(
            u.session, u.actor, request.app.state.mailer, user_id,
            suspended=isinstance(data, schemas.Suspension), reason=data.reason, until=until,
        )  # fmt: skip
    return JSON(found)


async def suspend(request: Request) -> JSON:
    return await _set(request, (await read_json(request, schemas.Suspension))[0])


async def reinstate(request: Request) -> JSON:
    return await _set(request, (await read_json(request, schemas.Reinstatement))[0])

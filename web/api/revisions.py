"""A post's earlier versions: reading them and redacting one (`forum.revisions`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import revisions
from web import schemas
from web.inputs import path_id, read_json
from web.responses import JSON
from web.unit import unit


async def list_revisions(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    async with unit(request) as u:
        return JSON(await revisions.history(u.session, u.actor, post_id))


async def redact(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    number = path_id(request, "revision", "revision")
    data, _ = await read_json(request, schemas.Redaction)
    async with unit(request) as u:
        return JSON(await revisions.redact(u.session, u.actor, post_id, number, reason=data.reason))

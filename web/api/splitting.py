"""Splitting and merging threads (`forum.splitting`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import splitting
from web import schemas
from web.inputs import path_id, read_json
from web.responses import JSON
from web.unit import Unit, write


async def split_thread(request: Request) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    data, raw = await read_json(request, schemas.ThreadSplit)

    async def action(u: Unit) -> dict:
        return await splitting.split(
            u.session, u.actor, await u.catalog(), thread_id, post_id=data.post_id,
            title=data.title, region=data.region, topic=data.topic, reason=data.reason,
        )  # fmt: skip

    return await write(request, raw, action, status=201)


async def merge_thread(request: Request) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    data, raw = await read_json(request, schemas.ThreadMerge)

    async def action(u: Unit) -> dict:
        return await splitting.merge(u.session, u.actor, await u.catalog(), thread_id,
                                     into=data.into, reason=data.reason)  # fmt: skip

    return await write(request, raw, action, status=200)

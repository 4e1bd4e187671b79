"""Moderators' actions on threads and posts (`forum.moderation`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import moderation
from web import schemas
from web.inputs import path_id, read_json
from web.responses import JSON
from web.unit import unit


async def _set_flag(request: Request, flag: str, value: bool) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    note, _ = await read_json(request, schemas.ModerationNote, optional=True)
    async with unit(request) as u:
        return JSON(
            await moderation.set_thread_flag(
                u.session, u.actor, await u.catalog(), thread_id, flag, value, reason=note.reason
            )
        )


async def lock_thread(request: Request) -> JSON:
    return await _set_flag(request, "locked", True)


async def unlock_thread(request: Request) -> JSON:
    return await _set_flag(request, "locked", False)


async def pin_thread(request: Request) -> JSON:
    return await _set_flag(request, "pinned", True)


async def unpin_thread(request: Request) -> JSON:
    return await _set_flag(request, "pinned", False)


async def move_thread(request: Request) -> JSON:
    thread_id = path_id(request, "thread_id", "thread")
    data, _ = await read_json(request, schemas.ThreadMove)
    async with unit(request) as u:
        return JSON(
            await moderation.move_thread(
                u.session, u.actor, await u.catalog(), thread_id,
                region=data.region, topic=data.topic, reason=data.reason,
            )
        )  # fmt: skip


async def _on_post(request: Request, verb: str) -> JSON:
    post_id = path_id(request, "post_id", "post")
    note, _ = await read_json(request, schemas.ModerationNote, optional=True)
    async with unit(request) as u:
        return JSON(
            await moderation.on_post(
                u.session, u.actor, await u.catalog(), post_id, verb, reason=note.reason
            )
        )


async def hide_post(request: Request) -> JSON:
    return await _on_post(request, "hide")


async def show_post(request: Request) -> JSON:
    return await _on_post(request, "show")


async def delete_post(request: Request) -> JSON:
    return await _on_post(request, "delete")


async def restore_post(request: Request) -> JSON:
    return await _on_post(request, "restore")

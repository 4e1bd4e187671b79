"""/notifications, /follows, /saved-searches: what a member is told, what they follow."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from forum import follows, notifications, saved_searches
from forum.errors import not_found
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


def _target(request: Request) -> str:
    raw = request.path_params["target"]
    if len(raw) > follows.MAX_TARGET:
        raise not_found("follow")
    return raw


async def follow(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.FollowIn)
    async with unit(request) as u:
        found = await follows.follow(u.session, u.actor, await u.catalog(), _target(request),
                                     data.level, mailing_list=data.mailing_list)  # fmt: skip
    return JSON(dataclasses.asdict(found))


async def unfollow(request: Request) -> JSON:
    async with unit(request) as u:
        stopped = await follows.unfollow(u.session, u.actor, _target(request))
    return JSON({"unfollowed": stopped})


async def my_follows(request: Request) -> JSON:
    async with unit(request) as u:
        found = await follows.mine(u.session, u.actor)
    return JSON({"follows": [dataclasses.asdict(f) for f in found]})


def _saved(saved: saved_searches.Saved) -> dict:
    return dataclasses.asdict(saved) | {"target": saved.target}


async def save_search(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.SavedSearchIn)
    words = await request.app.state.search.words_of(data.q)
    async with unit(request) as u:
        saved = await saved_searches.create(
            u.session, u.actor, await u.catalog(), name=data.name, query=data.q, words=words,
            region=data.region, topic=data.topic, country=data.country, kind=data.kind,
        )  # fmt: skip
    return JSON(_saved(saved), status_code=201)


async def my_saved_searches(request: Request) -> JSON:
    async with unit(request) as u:
        found = await saved_searches.mine(u.session, u.actor, await u.catalog())
    return JSON({"saved_searches": [_saved(s) for s in found]})


async def delete_saved_search(request: Request) -> JSON:
    saved_id = path_id(request, "saved_id", "saved_search")
    async with unit(request) as u:
        await saved_searches.remove(u.session, u.actor, saved_id)
    return JSON({"deleted": True})


async def list_notifications(request: Request) -> JSON:
    async with unit(request) as u:
        page = await notifications.listing(
            u.session, u.actor, await u.catalog(), query_text(request, "cursor"),
            page_limit(request, notifications.PAGE),
        )  # fmt: skip
    return JSON(
        {"notifications": [dataclasses.asdict(n) for n in page.items], "next_cursor": page.next}
    )


async def count(request: Request) -> JSON:
    async with unit(request) as u:
        unread = await notifications.unread(u.session, u.actor, await u.catalog())
    return JSON({"unread": unread})


async def mark_read(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.NotificationsRead, optional=True)
    async with unit(request) as u:
        marked = await notifications.mark_read(u.session, u.actor, data.ids)
    return JSON({"marked": marked})

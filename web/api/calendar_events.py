"""/events: calendar events (workshops, conferences, days), proposed and decided."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from forum import calendar_events
from forum.calendar_events import Details
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def list_events(request: Request) -> JSON:
    past = query_text(request, "when", 8)
    async with unit(request) as u:
        found, cursor = await calendar_events.list_events(
            u.session,
            u.actor,
            await u.catalog(),
            past=past == "past",
            region=query_text(request, "region", 64),
            country=query_text(request, "country", 2),
            status=query_text(request, "status", 16) or "published",
            cursor=query_text(request, "cursor"),
            limit=page_limit(request, 50),
        )
    return JSON({"events": [dataclasses.asdict(e) for e in found], "next_cursor": cursor})


async def get_event(request: Request) -> JSON:
    event_id = path_id(request, "event_id", "event")
    async with unit(request) as u:
        view = await calendar_events.get(u.session, u.actor, await u.catalog(), event_id)
    return JSON(dataclasses.asdict(view))


async def propose_event(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.EventCreate)
    async with unit(request) as u:
        view = await calendar_events.propose(
            u.session,
            u.actor,
            await u.catalog(),
            Details(**data.changes()),  # type: ignore[arg-type]
        )
    return JSON(dataclasses.asdict(view), status_code=201)


async def edit_event(request: Request) -> JSON:
    event_id = path_id(request, "event_id", "event")
    data, _ = await read_json(request, schemas.EventFields)
    async with unit(request) as u:
        view = await calendar_events.update_details(
            u.session, u.actor, await u.catalog(), event_id, data.changes()
        )
    return JSON(dataclasses.asdict(view))


async def publish_event(request: Request) -> JSON:
    event_id = path_id(request, "event_id", "event")
    async with unit(request) as u:
        view = await calendar_events.publish(u.session, u.actor, await u.catalog(), event_id)
    return JSON(dataclasses.asdict(view))


async def decline_event(request: Request) -> JSON:
    event_id = path_id(request, "event_id", "event")
    data, _ = await read_json(request, schemas.EventDecline)
    async with unit(request) as u:
        view = await calendar_events.decline(
            u.session, u.actor, await u.catalog(), event_id, data.reason
        )
    return JSON(dataclasses.asdict(view))

"""Flags: members report posts; the region's moderators and admins handle the cases
(`forum.reports`, `forum.cases`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import cases, reports
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def raise_flag(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    data, _ = await read_json(request, schemas.FlagIn)
    async with unit(request) as u:
        found = await reports.raise_flag(u.session, u.actor, post_id, data.reason, data.text)
    return JSON(found, status_code=201)


async def queue(request: Request) -> JSON:
    async with unit(request) as u:
        found, cursor = await cases.queue(
            u.session, u.actor, await u.catalog(), request.path_params["slug"],
            cursor=query_text(request, "cursor"), limit=page_limit(request, 50),
        )  # fmt: skip
    return JSON({"cases": found, "next_cursor": cursor})


async def case(request: Request) -> JSON:
    case_id = path_id(request, "case_id", "case")
    async with unit(request) as u:
        return JSON(await cases.case(u.session, u.actor, await u.catalog(), case_id))


async def assign(request: Request) -> JSON:
    case_id = path_id(request, "case_id", "case")
    data, _ = await read_json(request, schemas.FlagAssign)
    async with unit(request) as u:
        return JSON(
            await cases.assign(
                u.session, u.actor, await u.catalog(), case_id, to_me=data.to == "me"
            )
        )


async def add_note(request: Request) -> JSON:
    case_id = path_id(request, "case_id", "case")
    data, _ = await read_json(request, schemas.FlagNoteIn)
    async with unit(request) as u:
        return JSON(
            await cases.add_note(u.session, u.actor, await u.catalog(), case_id, data.body),
            status_code=201,
        )


async def resolve(request: Request) -> JSON:
    case_id = path_id(request, "case_id", "case")
    data, _ = await read_json(request, schemas.FlagResolution)
    async with unit(request) as u:
        return JSON(
            await cases.resolve(
                u.session, u.actor, await u.catalog(), request.app.state.mailer, case_id,
                outcome=data.outcome, reason=data.reason, until=data.until,
            )
        )  # fmt: skip

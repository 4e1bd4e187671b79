"""Membership applications: one's own (`/auth/me/application`) and the approvers' queue
(`/applications`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import applications
from forum.errors import not_found
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def mine(request: Request) -> JSON:
    async with unit(request) as u:
        found = await applications.mine(u.session, u.actor)
    if found is None:
        raise not_found("application")
    return JSON(found)


async def apply(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.ApplicationIn)
    async with unit(request) as u:
        found = await applications.submit(
            u.session, u.actor, await u.catalog(), country=data.country,
            motivation=data.motivation, organisation=data.organisation,
            organisation_name=data.organisation_name,
        )  # fmt: skip
    return JSON(found)


async def queue(request: Request) -> JSON:
    async with unit(request) as u:
        found, cursor = await applications.queue(
            u.session,
            u.actor,
            status=query_text(request, "status", 16) or "pending",
            cursor=query_text(request, "cursor"),
            limit=page_limit(request, 50),
        )
    return JSON({"applications": found, "next_cursor": cursor})


async def approve(request: Request) -> JSON:
    application_id = path_id(request, "application_id", "application")
    async with unit(request) as u:
        found = await applications.decide(
            u.session, u.actor, request.app.state.mailer, application_id, approve=True
        )
    return JSON(found)


async def refuse(request: Request) -> JSON:
    application_id = path_id(request, "application_id", "application")
    data, _ = await read_json(request, schemas.Refusal)
    async with unit(request) as u:
        found = await applications.decide(
            u.session, u.actor, request.app.state.mailer, application_id,
            approve=False, reason=data.reason,
        )  # fmt: skip
    return JSON(found)

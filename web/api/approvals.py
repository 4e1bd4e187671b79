"""/regions/{slug}/approvals, /posts/{post_id}/approve and /reject: moderators of the
region and admins decide new members' held posts (`forum.approvals`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import approvals
from web import schemas
from web.inputs import page_limit, path_id, query_text, read_json
from web.responses import JSON
from web.unit import unit


async def queue(request: Request) -> JSON:
    async with unit(request) as u:
        held, next_cursor = await approvals.queue(
            u.session, u.actor, await u.catalog(), request.path_params["slug"],
            cursor=query_text(request, "cursor"), limit=page_limit(request),
        )  # fmt: skip
    return JSON({"posts": held, "next_cursor": next_cursor})


async def approve(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    data, _ = await read_json(request, schemas.ApprovalIn, optional=True)
    async with unit(request) as u:
        found = await approvals.approve(
            u.session, u.actor, await u.catalog(), post_id, body=data.body, title=data.title
        )
    return JSON(found)


async def reject(request: Request) -> JSON:
    post_id = path_id(request, "post_id", "post")
    data, _ = await read_json(request, schemas.RejectionIn)
    async with unit(request) as u:
        await approvals.reject(u.session, u.actor, request.app.state.mailer, post_id,
                               reason=data.reason)  # fmt: skip
    return JSON({"post_id": post_id, "rejected": True})

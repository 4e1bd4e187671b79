"""/audit: the moderators' and admins' actions, for the regions' moderators and admins."""

from __future__ import annotations

from starlette.requests import Request

from forum import audit
from web.inputs import page_limit, query_dates, query_number, query_text
from web.responses import JSON
from web.schemas import MAX_ID
from web.unit import unit


async def entries(request: Request) -> JSON:
    since, until = query_dates(request)
    async with unit(request) as u:
        found, cursor = await audit.entries(
            u.session, u.actor,
            moderator=query_number(request, "moderator", MAX_ID),
            action=query_text(request, "action", 40),
            since=since, until=until,
            cursor=query_text(request, "cursor"), limit=page_limit(request, 50),
        )  # fmt: skip
    return JSON({"entries": found, "next_cursor": cursor})

"""A member's profile, `/members/<handle>`; a handle they used before redirects to the
one they have now."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from forum import profiles
from forum.errors import DomainError, Kind
from web.pages.view import not_found, render, viewer
from web.unit import unit


def profile_url(handle: str) -> str:
    return f"/members/{handle}"


async def profile(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        try:
            found = await profiles.profile(
                u.session, u.actor, await u.catalog(), request.path_params["handle"]
            )
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found(request, reader)
            raise
    if found.moved:
        return RedirectResponse(profile_url(found.handle), status_code=301)
    return render(request, reader, "member.html", member=found)


ROUTES = [Route("/members/{handle}", profile, methods=["GET"])]

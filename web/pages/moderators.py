"""The admins' page of moderators (`/admin/moderators`): who moderates which regions,
naming a member moderator of chosen regions and changing or removing them, with the same
action as the API (`forum.moderators.assign`). Post/Redirect/Get; errors next to the
fields with the input kept."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import affiliations, moderators
from forum.errors import DomainError, Kind
from web import forms
from web.inputs import path_id
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

PAGE = "/admin/moderators"


async def _render(
    request: Request,
    u: Unit,
    reader: Viewer,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    known = await u.catalog()
    found = await moderators.listing(u.session, u.actor, known)
    return render(request, reader, "moderators.html", status, moderators=found,
                  regions=[(r.slug, r.name) for r in known.regions], values=values or {},
                  errors=errors or {}, done=request.query_params.get("done"))  # fmt: skip


async def page(request: Request) -> Response:
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={PAGE}")
        return await _render(request, u, viewer(request, u.current))


async def _assign(request: Request, user_id: int | None) -> Response:
    """Name the member `display_name` (`user_id` None) or change `user_id`'s regions."""
    posted = await forms.read_form(request)
    values: dict[str, object] = {
        "display_name": posted.get("display_name"), "regions": posted.getlist("regions"),
    }  # fmt: skip
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            if user_id is None:
                user_id = await affiliations.member_named(u.session, str(values["display_name"]))
            await moderators.assign(
                u.session, u.actor, await u.catalog(), user_id, posted.getlist("regions")
            )
        except DomainError as failure:
            if failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            status = 409 if failure.kind is Kind.CONFLICT else 422
            return await _render(request, u, reader, values, errors, status)
    return forms.redirect(f"{PAGE}?done={user_id}")


async def name(request: Request) -> Response:
    return await _assign(request, None)


async def change(request: Request) -> Response:
    return await _assign(request, path_id(request, "user_id", "user"))


ROUTES = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE, name, methods=["POST"]),
    Route(PAGE + "/{user_id}", change, methods=["POST"]),
]

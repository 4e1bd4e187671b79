"""The admins' page of regions (`/admin/regions`): each region's description and whether
new members' posts there await a moderator's approval, with the same action as the API
(`forum.regions_settings.change`). Post/Redirect/Get; errors next to the fields."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import regions_settings
from forum.errors import DomainError, Kind
from web import forms, schemas
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

PAGE = "/admin/regions"


async def _render(
    request: Request,
    u: Unit,
    reader: Viewer,
    failed: tuple[str, dict[str, str], dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    found = await regions_settings.list_settings(u.session, u.actor)
    return render(request, reader, "admin_regions.html", status, regions=found, failed=failed,
                  done=request.query_params.get("done"))  # fmt: skip


async def page(request: Request) -> Response:
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={PAGE}")
        return await _render(request, u, viewer(request, u.current))


async def change(request: Request) -> Response:
    slug = request.path_params["slug"]
    posted = await forms.read_form(request)
    values = {"description": posted.get("description"),
              "approve_new_members": "on" if "approve_new_members" in posted else ""}  # fmt: skip
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            data = forms.check(schemas.RegionSettingsIn, {
                "description": values["description"],
                "approve_new_members": bool(values["approve_new_members"])})  # fmt: skip
            await regions_settings.change(
                u.session, u.actor, slug, approve_new_members=data.approve_new_members,
                description=data.description,
            )  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            return await _render(request, u, reader, (slug, values, errors), 422)
    return forms.redirect(f"{PAGE}?done={slug}")


ROUTES = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE + "/{slug}", change, methods=["POST"]),
]

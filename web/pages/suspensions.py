"""Moderators' page for suspending a member (`/users/{user_id}/suspend`), reached from
the audit log: the member's standing, the form (reason, last day optional) and the
button that lifts a suspension, with the same action as the API
(`forum.moderation.set_suspended`). Post/Redirect/Get; errors next to the fields with
the input kept."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import moderation, suspensions
from forum.errors import DomainError, Kind
from web import forms, schemas
from web.inputs import path_id
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

PAGE = "/users/{user_id}/suspend"


def _page_of(user_id: int) -> str:
    return PAGE.format(user_id=user_id)


async def _render(
    request: Request,
    u: Unit,
    reader: Viewer,
    user_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        found = await suspensions.of(u.session, u.actor, user_id)
    except DomainError as failure:
        if failure.kind is Kind.NOT_FOUND:
            return not_found_page(request, reader)
        raise
    return render(request, reader, "suspend.html", status, member=found, values=values or {},
                  errors=errors or {}, done=request.query_params.get("done"))  # fmt: skip


async def form(request: Request) -> Response:
    user_id = path_id(request, "user_id", "user")
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={_page_of(user_id)}")
        return await _render(request, u, viewer(request, u.current), user_id)


async def _act(request: Request, *, suspended: bool) -> Response:
    user_id = path_id(request, "user_id", "user")
    posted = await forms.read_form(request)
    names = ("reason", "until") if suspended else ("reason",)
    values = {name: posted.get(name) for name in names}
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            if suspended:
                sent = {"reason": values["reason"], "until": values["until"] or None}
                data = forms.check(schemas.Suspension, sent)
                reason, until = data.reason, data.until
            else:
                reason, until = values["reason"] or None, None
            await moderation.set_suspended(
                u.session, u.actor, request.app.state.mailer, user_id,
                suspended=suspended, reason=reason, until=until,
            )  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            status = (
                409 if isinstance(failure, DomainError) and failure.kind is Kind.CONFLICT else 422
            )
            return await _render(request, u, reader, user_id, values, errors, status)
    return forms.redirect(f"{_page_of(user_id)}?done={'suspended' if suspended else 'lifted'}")


async def suspend(request: Request) -> Response:
    return await _act(request, suspended=True)


async def reinstate(request: Request) -> Response:
    return await _act(request, suspended=False)


ROUTES = [
    Route(PAGE, form, methods=["GET"]),
    Route(PAGE, suspend, methods=["POST"]),
    Route("/users/{user_id}/reinstate", reinstate, methods=["POST"]),
]

"""The region's approval queue (`/regions/{slug}/approvals`) for its moderators and
admins: each held post with its thread, an edit form prefilled with its text (and a new
thread's title), Approve, and Reject with a reason, with the same actions as the API
(`forum.approvals`). Post/Redirect/Get; errors next to the fields of the post they are
about, with the input kept."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import approvals
from forum.errors import DomainError, Kind
from web import forms, schemas
from web.inputs import path_id, query_text
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

PAGE = "/regions/{slug}/approvals"


async def _render(
    request: Request,
    u: Unit,
    reader: Viewer,
    slug: str,
    failed: tuple[int, dict[str, str], dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    """The queue; `failed`: the post whose form failed, the input kept and the errors."""
    known = await u.catalog()
    try:
        held, next_cursor = await approvals.queue(
            u.session, u.actor, known, slug, cursor=query_text(request, "cursor")
        )
    except DomainError as failure:
        if failure.kind is Kind.NOT_FOUND:
            return not_found_page(request, reader)
        raise
    return render(request, reader, "approvals.html", status, region=known.region(u.actor, slug),
                  held=held, next_cursor=next_cursor, failed=failed,
                  done=request.query_params.get("done"))  # fmt: skip


async def page(request: Request) -> Response:
    slug = request.path_params["slug"]
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={PAGE.format(slug=slug)}")
        return await _render(request, u, viewer(request, u.current), slug)


async def _decide(request: Request, verb: str) -> Response:
    slug = request.path_params["slug"]
    post_id = path_id(request, "post_id", "post")
    posted = await forms.read_form(request)
    names = ("body", "title") if verb == "approve" else ("reason",)
    values = {name: posted.get(name) for name in names if name in posted}
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            if verb == "approve":
                data: Any = forms.check(schemas.ApprovalIn, values)
                await approvals.approve(u.session, u.actor, await u.catalog(), post_id,
                                        body=data.body, title=data.title)  # fmt: skip
            else:
                data = forms.check(schemas.RejectionIn, {"reason": values.get("reason", "")})
                await approvals.reject(u.session, u.actor, request.app.state.mailer, post_id,
                                       reason=data.reason)  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            conflict = isinstance(failure, DomainError) and failure.kind is Kind.CONFLICT
            return await _render(request, u, reader, slug, (post_id, values, errors),
                                 409 if conflict else 422)  # fmt: skip
    done = "approved" if verb == "approve" else "rejected"
    return forms.redirect(f"{PAGE.format(slug=slug)}?done={done}")


async def approve(request: Request) -> Response:
    return await _decide(request, "approve")


async def reject(request: Request) -> Response:
    return await _decide(request, "reject")


ROUTES = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE + "/{post_id}/approve", approve, methods=["POST"]),
    Route(PAGE + "/{post_id}/reject", reject, methods=["POST"]),
]

"""A post's revisions page (`/posts/{post_id}/revisions`): every version, who edited it,
which were redacted, and for moderators of its region and admins a "Redact…" form (a
reason) on each earlier version, with the same action as the API
(`forum.revisions.redact`). Post/Redirect/Get; an error shows next to the reason of the
version it is about, with the input kept."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import revisions
from forum.errors import DomainError
from web import forms
from web.inputs import path_id
from web.links import post_url
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.unit import Unit, unit


def _page_of(post_id: int) -> str:
    return f"/posts/{post_id}/revisions"


async def _render(
    request: Request,
    u: Unit,
    reader: Viewer,
    post_id: int,
    *,
    failed: int | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    # Taken before the read: a redaction or an edit after it reloads an open page.
    since = str(request.app.state.realtime.position)
    history = await revisions.history(u.session, u.actor, post_id)
    return render(
        request, reader, "revisions.html", status, history=history,
        back=post_url(history.thread_id, history.position, history.post_id),
        failed=failed, values=values or {}, errors=errors or {},
        done=request.query_params.get("done"), since=since,
    )  # fmt: skip


async def page(request: Request) -> Response:
    post_id = path_id(request, "post_id", "post")
    async with unit(request) as u:
        return await _render(request, u, viewer(request, u.current), post_id)


async def redact(request: Request) -> Response:
    post_id = path_id(request, "post_id", "post")
    number = path_id(request, "revision", "revision")
    posted = await forms.read_form(request)
    values = {"reason": posted.get("reason")}
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            await revisions.redact(u.session, u.actor, post_id, number, reason=values["reason"])
        except DomainError as failure:
            errors = messages.for_form(failure, reader.gettext)
            status = 409 if failure.code in ("current_revision", "already_redacted") else 422
            return await _render(request, u, reader, post_id, failed=number, values=values,
                                 errors=errors, status=status)  # fmt: skip
    return forms.redirect(f"{_page_of(post_id)}?done={number}#revision-{number}")


ROUTES = [
    Route("/posts/{post_id}/revisions", page, methods=["GET"]),
    Route("/posts/{post_id}/revisions/{revision}/redact", redact, methods=["POST"]),
]

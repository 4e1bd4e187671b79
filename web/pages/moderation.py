"""Moderators' pages: their controls on a thread (`forum.moderation`; the thread page
shows them to those who may use them) and the audit log of their regions
(`forum.audit`), filtered by who acted, the action and the days."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import audit, moderation
from forum.errors import DomainError, invalid
from web import forms
from web.inputs import path_id, query_dates, query_number, query_text
from web.pages import messages
from web.pages.view import render, viewer
from web.schemas import MAX_ID
from web.unit import unit

AUDIT = "/audit"
FILTERS = ("moderator", "action", "from", "to")


async def audit_log(request: Request) -> Response:
    chosen = {name: request.query_params.get(name, "") for name in FILTERS}
    async with unit(request) as u:
        reader = viewer(request, u.current)
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={AUDIT}")
        found, following, errors = [], None, {}
        try:
            since, until = query_dates(request)
            found, following = await audit.entries(
                u.session, u.actor,
                moderator=query_number(request, "moderator", MAX_ID),
                action=query_text(request, "action", 40),
                since=since, until=until, cursor=query_text(request, "cursor"),
            )  # fmt: skip
        except DomainError as failure:
            errors = messages.for_form(failure, reader.gettext)
            status = 422
        else:
            status = 200
    more = None
    if following:
        more = "?" + urlencode({**{k: v for k, v in chosen.items() if v}, "cursor": following})
    actions = [(a, a) for a in audit.ACTIONS]
    return render(request, reader, "audit.html", status, entries=found, more=more,
                  chosen=chosen, actions=actions, errors=errors)  # fmt: skip


# The thread page's buttons: what each one sets.
THREAD_ACTIONS = {
    "lock": ("locked", True),
    "unlock": ("locked", False),
    "pin": ("pinned", True),
    "unpin": ("pinned", False),
}


async def moderate_thread(request: Request) -> Response:
    """Lock, unlock, pin or unpin, then back to the thread; a refusal is its own page."""
    thread_id = path_id(request, "thread_id", "thread")
    form = await forms.read_form(request)
    chosen = THREAD_ACTIONS.get(form.get("do"))
    async with unit(request, form_token=form.token) as u:
        if chosen is None:
            raise invalid("do", "Choose lock, unlock, pin or unpin.", "unknown_action")
        flag, value = chosen
        await moderation.set_thread_flag(u.session, u.actor, await u.catalog(), thread_id,
                                         flag, value)  # fmt: skip
    return forms.redirect(f"/threads/{thread_id}")


ROUTES = [
    Route(AUDIT, audit_log, methods=["GET"]),
    Route("/threads/{thread_id}/moderate", moderate_thread, methods=["POST"]),
]

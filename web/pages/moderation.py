"""Moderators' pages: their controls on a thread and its posts (`forum.moderation`; the
thread page shows them to those who may use them) and the audit log of their regions
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
from web.links import post_url
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


def _unknown(choices: str) -> DomainError:
    return invalid("do", f"Choose {choices}.", "unknown_action")


async def moderate_thread(request: Request) -> Response:
    """Lock, unlock, pin, unpin or move, then back to the thread; a refusal is its own
    page."""
    thread_id = path_id(request, "thread_id", "thread")
    form = await forms.read_form(request)
    do = form.get("do")
    async with unit(request, form_token=form.token) as u:
        known = await u.catalog()
        if do == "move":
            region, topic = form.get("region"), form.get("topic")
            await moderation.move_thread(u.session, u.actor, known, thread_id,
                                         region=region, topic=topic)  # fmt: skip
        elif do in THREAD_ACTIONS:
            flag, value = THREAD_ACTIONS[do]
            await moderation.set_thread_flag(u.session, u.actor, known, thread_id, flag, value)
        else:
            raise _unknown("lock, unlock, pin, unpin or move")
    return forms.redirect(f"/threads/{thread_id}")


async def moderate_post(request: Request) -> Response:
    """Hide, show, delete or restore a post, then back to it in its thread."""
    post_id = path_id(request, "post_id", "post")
    form = await forms.read_form(request)
    do = form.get("do")
    async with unit(request, form_token=form.token) as u:
        if do not in moderation.POST_ACTIONS:
            raise _unknown("hide, show, delete or restore")
        post = await moderation.on_post(u.session, u.actor, await u.catalog(), post_id, do)
    return forms.redirect(post_url(post["thread_id"], post["position"], post["id"]))


ROUTES = [
    Route(AUDIT, audit_log, methods=["GET"]),
    Route("/threads/{thread_id}/moderate", moderate_thread, methods=["POST"]),
    Route("/posts/{post_id}/moderate", moderate_post, methods=["POST"]),
]

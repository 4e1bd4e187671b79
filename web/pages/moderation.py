"""Moderators' controls on a thread and its posts (`forum.moderation`; the thread page
shows them to those who may use them). The audit log's page is `web.pages.audit`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import moderation
from forum.errors import DomainError, invalid
from forum.suspensions import checked_reason
from web import forms
from web.inputs import path_id
from web.links import post_url
from web.unit import unit

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
    """Lock, unlock, pin, unpin or move, with the moderator's optional reason, then back
    to the thread; a refusal is its own page."""
    thread_id = path_id(request, "thread_id", "thread")
    form = await forms.read_form(request)
    do = form.get("do")
    async with unit(request, form_token=form.token) as u:
        known = await u.catalog()
        reason = checked_reason(form.get("reason"), required=False)
        if do == "move":
            region, topic = form.get("region"), form.get("topic")
            await moderation.move_thread(u.session, u.actor, known, thread_id,
                                         region=region, topic=topic, reason=reason)  # fmt: skip
        elif do in THREAD_ACTIONS:
            flag, value = THREAD_ACTIONS[do]
            await moderation.set_thread_flag(u.session, u.actor, known, thread_id, flag, value,
                                             reason=reason)  # fmt: skip
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
        reason = checked_reason(form.get("reason"), required=False)
        post = await moderation.on_post(u.session, u.actor, await u.catalog(), post_id, do,
                                        reason=reason)  # fmt: skip
    return forms.redirect(post_url(post["thread_id"], post["position"], post["id"]))


ROUTES = [
    Route("/threads/{thread_id}/moderate", moderate_thread, methods=["POST"]),
    Route("/posts/{post_id}/moderate", moderate_post, methods=["POST"]),
]

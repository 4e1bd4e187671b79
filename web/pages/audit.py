"""The audit log's page (`/audit`): the entries of the reader's regions (`forum.audit`),
filtered by who acted, the action and the days, each action and target named in the
reader's language rather than by its code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import audit
from forum.errors import DomainError
from web import forms
from web.i18n import N_
from web.inputs import query_dates, query_number, query_text
from web.pages import messages
from web.pages.reviews import field_label as review_field_label
from web.pages.view import render, viewer
from web.schemas import MAX_ID
from web.unit import unit

AUDIT = "/audit"
FILTERS = ("moderator", "action", "from", "to")

# Every action of `forum.audit.ACTIONS`, as the log tells it (a test keeps them in step).
ACTION_LABELS = {
    "post.hide": N_("Post hidden"),
    "post.show": N_("Post shown again"),
    "post.delete": N_("Post deleted"),
    "post.restore": N_("Post restored"),
    "post.edit": N_("Post edited by a moderator"),
    "post.redact": N_("Earlier version of a post redacted"),
    "thread.lock": N_("Thread locked"),
    "thread.unlock": N_("Thread unlocked"),
    "thread.pin": N_("Thread pinned"),
    "thread.unpin": N_("Thread unpinned"),
    "thread.move": N_("Thread moved"),
    "thread.split": N_("Thread split"),
    "thread.merge": N_("Thread merged"),
    "user.suspend": N_("Member suspended"),
    "user.reinstate": N_("Member reinstated"),
    "application.approve": N_("Application approved"),
    "application.refuse": N_("Application refused"),
    "moderator.assign": N_("Moderated regions set"),
    "editor.assign": N_("Editor role set"),
    "flag.assign": N_("Report case taken"),
    "flag.resolve": N_("Report case resolved"),
    "post.approve": N_("Post approved"),
    "post.reject": N_("Post rejected"),
    "event.publish": N_("Event published"),
    "event.decline": N_("Event declined"),
    "event.edit": N_("Event edited"),
    "region.settings": N_("Region's settings changed"),
    "review.edit": N_("Country's UNCAC review changed"),
    "news.approve": N_("News item approved"),
    "news.decline": N_("News item declined"),
    "news.edit": N_("News item edited"),
}
TARGET_LABELS = {
    "post": N_("Post"),
    "thread": N_("Thread"),
    "user": N_("Member"),
    "application": N_("Application"),
    "flag_case": N_("Report case"),
    "region": N_("Region"),
    "review": N_("UNCAC review"),
    "news": N_("News item"),
}

# The fields an entry's before and after hold (`forum.audit.record`'s callers).
FIELD_LABELS = {
    "hidden": N_("Hidden"),
    "deleted": N_("Deleted"),
    "locked": N_("Locked"),
    "pinned": N_("Pinned"),
    "region": N_("Region"),
    "topic": N_("Topic"),
    "suspended": N_("Suspended"),
    "until": N_("Until"),
    "role": N_("Role"),
    "regions": N_("Regions"),
    "user_id": N_("Member"),
    "decided_as": N_("Decided as"),
    "assigned_to": N_("Handled by (member number)"),
    "status": N_("Status"),
    "outcome": N_("Outcome"),
    "thread": N_("Thread"),
    "post_count": N_("Number of posts"),
    "posts": N_("Posts and their positions"),
    "new_thread": N_("New thread"),
    "into": N_("Merged into"),
    "into_post_count": N_("Posts of the thread merged into"),
    "revision": N_("Version"),
    "redacted": N_("Redacted"),
    "pending": N_("Awaiting approval"),
    "edited": N_("Edited"),
    "approve_new_members": N_("New members' posts await a moderator's approval"),
    "description_changed": N_("Description changed"),
}
YES_NO = (N_("no"), N_("yes"))


def _state(values: dict[str, Any] | None, gettext: Callable[[str], str]) -> str:
    """`before` or `after` as the reader reads it: "Hidden: yes", "Regions: africa"."""
    shown = []
    for key, value in (values or {}).items():
        if isinstance(value, bool):
            value = gettext(YES_NO[value])
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "—"
        elif value is None:
            value = "—"
        label = FIELD_LABELS.get(key) or review_field_label(key)  # the key if unknown
        shown.append(f"{gettext(label)}: {value}")
    return "; ".join(shown)


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
    for entry in found:
        entry["change"] = [_state(entry[k], reader.gettext) for k in ("before", "after")]
    named = {code: reader.gettext(label) for code, label in ACTION_LABELS.items()}
    targets = {kind: reader.gettext(label) for kind, label in TARGET_LABELS.items()}
    return render(request, reader, "audit.html", status, entries=found, more=more,
                  chosen=chosen, actions=[(a, named.get(a, a)) for a in audit.ACTIONS],
                  errors=errors, named=named, targets=targets)  # fmt: skip


ROUTES = [Route(AUDIT, audit_log, methods=["GET"])]

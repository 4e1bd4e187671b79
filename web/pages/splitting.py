"""Moderators' pages for splitting a thread from a post on (`/threads/{id}/split?post=`)
and merging it into another thread (`/threads/{id}/merge`), linked from the thread page
for those who may; the same actions as the API (`forum.splitting`). Post/Redirect/Get
to the thread the posts are in now; errors next to the fields with the input kept."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import posts, splitting
from forum.errors import DomainError, Kind, invalid
from web import forms, schemas
from web.inputs import path_id, query_number
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.schemas import MAX_ID
from web.unit import Unit, unit

SPLIT = "/threads/{thread_id}/split"
MERGE = "/threads/{thread_id}/merge"
SPLIT_FIELDS = ("post_id", "title", "region", "topic", "reason")
MERGE_FIELDS = ("into", "reason")
# A thread's number, or any address of it: /threads/42, https://…/threads/42?cursor=…#post-7
_THREAD = re.compile(r"^\s*(?:[1-9][0-9]{0,18}|\S*/threads/([1-9][0-9]{0,18})(?:[/?#]\S*)?)\s*$")


async def _page(
    request: Request,
    u: Unit,
    reader: Viewer,
    template: str,
    thread_id: int,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    known = await u.catalog()
    try:
        offered = await splitting.choices(u.session, u.actor, known, thread_id)
    except DomainError as failure:
        if failure.kind is Kind.NOT_FOUND:
            return not_found_page(request, reader)
        raise
    post = await _post(u, thread_id, values.get("post_id", ""))
    return render(request, reader, template, status, thread=offered.thread, post=post,
                  regions=[(r.slug, r.name) for r in offered.regions],
                  topics=[(t.slug, t.name) for t in known.topics],
                  values=values, errors=errors or {})  # fmt: skip


async def _post(u: Unit, thread_id: int, raw: str) -> dict[str, Any] | None:
    """The post a split starts at, to name it on the form, if it is one of this thread."""
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        return None
    try:
        found = await posts.get(u.session, u.actor, int(raw))
    except DomainError:
        return None
    return found if found["thread_id"] == thread_id else None


async def split_form(request: Request) -> Response:
    thread_id = path_id(request, "thread_id", "thread")
    post_id = query_number(request, "post", MAX_ID)
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={SPLIT.format(thread_id=thread_id)}")
        values = {"post_id": str(post_id or "")}
        return await _page(request, u, viewer(request, u.current), "thread_split.html",
                           thread_id, values)  # fmt: skip


async def merge_form(request: Request) -> Response:
    thread_id = path_id(request, "thread_id", "thread")
    async with unit(request) as u:
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={MERGE.format(thread_id=thread_id)}")
        return await _page(request, u, viewer(request, u.current), "thread_merge.html",
                           thread_id, {})  # fmt: skip


def _number(raw: str) -> int | str:
    """A form's whole number as the API's JSON would carry it (else left as text, which
    the schema refuses next to its field)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else raw


def _thread_number(raw: str) -> int:
    found = _THREAD.match(raw)
    if found is None:
        raise invalid("into", "Give a thread's number or address.", "unknown_thread")
    return int(found.group(1) or raw.strip())


Act = Callable[[Unit, int, dict[str, str]], Awaitable[dict[str, Any]]]


async def _act(request: Request, template: str, fields: tuple[str, ...], act: Act) -> Response:
    """Read the form, run `act(u, thread_id, values)`, go to the thread it answers; or
    show the form again with the errors next to the fields."""
    thread_id = path_id(request, "thread_id", "thread")
    posted = await forms.read_form(request)
    values = {name: posted.get(name) for name in fields}
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        try:
            now = await act(u, thread_id, values)
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = messages.for_form(failure, reader.gettext)
            return await _page(request, u, reader, template, thread_id, values, errors, 422)
    return forms.redirect(f"/threads/{now['id']}")


async def _split(u: Unit, thread_id: int, values: dict[str, str]) -> dict[str, Any]:
    sent = {"post_id": _number(values["post_id"]), "title": values["title"],
            "region": values["region"] or None, "topic": values["topic"] or None,
            "reason": values["reason"] or None}  # fmt: skip
    data = forms.check(schemas.ThreadSplit, sent)
    return await splitting.split(
        u.session, u.actor, await u.catalog(), thread_id, post_id=data.post_id,
        title=data.title, region=data.region, topic=data.topic, reason=data.reason,
    )  # fmt: skip


async def _merge(u: Unit, thread_id: int, values: dict[str, str]) -> dict[str, Any]:
    sent = {"into": _thread_number(values["into"]), "reason": values["reason"] or None}
    data = forms.check(schemas.ThreadMerge, sent)
    return await splitting.merge(u.session, u.actor, await u.catalog(), thread_id,
                                 into=data.into, reason=data.reason)  # fmt: skip


async def split(request: Request) -> Response:
    return await _act(request, "thread_split.html", SPLIT_FIELDS, _split)


async def merge(request: Request) -> Response:
    return await _act(request, "thread_merge.html", MERGE_FIELDS, _merge)


ROUTES = [
    Route(SPLIT, split_form, methods=["GET"]),
    Route(SPLIT, split, methods=["POST"]),
    Route(MERGE, merge_form, methods=["GET"]),
    Route(MERGE, merge, methods=["POST"]),
]

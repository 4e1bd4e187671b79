"""Writing in a browser: starting a thread, replying (quoting a post), previewing the
Markdown, editing one's own posts (moderators: anyone's in their regions) and deleting
one's own (a post's revisions: `web.pages.revisions`).

Each form calls the core as the API does (`web.api.threads`): the API's schemas, the
same rate limit through `unit(request, limit=...)`, the same permission checks and body
limits. A Preview button shows the form again with the body rendered by the code that
renders posts (`forum.posts.preview`), the input kept, nothing stored. A refused form
(a field to correct, a locked thread, too many posts, a login that ended) comes back
with the reader's text and the reason next to the field or atop the form; only a
missing thread or post, or a form token that does not match, is a page of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import idempotency, posts, threads
from forum.errors import DomainError, Kind
from forum.limits import Rule
from forum.permissions import Actor, check_can_change_post, check_can_reply, check_can_write
from web import forms, schemas
from web.errors import STATUS
from web.inputs import path_id, query_number
from web.links import post_url
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.unit import Unit, unit

Errors = dict[str, str]
ONCE = "once"  # the field of a form that creates something: its key (`_once`)


def _quote(body: str) -> str:
    """A post's Markdown as a Markdown quote, ready to answer below."""
    return "\n".join(f"> {line}" if line else ">" for line in body.strip().split("\n")) + "\n\n"


async def _attempt(
    request: Request, token: str, limit: Rule | None, work: Callable[[Unit], Awaitable[Any]]
) -> tuple[Viewer, Any, Errors, int, dict[str, str]]:
    """Run `work` in one unit under `limit`, checking the form's token; a refusal comes
    back as errors for the form (with its status and headers), not as an exception."""
    try:
        async with unit(request, limit, form_token=token) as u:
            reader = viewer(request, u.current)
            return reader, await work(u), {}, 200, {}
    except DomainError as exc:
        if exc.kind is Kind.NOT_FOUND:
            raise  # a page of its own
        reader = getattr(request.state, "viewer", None)
        if not isinstance(reader, Viewer):  # refused before the work (a limit, the token)
            async with unit(request, form_token=token) as u:  # a bad token: its own page
                reader = viewer(request, u.current)
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return reader, None, messages.explain(exc, reader.gettext), STATUS[exc.kind], headers


async def _write(
    request: Request,
    token: str,
    model: type[schemas.Request],
    values: dict[str, Any],
    limit: Rule,
    work: Callable[[Unit, Any], Awaitable[Any]],
) -> tuple[Viewer, Any, Errors, int, dict[str, str]]:
    """Validate `values` with the API's schema, then run `work(unit, data)` under `limit`.
    Values the schema refuses are not counted against the limit, as in the API."""
    try:
        data = forms.check(model, values)
    except ValidationError as exc:
        reader, _, errors, status, headers = await _attempt(request, token, None, _nothing)
        if errors:
            return reader, None, errors, status, headers
        return reader, None, messages.explain(exc, reader.gettext), 422, {}

    async def run(u: Unit) -> Any:
        return await work(u, data)

    return await _attempt(request, token, limit, run)


async def _nothing(u: Unit) -> None:
    return None


async def _preview(
    request: Request, token: str, body: str
) -> tuple[Viewer, str | None, Errors, int, dict[str, str]]:
    async def who(u: Unit, data: Any) -> Actor:
        return u.actor

    reader, actor, errors, status, headers = await _write(
        request, token, schemas.PreviewRequest, {"body": body}, Rule.PREVIEW, who
    )
    if errors:
        return reader, None, errors, status, headers
    try:  # rendered after the transaction: a long body takes a while
        return reader, await posts.preview(actor, body), {}, 200, {}
    except DomainError as exc:
        return reader, None, messages.explain(exc, reader.gettext), STATUS[exc.kind], {}


async def _once(
    u: Unit,
    request: Request,
    key: str,
    values: dict[str, Any],
    create: Callable[[], Awaitable[str]],
) -> str:
    """Where to go after `create`, which runs once per form: the same form sent again (a
    double click, a resend after a lost answer on a slow link) gets the first answer.
    The API's idempotency keys (`forum.idempotency`), per member, apart by a prefix.
    The key names the form and what it holds: a form brought back (the browser's Back)
    and sent with other text is another request, not a conflict."""
    if not key or u.actor.user_id is None:
        return await create()  # refused by the core if no one is logged in
    sent = hashlib.sha256(f"{request.url.path}\n{sorted(values.items())!r}".encode()).digest()
    scope, key = f"user:{u.actor.user_id}", f"form:{key[:64]}:{sent.hex()[:32]}"
    stored = await idempotency.claim(u.session, scope, key, sent)
    if stored is not None:
        return str(stored.response["location"])
    location = await create()
    await idempotency.record(u.session, scope, key, 303, {"location": location})
    return location


def _answer(response: Response, headers: dict[str, str]) -> Response:
    response.headers.update(headers)
    return response


# Starting a thread ---------------------------------------------------------------------


def _thread_form(request: Request, reader: Viewer, known: Any, **context: Any) -> Response:
    actor = reader.actor
    return render(
        request,
        reader,
        "thread_new.html",
        regions=[(r.slug, r.name) for r in known.readable_regions(actor)],
        topics=[(t.slug, t.name) for t in known.topics],
        countries=[(c.code, c.name) for c in known.readable_countries(actor)],
        **context,
    )


async def new_thread(request: Request) -> Response:
    known = await request.app.state.catalog.current()
    if request.method == "GET":
        async with unit(request) as u:
            reader = viewer(request, u.current)
            check_can_write(u.actor)  # a visitor is sent to log in first
        return _thread_form(request, reader, known, values={}, errors={})

    form = await forms.read_form(request)
    values = {
        "region": form.get("region"),
        "topic": form.get("topic"),
        "title": form.get("title"),
        "body": form.get("body"),
        "countries": form.getlist("countries"),
        "language": form.get("language") or None,
    }
    if "preview" in form:
        reader, html, errors, status, headers = await _preview(request, form.token, values["body"])
        page = _thread_form(
            request,
            reader,
            known,
            values={**values, ONCE: form.get(ONCE)},
            errors=errors,
            preview=html,
            status=status,
        )
        return _answer(page, headers)

    async def start(u: Unit, data: schemas.ThreadCreate) -> str:
        async def create() -> str:
            started = await threads.create_thread(
                u.session,
                u.actor,
                await u.catalog(),
                region=data.region,
                topic=data.topic,
                title=data.title,
                body=data.body,
                countries=data.countries,
                language=data.language,
            )
            return f"/threads/{started['thread']['id']}"

        return await _once(u, request, form.get(ONCE), values, create)

    reader, location, errors, status, headers = await _write(
        request, form.token, schemas.ThreadCreate, values, Rule.POST, start
    )
    if location is not None:
        return forms.redirect(location)
    values[ONCE] = form.get(ONCE)  # nothing was created: the same key serves again
    page = _thread_form(request, reader, known, values=values, errors=errors, status=status)
    return _answer(page, headers)


# Replying ----------------------------------------------------------------------------


async def _thread_head(request: Request, actor: Actor, thread_id: int) -> dict[str, Any]:
    """The thread (title, locked) as `actor` may read it; 404 otherwise."""
    async with request.app.state.db.reader() as connection:
        page = await threads.get_thread(connection, actor, thread_id, limit=1)
    thread: dict[str, Any] = page["thread"]
    return thread


def _reply_form(
    request: Request, reader: Viewer, thread: dict[str, Any], **context: Any
) -> Response:
    return render(
        request,
        reader,
        "post_reply.html",
        thread=thread,
        **context,
    )


async def reply(request: Request) -> Response:
    thread_id = path_id(request, "thread_id", "thread")
    if request.method == "GET":
        quote = query_number(request, "quote", schemas.MAX_ID)
        async with unit(request) as u:
            reader = viewer(request, u.current)
            check_can_write(u.actor)  # a visitor is sent to log in first
            quoted = await posts.get(u.session, u.actor, quote) if quote else None
        thread = await _thread_head(request, reader.actor, thread_id)
        check_can_reply(reader.actor, thread["locked"])
        values: dict[str, Any] = {}
        if quoted is not None and quoted["thread_id"] == thread_id and quoted["body"]:
            values = {"body": _quote(quoted["body"]), "reply_to": quoted["id"]}
        return _reply_form(request, reader, thread, values=values, errors={})

    form = await forms.read_form(request)
    values = {
        "body": form.get("body"),
        "reply_to": form.get("reply_to") or None,
        "language": form.get("language") or None,
    }
    if "preview" in form:
        reader, html, errors, status, headers = await _preview(request, form.token, values["body"])
        thread = await _thread_head(request, reader.actor, thread_id)
        page = _reply_form(
            request,
            reader,
            thread,
            values={**values, ONCE: form.get(ONCE)},
            errors=errors,
            preview=html,
            status=status,
        )
        return _answer(page, headers)

    checked = dict(values)
    if checked["reply_to"] is not None:  # a form sends text; the schema takes a number
        raw = str(checked["reply_to"])
        checked["reply_to"] = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else -1

    async def send(u: Unit, data: schemas.PostCreate) -> str:
        async def create() -> str:
            post = await posts.reply(
                u.session,
                u.actor,
                thread_id,
                body=data.body,
                language=data.language,
                reply_to=data.reply_to,
            )
            return post_url(thread_id, post["position"], post["id"])

        return await _once(u, request, form.get(ONCE), values, create)

    reader, location, errors, status, headers = await _write(
        request, form.token, schemas.PostCreate, checked, Rule.POST, send
    )
    if location is not None:
        return forms.redirect(location)
    values[ONCE] = form.get(ONCE)  # nothing was created: the same key serves again
    thread = await _thread_head(request, reader.actor, thread_id)
    page = _reply_form(request, reader, thread, values=values, errors=errors, status=status)
    return _answer(page, headers)


# One post: its address, editing, deleting, revisions ----------------------------------


async def _own_post(
    request: Request, token: str | None = None, *, editing: bool = False
) -> tuple[Viewer, dict[str, Any]]:
    """The post the path names, for a page that changes it: only its author gets it, or
    for `editing`, a moderator of its region too. `token`: the form's, when it is sent."""
    post_id = path_id(request, "post_id", "post")
    async with unit(request, form_token=token) as u:
        reader = viewer(request, u.current)
        if editing:
            return reader, await posts.editable(u.session, u.actor, post_id)
        post = await posts.get(u.session, u.actor, post_id)
        check_can_change_post(u.actor, post["author"]["id"], post["deleted"])
    return reader, post


async def permalink(request: Request) -> Response:
    """A post's lasting address: the thread page that holds it, scrolled to it."""
    post_id = path_id(request, "post_id", "post")
    async with unit(request) as u:
        viewer(request, u.current)
        post = await posts.get(u.session, u.actor, post_id)
    return forms.redirect(post_url(post["thread_id"], post["position"], post["id"]))


def _edit_form(request: Request, reader: Viewer, post: dict[str, Any], **context: Any) -> Response:
    return render(
        request,
        reader,
        "post_edit.html",
        post=post,
        back=post_url(post["thread_id"], post["position"], post["id"]),
        **context,
    )


async def edit(request: Request) -> Response:
    if request.method == "GET":
        reader, post = await _own_post(request, editing=True)
        values = {"body": post["body"], "language": post["language"]}
        return _edit_form(request, reader, post, values=values, errors={})

    form = await forms.read_form(request)
    reader, post = await _own_post(request, form.token, editing=True)
    values = {"body": form.get("body"), "language": form.get("language") or None}
    if "preview" in form:
        reader, html, errors, status, headers = await _preview(request, form.token, values["body"])
        page = _edit_form(
            request, reader, post, values=values, errors=errors, preview=html, status=status
        )
        return _answer(page, headers)

    async def change(u: Unit, data: schemas.PostEdit) -> dict[str, Any]:
        return await posts.edit(
            u.session, u.actor, post["id"], body=data.body, language=data.language
        )

    reader, changed, errors, status, headers = await _write(
        request, form.token, schemas.PostEdit, values, Rule.EDIT, change
    )
    if changed is not None:
        return forms.redirect(post_url(changed["thread_id"], changed["position"], changed["id"]))
    page = _edit_form(request, reader, post, values=values, errors=errors, status=status)
    return _answer(page, headers)


async def delete(request: Request) -> Response:
    form = await forms.read_form(request) if request.method == "POST" else None
    reader, post = await _own_post(request, form.token if form else None)
    back = post_url(post["thread_id"], post["position"], post["id"])
    if form is None:
        return render(request, reader, "post_delete.html", post=post, back=back, errors={})

    async def remove(u: Unit) -> dict[str, Any]:
        return await posts.delete(u.session, u.actor, post["id"])

    reader, deleted, errors, status, headers = await _attempt(request, form.token, None, remove)
    if deleted is not None:
        return forms.redirect(back)
    page = render(
        request, reader, "post_delete.html", post=post, back=back, errors=errors, status=status
    )
    return _answer(page, headers)


# Before the thread page's route: "/threads/new" is not a thread id.
ROUTES = [
    Route("/threads/new", new_thread, methods=["GET", "POST"]),
    Route("/threads/{thread_id}/reply", reply, methods=["GET", "POST"]),
    Route("/posts/{post_id}", permalink, methods=["GET"]),
    Route("/posts/{post_id}/edit", edit, methods=["GET", "POST"]),
    Route("/posts/{post_id}/delete", delete, methods=["GET", "POST"]),
]

"""The unsubscribe link of notification mail (`forum.mail.unsubscribe`).

`POST /unsubscribe/{token}` unsubscribes at once, with no login and no CSRF token: it is
what a mail client sends for a one-click `List-Unsubscribe` (RFC 8058), and the signed
token is the proof. `GET` only shows a page with a button posting to the same address:
link scanners open every link in a mail, and must not unsubscribe anyone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum.errors import DomainError
from forum.mail import unsubscribe
from web.i18n import N_
from web.pages.recovery import _notice, _private
from web.pages.view import Viewer, reader_viewer, render

PATH = "/unsubscribe/{token}"
_UNUSABLE = N_("This unsubscribe link is not valid. Nothing was changed.")


def _what(reader: Viewer, found: unsubscribe.Unsubscribe) -> str:
    if found.region_name is None:
        return reader.gettext(N_("all notification mail from the forum"))
    return reader.gettext(N_("the mail of each new post in %(region)s")) % {
        "region": found.region_name
    }


def _unusable(request: Request, reader: Viewer) -> Response:
    title = reader.gettext(N_("This link cannot be used"))
    text = reader.gettext(_UNUSABLE)
    return _notice(request, reader, title, text, 400, ("/", N_("Go to the forum")))


Use = Callable[[AsyncConnection, str, str], Awaitable[unsubscribe.Unsubscribe]]
Answer = Callable[[Request, Viewer, unsubscribe.Unsubscribe], Response]


async def _with_token(request: Request, use: Use, answer: Answer) -> Response:
    reader = await reader_viewer(request)
    state = request.app.state
    try:
        async with state.db.transaction() as session:
            found = await use(session, state.settings.secret_key, request.path_params["token"])
    except DomainError as failure:
        if failure.code != "token_unusable":
            raise
        return _unusable(request, reader)
    return answer(request, reader, found)


def _ask(request: Request, reader: Viewer, found: unsubscribe.Unsubscribe) -> Response:
    what = _what(reader, found)
    return _private(render(request, reader, "unsubscribe.html", what=what, done=found.done))


def _done(request: Request, reader: Viewer, found: unsubscribe.Unsubscribe) -> Response:
    title = reader.gettext(N_("You are unsubscribed"))
    text = reader.gettext(N_("You will no longer receive %(what)s.")) % {
        "what": _what(reader, found)
    }
    return _notice(request, reader, title, text, link=("/settings", N_("Your settings")))


async def ask(request: Request) -> Response:
    return await _with_token(request, unsubscribe.what, _ask)


async def confirm(request: Request) -> Response:
    return await _with_token(request, unsubscribe.use, _done)


ROUTES = [Route(PATH, ask, methods=["GET"]), Route(PATH, confirm, methods=["POST"])]

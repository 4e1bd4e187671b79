"""Failures on pages answered as pages: the API's error table picks the status, this
module the words. A request under `/api/` keeps the JSON envelope (`web.errors`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from forum.errors import DomainError, Kind
from web import errors, forms
from web.i18n import N_
from web.pages import messages
from web.pages.view import Viewer, render, viewer

Handler = Callable[[Request, Exception], Awaitable[Response]]

TITLES = {
    400: N_("The request could not be read"),
    401: N_("Log in to take part"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not allowed"),
    413: N_("Too large"),
    415: N_("The request could not be read"),
    422: N_("Not valid"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
    503: N_("Not available right now"),
}
WORDS = {
    400: N_("Your browser sent something the forum could not read. Go back and try again."),
    404: N_("There is nothing here, or you may not see it."),
    413: N_("What you sent is too large for the forum."),
    429: N_("You are going too fast: wait a few minutes and try again."),
    500: N_("Something went wrong on our side. Try again in a moment."),
    503: N_("The forum cannot do this right now: try again in a moment."),
}


def _viewer(request: Request) -> Viewer:
    # The page's own viewer when it got that far; otherwise from cookies and headers.
    found = getattr(request.state, "viewer", None)
    return found if isinstance(found, Viewer) else viewer(request, None)


def page(request: Request, status: int, words: str, headers: dict[str, str] | None) -> Response:
    reader = _viewer(request)
    if status == 401 and request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return forms.redirect("/login?" + urlencode({"next": here}))
    response = render(
        request,
        reader,
        "failure.html",
        status=status,
        title=reader.gettext(TITLES.get(status, TITLES[500])),
        words=words,
    )
    response.headers.update(headers or {})
    return response


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    reader = _viewer(request)
    words = messages.explain(exc, reader.gettext)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    status = errors.STATUS[exc.kind]
    if exc.kind is Kind.NOT_FOUND:
        words = {messages.FORM: reader.gettext(WORDS[404])}
    return page(request, status, " ".join(words.values()), headers)


async def bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.BadRequest)
    return page(request, exc.status, _viewer(request).gettext(WORDS.get(exc.status, WORDS[400])),
                None)  # fmt: skip


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    words = _viewer(request).gettext(WORDS.get(exc.status_code, WORDS[400]))
    return page(request, exc.status_code, words, exc.headers)


async def database_error(request: Request, exc: Exception) -> Response:
    if not errors.database_away(request, exc):
        raise exc
    return page(request, 503, _viewer(request).gettext(WORDS[503]), errors.AWAY_HEADERS)


async def server_error(request: Request, exc: Exception) -> Response:
    errors.log.exception("unhandled error on %s %s", request.method, request.url.path)
    return page(request, 500, _viewer(request).gettext(WORDS[500]), None)


_PAGES: dict[type[Exception], Handler] = {
    DomainError: domain_error,
    errors.BadRequest: bad_request,
    HTTPException: http_error,
    **dict.fromkeys(errors.DATABASE_ERRORS, database_error),
    Exception: server_error,
}


def handlers() -> dict[type[Exception], Handler]:
    """The app's error handlers: the API's envelope under `/api/`, pages elsewhere."""

    def either(kind: type[Exception]) -> Handler:
        api, html = errors.HANDLERS[kind], _PAGES[kind]

        async def handle(request: Request, exc: Exception) -> Response:
            chosen = api if request.url.path.startswith("/api/") else html
            return await chosen(request, exc)

        return handle

    return {kind: either(kind) for kind in errors.HANDLERS}

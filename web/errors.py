"""Maps domain errors and HTTP failures to the error envelope, in one table.

(Websocket close codes are the realtime protocol's: `realtime.protocol.Close`.)"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from forum.db import unavailable
from forum.errors import DomainError, Kind
from web.responses import error

log = logging.getLogger("forum.web")

STATUS = {
    Kind.INVALID: 422,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.RATE_LIMITED: 429,
    Kind.UNAVAILABLE: 503,
}

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


class BadRequest(Exception):
    """The request itself is malformed (size, encoding, syntax): 400 or 413."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def domain_response(exc: DomainError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return error(STATUS[exc.kind], exc.code, exc.message, exc.fields, headers)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return domain_response(exc)


async def bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    return error(exc.status, exc.code, exc.message)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return error(exc.status_code, code, str(exc.detail), headers=exc.headers)


# Seconds a client is asked to wait when the database is away (a restart takes a few).
AWAY_RETRY = 5


def database_away(request: Request, exc: Exception) -> bool:
    """Whether the request failed because the database is away; logged as one line (the
    outage is logged by the event listener too), not as a traceback per request."""
    if not unavailable(exc):
        return False
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return True


async def server_error(request: Request, exc: Exception) -> Response:
    if database_away(request, exc):
        return error(503, Kind.UNAVAILABLE.value, "The forum cannot reach its database: try "
                     "again in a moment.", headers={"Retry-After": str(AWAY_RETRY)})  # fmt: skip
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error(500, "internal_error", "Something went wrong on our side.")


HANDLERS = {
    DomainError: domain_error,
    BadRequest: bad_request,
    HTTPException: http_error,
    Exception: server_error,
}

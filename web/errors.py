"""Maps domain errors and HTTP failures to the error envelope, in one table.

(Websocket close codes are the realtime protocol's: `realtime.protocol.Close`.)"""

from __future__ import annotations

import logging

import asyncpg
from sqlalchemy import exc as db_errors
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
AWAY_HEADERS = {"Retry-After": str(AWAY_RETRY)}
# Where a lost database surfaces: SQLAlchemy's wrappers, the driver's own errors (raw
# connections), a refused connection. Handled here, inside Starlette's error middleware,
# so an outage is one warning line per request, not a traceback from the server as well.
DATABASE_ERRORS = (db_errors.DBAPIError, db_errors.TimeoutError, asyncpg.PostgresError,
                   asyncpg.InterfaceError, OSError)  # fmt: skip


def database_away(request: Request, exc: Exception) -> bool:
    """Whether the request failed because the database is away (503, try again later);
    otherwise the caller re-raises and it is a 500, a failure of ours."""
    if request.scope["type"] != "http" or not unavailable(exc):
        return False
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return True


def away_response() -> Response:
    """The API's answer while the database is away: 503, the envelope, Retry-After."""
    message = "The forum cannot reach its database: try again in a moment."
    return error(503, Kind.UNAVAILABLE.value, message, headers=AWAY_HEADERS)


async def database_error(request: Request, exc: Exception) -> Response:
    if not database_away(request, exc):
        raise exc
    return away_response()


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error(500, "internal_error", "Something went wrong on our side.")


HANDLERS = {
    DomainError: domain_error,
    BadRequest: bad_request,
    HTTPException: http_error,
    **dict.fromkeys(DATABASE_ERRORS, database_error),
    Exception: server_error,
}

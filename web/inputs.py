"""Reading requests: body size, encoding and JSON syntax are checked before any work."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from forum.errors import DomainError, Kind, invalid, not_found
from web.errors import BadRequest

MAX_REQUEST_BYTES = 1024 * 1024
MAX_PAGE = 100
M = TypeVar("M", bound=BaseModel)


async def body_bytes(request: Request) -> bytes:
    """The body, refused with 413 as soon as it is known to be over the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES):
        raise BadRequest(413, "body_too_large", "The request body is over 1 MiB.")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > MAX_REQUEST_BYTES:
            raise BadRequest(413, "body_too_large", "The request body is over 1 MiB.")
    return bytes(chunks)


async def read_json(request: Request, model: type[M], *, optional: bool = False) -> tuple[M, bytes]:
    """The validated body and its raw bytes (for idempotency fingerprints); `optional`:
    no body at all is the model's defaults."""
    raw = await body_bytes(request)
    if optional and not raw:
        return model(), raw
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BadRequest(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "invalid_utf8", "The request body is not valid UTF-8.") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(400, "malformed_json", f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DomainError(Kind.INVALID, "invalid_body", "The body must be a JSON object.")
    try:
        return model.model_validate(data), raw
    except ValidationError as exc:
        fields = {}
        for err in exc.errors(include_url=False, include_input=False):
            name = ".".join(str(p) for p in err["loc"]) or "body"
            fields.setdefault(name, err["msg"])
        raise DomainError(
            Kind.INVALID, "validation_failed", "Some fields are not valid.", fields=fields
        ) from None


def path_id(request: Request, name: str, what: str) -> int:
    """A numeric id from the path; anything that is not a plausible id is simply not found."""
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or int(raw) == 0:
        raise not_found(what)
    return int(raw)


def query_number(request: Request, name: str, largest: int) -> int | None:
    """A whole number from 1 to `largest` in the query string, None when not given."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not 1 <= int(raw) <= largest:
        raise invalid(name, f"Use a whole number from 1 to {largest}.", f"invalid_{name}")
    return int(raw)


def page_limit(request: Request, default: int = 20) -> int:
    return query_number(request, "limit", MAX_PAGE) or default


def query_text(request: Request, name: str, max_length: int = 512) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_length or "\x00" in value:
        raise invalid(name, "The value is not valid.", f"invalid_{name}")
    return value


def query_dates(request: Request) -> tuple[date | None, date | None]:
    """The `from` and `to` days (YYYY-MM-DD, both inclusive) of a query string, each
    optional, in order, or a clear 422 naming the field."""
    since, until = _date(request, "from"), _date(request, "to")
    if since and until and since > until:
        raise invalid("from", "The start date is after the end date.", "invalid_range")
    return since, until


def _date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, "Use a date like 2026-11-28.", f"invalid_{name}") from None

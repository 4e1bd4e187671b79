"""Opaque keyset cursors: the last row's sort key, as URL-safe base64 of JSON.

A cursor comes back from the client, so decoding checks every value against what the
query expects, including ranges the database would otherwise reject with an error.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import orjson

from forum.errors import DomainError, invalid

MAX_CURSOR_LENGTH = 512
MAX_BIGINT = 2**63 - 1
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)

Key = bool | int | datetime | str
MAX_TEXT_KEY = 200  # a name a list is sorted by (`organisations.name` holds 200)


def invalid_cursor() -> DomainError:
    return invalid("cursor", "The cursor is not valid.", "invalid_cursor")


def encode(*key: Key) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode(cursor: str, *types: type, max_int: int = MAX_BIGINT) -> tuple:
    """The sort key a cursor carries, as the expected types, or a clear 422."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_cursor() from None
    if not isinstance(values, list) or len(values) != len(types):
        raise invalid_cursor()
    return tuple(_value(v, t, max_int) for v, t in zip(values, types, strict=True))


def _value(value: object, expected: type, max_int: int) -> Key:
    if expected is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise invalid_cursor() from None
        if parsed.tzinfo is not None and _EARLIEST <= parsed <= _LATEST:
            return parsed
    elif expected is str:
        if isinstance(value, str) and len(value) <= MAX_TEXT_KEY:
            return value
    elif type(value) is expected and (expected is bool or 0 <= value <= max_int):  # type: ignore[operator]
        return value  # type: ignore[return-value]
    raise invalid_cursor()

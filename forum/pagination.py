"""Opaque keyset cursors: the last row's sort key, as URL-safe base64 of JSON."""

from __future__ import annotations

import base64
import binascii

import orjson

from forum.errors import DomainError, invalid

MAX_CURSOR_LENGTH = 512


def invalid_cursor() -> DomainError:
    return invalid("cursor", "The cursor is not valid.", "invalid_cursor")


def encode(*key: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode(cursor: str, *types: type) -> tuple:
    """The sort key a cursor carries, checked against the expected types, or a clear 422."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid_cursor() from None
    if (
        not isinstance(values, list)
        or len(values) != len(types)
        or not all(type(v) is t for v, t in zip(values, types, strict=True))
    ):
        raise invalid_cursor()
    return tuple(values)

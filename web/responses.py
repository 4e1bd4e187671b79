"""JSON responses (orjson: datetimes as RFC 3339) and the one error envelope."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSON:
    return JSON(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status_code=status,
        headers=headers,
    )

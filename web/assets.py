"""Static assets: versioned URLs, so browsers on slow links cache them for good.

A page names `/static/forum.css?v=<content hash>`; such a URL never changes meaning, so it
is served with a year-long immutable cache and a new release simply names a new URL.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DIRECTORY = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def url(name: str) -> str:
    digest = hashlib.sha256((DIRECTORY / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


class Assets(StaticFiles):
    def __init__(self) -> None:
        super().__init__(directory=DIRECTORY)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and scope.get("query_string", b"").startswith(b"v="):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

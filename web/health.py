"""`/healthz` and `/readyz`, for load balancers and orchestrators.

`/healthz`: the process serves (always 200 while it does). `/readyz`: this worker can do
its work: the database answers within a second at the schema this code expects, and the
realtime listener holds its connection; otherwise 503 naming what is not ready. Neither
reads a session or a cookie, and `/readyz` costs one query.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.routing import Route

from forum import migrate
from web.responses import JSON

DATABASE_TIMEOUT = 1.0


async def healthz(request: Request) -> JSON:
    return JSON({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> JSON:
    state = request.app.state
    checks = {"database": "ok", "migrations": "ok", "listener": "ok"}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), state.db.transaction() as session:
            current = set(await session.scalars(text("SELECT version_num FROM alembic_version")))
        if current != migrate.heads():
            checks["migrations"] = "behind"
    except Exception:  # unreachable, too slow, or no schema at all
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    if not state.realtime.listener.connected:
        checks["listener"] = "disconnected"
    ready = all(v == "ok" for v in checks.values())
    return JSON(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


ROUTES = [
    Route("/healthz", healthz, methods=["GET", "HEAD"]),
    Route("/readyz", readyz, methods=["GET", "HEAD"]),
]

"""Server-rendered pages (Jinja2). They work without JavaScript and call the same core."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from forum import catalog, threads
from forum.errors import DomainError, Kind
from web import assets
from web.inputs import path_id, query_text
from web.unit import reader_actor, unit

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), enable_async=False
    )
    env.globals["asset"] = assets.url
    return env


def _render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(_env().get_template(name).render(**context), status_code=status)


async def index(request: Request) -> HTMLResponse:
    async with unit(request) as u:
        regions = await catalog.list_regions(u.session, u.actor)
        latest = await threads.list_threads(u.session, u.actor, limit=15)
    return _render("index.html", regions=regions, latest=latest["threads"], actor=u.actor)


async def region(request: Request) -> HTMLResponse:
    slug = request.path_params["slug"]
    async with unit(request) as u:
        regions = {r["slug"]: r for r in await catalog.list_regions(u.session, u.actor)}
        if slug not in regions:  # unknown, private, or not even a slug
            return _not_found()
        listing = await threads.list_threads(
            u.session, u.actor, region=slug, cursor=query_text(request, "cursor"), limit=30
        )
    return _render("region.html", region=regions[slug], listing=listing, actor=u.actor)


async def thread(request: Request) -> HTMLResponse:
    try:
        thread_id = path_id(request, "thread_id", "thread")
        cursor = query_text(request, "cursor")
        actor = await reader_actor(request)
        # Taken before the read: live updates resume from here, so none can fall in a gap.
        since = str(request.app.state.realtime.hub.position)
        async with request.app.state.db.reader() as reader:
            page = await threads.get_thread(reader, actor, thread_id, cursor=cursor, limit=50)
    except DomainError as exc:
        if exc.kind is Kind.NOT_FOUND:
            return _not_found()
        raise
    return _render("thread.html", page=page, actor=actor, since=since)


def _not_found() -> HTMLResponse:
    return _render("not_found.html", status=404)


ROUTES = [
    Route("/", index, methods=["GET"]),
    Route("/regions/{slug}", region, methods=["GET"]),
    Route("/threads/{thread_id}", thread, methods=["GET"]),
]

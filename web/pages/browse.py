"""Reading: the home page, a region's threads, a thread's posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import catalog, threads
from forum.errors import DomainError, Kind
from web.inputs import path_id, query_text
from web.links import THREAD_PAGE
from web.pages.view import not_found, reader_viewer, render, viewer
from web.unit import unit


async def index(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        regions = await catalog.list_regions(u.session, u.actor, known)
        latest = await threads.list_threads(u.session, u.actor, known, limit=15)
    return render(
        request, reader, "index.html", regions=regions, latest=latest["threads"], named=known.name
    )


async def region(request: Request) -> Response:
    slug = request.path_params["slug"]
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        regions = {r["slug"]: r for r in await catalog.list_regions(u.session, u.actor, known)}
        if slug not in regions:  # unknown, private, or not even a slug
            return not_found(request, reader)
        listing = await threads.list_threads(
            u.session, u.actor, known, region=slug, cursor=query_text(request, "cursor"), limit=30
        )
    return render(
        request, reader, "region.html", region=regions[slug], listing=listing, named=known.name
    )


async def thread(request: Request) -> Response:
    reader = await reader_viewer(request)
    try:
        thread_id = path_id(request, "thread_id", "thread")
        cursor = query_text(request, "cursor")
        # Taken before the read: live updates resume from here, so none can fall in a gap.
        since = str(request.app.state.realtime.position)
        known = await request.app.state.catalog.current()
        async with request.app.state.db.reader() as connection:
            page = await threads.get_thread(
                connection, reader.actor, thread_id, cursor=cursor, limit=THREAD_PAGE
            )
    except DomainError as exc:
        if exc.kind is Kind.NOT_FOUND:
            return not_found(request, reader)
        raise
    return render(request, reader, "thread.html", page=page, since=since, named=known.name)


ROUTES = [
    Route("/", index, methods=["GET"]),
    Route("/regions/{slug}", region, methods=["GET"]),
    Route("/threads/{thread_id}", thread, methods=["GET"]),
]

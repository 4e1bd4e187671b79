"""Server-rendered pages (Jinja2). They work without JavaScript and call the same core."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from forum import catalog, languages, threads
from forum.errors import DomainError, Kind
from search.backend import MAX_PAGE, PER_PAGE
from web import assets
from web.api import search as search_api
from web.inputs import path_id, query_text
from web.links import THREAD_PAGE
from web.unit import reader_actor, unit

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), enable_async=False
    )
    env.globals["asset"] = assets.url
    env.globals["direction"] = languages.direction
    return env


def _render(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(_env().get_template(name).render(**context), status_code=status)


async def index(request: Request) -> HTMLResponse:
    async with unit(request) as u:
        known = await u.catalog()
        regions = await catalog.list_regions(u.session, u.actor, known)
        latest = await threads.list_threads(u.session, u.actor, known, limit=15)
    return _render("index.html", regions=regions, latest=latest["threads"], actor=u.actor)


async def region(request: Request) -> HTMLResponse:
    slug = request.path_params["slug"]
    async with unit(request) as u:
        known = await u.catalog()
        regions = {r["slug"]: r for r in await catalog.list_regions(u.session, u.actor, known)}
        if slug not in regions:  # unknown, private, or not even a slug
            return _not_found()
        listing = await threads.list_threads(
            u.session, u.actor, known, region=slug, cursor=query_text(request, "cursor"), limit=30
        )
    return _render("region.html", region=regions[slug], listing=listing, actor=u.actor)


async def thread(request: Request) -> HTMLResponse:
    try:
        thread_id = path_id(request, "thread_id", "thread")
        cursor = query_text(request, "cursor")
        actor = await reader_actor(request)
        # Taken before the read: live updates resume from here, so none can fall in a gap.
        since = str(request.app.state.realtime.position)
        async with request.app.state.db.reader() as reader:
            page = await threads.get_thread(
                reader, actor, thread_id, cursor=cursor, limit=THREAD_PAGE
            )
    except DomainError as exc:
        if exc.kind is Kind.NOT_FOUND:
            return _not_found()
        raise
    return _render(
        "thread.html",
        page=page,
        actor=actor,
        since=since,
        rtl=" ".join(sorted(languages.RIGHT_TO_LEFT)),
    )


async def search(request: Request) -> HTMLResponse:
    params = [(k, v) for k, v in request.query_params.multi_items() if v]

    def link(**changes: object) -> str:
        kept = [(k, v) for k, v in params if k not in changes and k != "page"]
        added = [(k, str(v)) for k, v in changes.items() if v is not None]
        return "/search?" + urlencode(kept + added)

    def narrow(name: str, value: str) -> str:
        return link(**{name: value})

    context: dict[str, object] = {
        "words": request.query_params.get("q", ""),
        "kept": [(k, v) for k, v in params if k not in ("q", "page")],
        "link": link,
        "narrow": narrow,
        "results": None,
        "error": None,
        "per_page": PER_PAGE,
        "max_page": MAX_PAGE,
        "page": 1,
    }
    if context["words"]:
        try:
            words, filters, page = search_api.read(request)
            actor = await reader_actor(request)
            known = await request.app.state.catalog.current()
            results = await request.app.state.search.find(actor, words, filters, page)
            context.update(results=search_api.view(results, page), page=page, named=known.name)
        except DomainError as exc:
            if exc.kind is not Kind.INVALID:
                raise
            context["error"] = next(iter(exc.fields.values()), exc.message)
    status = 422 if context["error"] else 200
    return _render("search.html", status=status, **context)


def _not_found() -> HTMLResponse:
    return _render("not_found.html", status=404)


ROUTES = [
    Route("/", index, methods=["GET"]),
    Route("/regions/{slug}", region, methods=["GET"]),
    Route("/threads/{thread_id}", thread, methods=["GET"]),
    Route("/search", search, methods=["GET"]),
]

"""The search page: the API's search with the same filters, facets and suggestions."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum.errors import DomainError, Kind
from forum.organisation_fields import UNCAC_ARTICLES
from search.backend import MAX_PAGE, PER_PAGE
from web.api import search as search_api
from web.pages import messages
from web.pages.resources import KIND_LABELS
from web.pages.view import reader_viewer, render

# Filters the page's form offers; others (author, organisation) come from links and are
# kept as they are. Each kind (posts, organisations, experiences, news, events,
# resources) is searched unless the form names one.
_CONTROLS = ("kind", "region", "topic", "country", "uncac", "from", "to")


async def search(request: Request) -> Response:
    reader = await reader_viewer(request)
    params = [(k, v) for k, v in request.query_params.multi_items() if v]

    def link(**changes: object) -> str:
        kept = [(k, v) for k, v in params if k not in changes and k != "page"]
        added = [(k, str(v)) for k, v in changes.items() if v is not None]
        return "/search?" + urlencode(kept + added)

    def narrow(name: str, value: str) -> str:
        return link(**{name: value})

    known = await request.app.state.catalog.current()
    choices = {
        "region": [(r.slug, r.name) for r in known.readable_regions(reader.actor)],
        "topic": [(t.slug, t.name) for t in known.topics],
        "country": [(c.code, c.name) for c in known.readable_countries(reader.actor)],
        "uncac": [(str(a), str(a)) for a in UNCAC_ARTICLES],
    }
    context: dict[str, object] = {
        "words": request.query_params.get("q", ""),
        "chosen": {k: request.query_params.get(k, "") for k in _CONTROLS},
        "choices": choices,
        "kept": [(k, v) for k, v in params if k not in ("q", "page", *_CONTROLS)],
        "link": link,
        "narrow": narrow,
        "results": None,
        "error": None,
        "per_page": PER_PAGE,
        "max_page": MAX_PAGE,
        "page": 1,
        "named": known.name,
        "resource_kinds": {k.value: reader.gettext(v) for k, v in KIND_LABELS.items()},
    }
    if context["words"]:
        try:
            words, filters, page = search_api.read(request)
            results = await request.app.state.search.find(reader.actor, words, filters, page)
            context.update(results=search_api.view(results, page), page=page)
        except DomainError as exc:
            if exc.kind is not Kind.INVALID:
                raise
            context["error"] = " ".join(messages.explain(exc, reader.gettext).values())
    status = 422 if context["error"] else 200
    return render(request, reader, "search.html", status=status, **context)


ROUTES = [Route("/search", search, methods=["GET"])]

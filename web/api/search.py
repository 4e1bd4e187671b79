"""GET /search: posts, threads, organisations, experiences, news, events and resources
across regions, with facets and suggestions."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from forum.errors import invalid
from forum.organisation_fields import UNCAC_ARTICLES
from search.backend import MAX_PAGE, MAX_QUERY, PER_PAGE, Filters, Hit, Kind, Results
from web.inputs import query_dates, query_number
from web.links import hit_url
from web.responses import JSON
from web.schemas import MAX_ID, has_controls
from web.unit import reader_actor

MAX_VALUES = 10  # per repeated filter
_SLUG = re.compile(r"[a-z0-9-]{1,64}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


async def search(request: Request) -> JSON:
    words, filters, page = read(request)
    actor = await reader_actor(request)
    results = await request.app.state.search.find(actor, words, filters, page)
    return JSON(view(results, page))


def read(request: Request) -> tuple[str, Filters, int]:
    """The query string's search, checked value by value: a clear 422 names the field."""
    params = request.query_params
    words = params.get("q", "")
    if len(words) > MAX_QUERY:
        raise invalid("q", f"Use at most {MAX_QUERY} characters.", "query_too_long")
    if has_controls(words):
        raise invalid("q", "The query must not contain control characters.", "invalid_q")
    if not words.strip():
        raise invalid("q", "Type at least one word to search for.", "empty_query")
    since, until = query_dates(request)
    filters = Filters(
        kinds=tuple(Kind(k) for k in _values(request, "kind", _kind)),
        regions=_values(request, "region", _pattern(_SLUG)),
        countries=tuple(c.upper() for c in _values(request, "country", _pattern(_COUNTRY))),
        topics=_values(request, "topic", _pattern(_SLUG)),
        uncac_articles=tuple(int(a) for a in _values(request, "uncac", _article)),
        author=query_number(request, "author", MAX_ID),
        organisation=_organisation(params.get("org")),
        since=since,
        until=until,
    )
    page = query_number(request, "page", MAX_PAGE) or 1
    return words, filters, page


def view(results: Results, page: int) -> dict[str, Any]:
    return {
        "hits": [_hit(hit) for hit in results.hits],
        "facets": results.facets,
        "total": results.total,
        "exact": results.exact,
        "page": page,
        "per_page": PER_PAGE,
        "suggestion": results.suggestion,
        "corrected": results.corrected,
    }


def _hit(hit: Hit) -> dict[str, Any]:
    found: dict[str, Any] = {
        "kind": hit.kind,
        "title": hit.title,
        "snippet": hit.snippet,
        "region": hit.region,
        "topic": hit.topics[0] if hit.topics else None,
        "topics": hit.topics,
        "countries": hit.countries,
        "uncac_articles": hit.uncac_articles,
        "created_at": hit.created_at,
        "language": hit.language,
        "post_id": hit.post_id,
        "thread_id": hit.thread_id,
        "position": hit.position,
        "author": None,
        "organisation": None,
        "experience_id": hit.experience_id,
        "news_id": hit.item_id if hit.kind is Kind.NEWS else None,
        "event_id": hit.item_id if hit.kind is Kind.EVENT else None,
        "resource_id": hit.item_id if hit.kind is Kind.RESOURCE else None,
        "ends_at": hit.ends_at,
        "source": hit.source if hit.kind is Kind.NEWS else None,
        "place": hit.source if hit.kind is Kind.EVENT else None,
        "resource_kind": hit.source if hit.kind is Kind.RESOURCE else None,
        "url": hit_url(hit),
    }
    if hit.post_id is not None:
        found["author"] = {"id": hit.author_id, "name": hit.author_name}
    elif hit.organisation is not None:
        found["organisation"] = {"slug": hit.organisation, "name": hit.organisation_name}
    return found


def _values(request: Request, name: str, check: Any) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v for v in request.query_params.getlist(name) if v))
    if len(values) > MAX_VALUES:
        raise invalid(name, f"Give at most {MAX_VALUES} values.", f"too_many_{name}")
    for value in values:
        if not check(value):
            raise invalid(name, f"Unknown {name}: {value[:64]!r}.", f"unknown_{name}")
    return values


def _pattern(pattern: re.Pattern[str]) -> Any:
    return pattern.fullmatch


def _kind(value: str) -> bool:
    return value in Kind.__members__.values()


def _article(value: str) -> bool:
    return value.isdigit() and len(value) <= 2 and int(value) in UNCAC_ARTICLES


def _organisation(raw: str | None) -> str | None:
    """An organisation's slug (the service refuses one the reader may not read)."""
    if raw is None or not raw.strip():
        return None
    if not _SLUG.fullmatch(raw.strip()):
        raise invalid("org", f"Unknown organisation: {raw[:64]!r}.", "unknown_org")
    return raw.strip()

"""Routes grouped by the start of their path answer exactly as the flat list did."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from web.sections import Section, every_route, grouped


async def _named(request: Request) -> PlainTextResponse:
    # The route the router settled on, as `web.observability` reads it.
    return PlainTextResponse(request.scope["route"].path)


ROUTES = [
    Route("/api/v1/threads/{thread_id}", _named, methods=["GET"]),
    Route("/threads/{thread_id}", _named, methods=["GET"]),
    Route("/", _named, methods=["GET"]),
    Route("/threads/new", _named, methods=["POST"]),
    Route("/api/v1/threads", _named, methods=["POST"]),
]


async def _answers(routes: list) -> list[tuple[int, str, str]]:
    app = Starlette(routes=routes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = []
        for method, path in [
            ("GET", "/threads/new"),  # the parameter route, first in order
            ("POST", "/threads/new"),  # past a 405 to the route that takes POST
            ("DELETE", "/threads/new"),  # 405 naming the first route's methods
            ("GET", "/api/v1/threads/7"),
            ("GET", "/api/v1/threads"),  # 405 from the POST route
            ("GET", "/"),
            ("GET", "/threadsx"),  # not in the /threads section
            ("GET", "/threads/7/"),  # a redirect to /threads/7
        ]:
            r = await client.request(method, path, follow_redirects=False)
            answers.append((r.status_code, r.headers.get("allow", ""), r.text))
        return answers


async def test_grouped_routes_answer_as_the_flat_list_does():
    sections = grouped(ROUTES)
    assert [type(s) for s in sections] == [Section, Section, Route]
    assert every_route(sections) == [ROUTES[0], ROUTES[4], ROUTES[1], ROUTES[3], ROUTES[2]]
    assert await _answers(sections) == await _answers(ROUTES)


def test_a_parameter_as_first_segment_is_refused():
    # Such a route could take paths of any section: grouping would change the answer.
    with pytest.raises(ValueError, match="first segment"):
        grouped([*ROUTES, Route("/{slug}/about", _named)])

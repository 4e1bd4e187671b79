"""The app's routes grouped by the start of their path, so a request is matched only
against the routes that could take it.

Starlette tries every route in order until one matches: a page's path went past the
API's 85 routes and most of the pages' own, some 200 regular expressions, 150-200 us of
the worker's CPU on every request (5% of a thread page's). A `Section` holds the routes
whose paths begin with the same literal segment (`/threads/...`; below the API's prefix,
`/api/v1/threads/...`) and looks inside only for paths that begin so. The route that
answers (or the 405 from the first that takes the path but not the method) is the one
that answered without sections: routes in different sections cannot take the same path,
as no route's first segment is a parameter (`grouped` checks), and within a section
they are tried in their order.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match, NoMatchFound, get_route_path
from starlette.types import Receive, Scope, Send

from web.routes import PREFIX


class Section(BaseRoute):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.below = prefix + "/"
        self.routes: list[BaseRoute] = []

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path != self.prefix and not path.startswith(self.below):
            return Match.NONE, {}
        partial: Scope | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            # The router names the section as the scope's route; the route inside is
            # the one that answers (and the one `web.observability` counts under).
            if match is Match.FULL:
                return match, {**child, "route": route}
            if match is Match.PARTIAL and partial is None:
                partial = {**child, "route": route}
        return (Match.NONE, {}) if partial is None else (Match.PARTIAL, partial)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["route"].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


def _prefix(path: str) -> str | None:
    """The literal start a route's path is grouped by (None for `/` itself)."""
    base = PREFIX if path.startswith(PREFIX + "/") else ""
    first = path[len(base) :].split("/", 2)[1]
    if "{" in first:
        raise ValueError(f"a route's first segment is a parameter: {path}")
    return base + "/" + first if first else None


def grouped(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The same routes, those with a common start in a `Section` where the first of them
    stood (the one that answers a path is the one that answered it before)."""
    found: list[BaseRoute] = []
    sections: dict[str, Section] = {}
    for route in routes:
        prefix = _prefix(getattr(route, "path", "/"))  # no path: left where it stands
        if prefix is None:
            found.append(route)
            continue
        if prefix not in sections:
            sections[prefix] = Section(prefix)
            found.append(sections[prefix])
        sections[prefix].routes.append(route)
    return found


def every_route(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes inside the sections, in the order they are tried."""
    return [r for s in routes for r in (s.routes if isinstance(s, Section) else [s])]

"""A filtered list page: the filters read from the query string, the domain's lister
asked for one keyset page, and the link to the next page keeping the filters.

News, events, resources and experiences list this way. A filter naming nothing the
reader may see (an unknown or members-only region, a country of one) and a bad cursor
answer the 404 page, as if there were no such list. What is listed is the lister's
(`forum.*`): the permission rules are applied there, never here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.permissions import Actor
from web.inputs import query_text
from web.pages.view import Viewer, not_found, render, viewer
from web.unit import unit

MAX_FILTER = 64  # characters of one filter's value (slugs and codes are shorter)


class Lister(Protocol):
    """A domain's list function: one page of what the actor may read, and the cursor of
    the next page (None on the last)."""

    def __call__(
        self,
        session: AsyncConnection,
        actor: Actor,
        catalog: Catalog,
        /,
        *,
        cursor: str | None,
        limit: int,
        **filters: Any,
    ) -> Awaitable[tuple[list[Any], str | None]]: ...


@dataclass(frozen=True)
class Listed:
    reader: Viewer
    known: Catalog
    chosen: dict[str, str | None]  # every filter's value, None when not chosen
    found: list[Any]
    more: str | None  # the query string of the next page, from "?"

    def regions(self) -> list[tuple[str, str]]:
        """The regions the reader may filter by, as (slug, name) options."""
        return [(r.slug, r.name) for r in self.known.readable_regions(self.reader.actor)]

    def countries(self) -> list[tuple[str, str]]:
        return [(c.code, c.name) for c in self.known.readable_countries(self.reader.actor)]

    def topics(self) -> list[tuple[str, str]]:
        return [(t.slug, t.name) for t in self.known.topics]


def next_page(chosen: Mapping[str, str | None], cursor: str | None) -> str | None:
    if not cursor:
        return None
    return "?" + urlencode([*((k, v) for k, v in chosen.items() if v), ("cursor", cursor)])


async def filtered(
    request: Request,
    template: str,
    names: tuple[str, ...],
    lister: Lister,
    limit: int,
    context: Callable[[Listed], Mapping[str, object]],
) -> Response:
    """The list page `template` shows `found`, `more`, `chosen` and `named` (the
    catalog's names), with what `context` adds from the page listed."""
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        chosen = {k: query_text(request, k, MAX_FILTER) or None for k in names}
        try:
            found, cursor = await lister(
                u.session, u.actor, known, **chosen,
                cursor=query_text(request, "cursor"), limit=limit,
            )  # fmt: skip
        except DomainError as exc:
            if exc.kind in (Kind.NOT_FOUND, Kind.INVALID):
                return not_found(request, reader)
            raise
    page = Listed(reader, known, chosen, found, next_page(chosen, cursor))
    return render(request, reader, template, found=found, more=page.more, chosen=chosen,
                  named=known.name, **context(page))  # fmt: skip

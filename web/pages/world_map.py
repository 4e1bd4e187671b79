"""The world map (`/map`): every country of the forum a link to its page, shaded by a
category the handler chooses (for now the forum region it lies in), with a legend and the
same facts as a table. Drawn on the server as inline SVG: no script, nothing from another
host. `/map?region=<slug>` crops the map to one region and names only its countries.

Only what the reader may read is shaded, named or linked: a country of a region the reader
may not read is plain land, like a country the forum does not know (`web.map.draw`).
"""

from __future__ import annotations

import unicodedata

from babel import Locale
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import catalog
from web import map as world_map
from web.inputs import query_text
from web.pages.view import not_found as not_found_page
from web.pages.view import reader_viewer, render


async def page(request: Request) -> Response:
    reader = await reader_viewer(request)
    known = await request.app.state.catalog.current()
    regions = known.readable_regions(reader.actor)
    listed = catalog.list_countries(reader.actor, known)
    slug = query_text(request, "region", 64)
    if slug is not None:
        if slug not in {r.slug for r in regions}:  # unknown, or not this reader's to read
            return not_found_page(request, reader)
        listed = [c for c in listed if c["region"] == slug]
    territories = Locale.parse(reader.locale).territories
    names = {c["code"]: territories.get(c["code"], c["name"]) for c in listed}
    # Shaded by region: the legend lists the regions that have countries, in name order.
    shown = {c["region"] for c in listed}
    legend = [(r.slug, r.name) for r in regions if r.slug in shown]
    categories = {c["code"]: c["region"] for c in listed}
    region_names = {r.slug: r.name for r in regions}
    rows = sorted(
        ({"code": code, "name": names[code], "region": region_names[key], "key": key}
         for code, key in categories.items()),
        key=lambda row: (_sortable(row["region"]), _sortable(row["name"])),
    )  # fmt: skip
    return render(
        request, reader, "map.html",
        shapes=world_map.draw(categories, legend, names),
        view_box=world_map.view_box(categories if slug else None),
        legend=legend, shade=world_map.shades(legend), rows=rows,
        region=region_names[slug] if slug else None, chosen=slug,
        regions=[(r.slug, r.name) for r in regions],
    )  # fmt: skip


def _sortable(name: str) -> str:
    """Accents aside, so that "Égypte" files under E, not after "Zimbabwe"."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()


ROUTES = [Route("/map", page, methods=["GET"])]

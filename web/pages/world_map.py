"""The world map (`/map`): every country of the forum a link to its page, shaded by the
stage its UNCAC review reached in the chosen cycle (`?cycle=N`, the latest by default;
`forum.reviews.stage_by_country`), with a legend and the same facts as a table. Drawn on
the server as inline SVG: no script, nothing from another host. `/map?region=<slug>`
crops the map to one region and names only its countries.

Only what the reader may read is shaded, named or linked: a country of a region the reader
may not read is plain land, like a country the forum does not know (`web.map.draw`).
"""

from __future__ import annotations

import unicodedata

from babel import Locale
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import catalog, reviews
from forum.errors import not_found
from web import map as world_map
from web.i18n import N_
from web.inputs import query_number, query_text
from web.pages.reviews import STAGE_LABELS, chapters
from web.pages.view import not_found as not_found_page
from web.pages.view import reader_viewer, render

NO_STAGE = "none"
NO_STAGE_LABEL = N_("No stage reached yet")


async def page(request: Request) -> Response:
    reader = await reader_viewer(request)
    known = await request.app.state.catalog.current()
    async with request.app.state.db.transaction() as session:
        cycles = await reviews.cycles(session)
        cycle = query_number(request, "cycle", max(n for n, _ in cycles))
        if cycle is None:
            cycle = cycles[-1][0]
        elif cycle not in {n for n, _ in cycles}:
            raise not_found("cycle")
        stages = await reviews.stage_by_country(session, cycle)
    regions = known.readable_regions(reader.actor)
    listed = catalog.list_countries(reader.actor, known)
    slug = query_text(request, "region", 64)
    if slug is not None:
        if slug not in {r.slug for r in regions}:  # unknown, or not this reader's to read
            return not_found_page(request, reader)
        listed = [c for c in listed if c["region"] == slug]
    territories = Locale.parse(reader.locale).territories
    names = {c["code"]: territories.get(c["code"], c["name"]) for c in listed}
    # Shaded by the stage reached, in the review's order; a country with none yet is
    # still the forum's (a link, in the table), shaded apart.
    legend = [(stage, reader.gettext(label)) for stage, label in STAGE_LABELS.items()]
    legend.append((NO_STAGE, reader.gettext(NO_STAGE_LABEL)))
    categories = {c["code"]: stages.get(c["code"], NO_STAGE) for c in listed}
    labels = dict(legend)
    region_names = {r.slug: r.name for r in regions}
    rows = sorted(
        ({"code": c["code"], "name": names[c["code"]], "region": region_names[c["region"]],
          "key": categories[c["code"]], "stage": labels[categories[c["code"]]]}
         for c in listed),
        key=lambda row: (_sortable(row["region"]), _sortable(row["name"])),
    )  # fmt: skip
    return render(
        request, reader, "map.html",
        shapes=world_map.draw(categories, legend, names),
        view_box=world_map.view_box(categories if slug else None),
        legend=legend, shade=world_map.shades(legend), rows=rows,
        region=region_names[slug] if slug else None, chosen=slug,
        regions=[(r.slug, r.name) for r in regions], cycle=cycle,
        cycles=[(number, chapters(numbers)) for number, numbers in cycles],
    )  # fmt: skip


def _sortable(name: str) -> str:
    """Accents aside, so that "Égypte" files under E, not after "Zimbabwe"."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()


ROUTES = [Route("/map", page, methods=["GET"])]

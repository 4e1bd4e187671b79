"""Reading: the home page; threads by region, topic and country; a thread's posts.

Thread lists page by cursor ("Older threads" keeps the filters) and, for members, say
which threads have posts they have not read (`forum.reading`) and link those to
`/threads/{id}/unread`, which opens the thread at the first of them. A member's thread
page records how far they have read; a visitor's writes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from forum import (
    calendar_events,
    cases,
    catalog,
    experiences,
    follows,
    moderators,
    news,
    organisations,
    reading,
    resources,
    splitting,
    threads,
)
from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.permissions import keeps_read_positions
from web import forms
from web.inputs import path_id, query_text
from web.links import THREAD_PAGE, post_url
from web.pages import offer
from web.pages import reviews as review_pages
from web.pages.view import Viewer, reader_viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

LIST_PAGE = 30  # threads per page of a list
SHORT_LIST = 5  # of each kind on a country's page, with a link to the whole list
FILTERS = ("region", "topic", "country")


async def index(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        regions = await catalog.list_regions(u.session, u.actor, known)
        latest = await threads.list_threads(u.session, u.actor, known, limit=15)
    return _render_list(request, reader, known, "index.html", regions=regions,
                        latest=latest["threads"])  # fmt: skip


async def region(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        slug = request.path_params["slug"]
        regions = {r["slug"]: r for r in await catalog.list_regions(u.session, u.actor, known)}
        if slug not in regions:  # unknown, private, or not even a slug
            return not_found_page(request, reader)
        listing = await _listing(request, u, known, region=slug)
        listing["following"] = await follows.one_of(u.session, u.actor, f"region:{slug}")
        moderate = False
        if u.actor.staff:  # the "Moderation" entry: no query for anyone else
            moderated = await moderators.regions_of(u.session, u.actor)
            moderate = offer.moderate(u.actor, known.region(u.actor, slug).id, moderated)
    return _render_list(request, reader, known, "region.html", region=regions[slug],
                        moderate=moderate, **listing)  # fmt: skip


async def topics(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        found = await catalog.list_topics(u.session, u.actor, known)
    return render(request, reader, "topics.html", topics=found)


async def topic(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        slug = request.path_params["slug"]
        found = known.topic(slug)  # unknown: 404
        listing = await _listing(request, u, known, topic=slug)
        listing["following"] = await follows.one_of(u.session, u.actor, f"topic:{found.slug}")
    return _render_list(request, reader, known, "topic.html", topic=found, **listing)


async def countries(request: Request) -> Response:
    reader = await reader_viewer(request)
    known = await request.app.state.catalog.current()
    listed = catalog.list_countries(reader.actor, known)
    by_region = [
        (r, [c for c in listed if c["region"] == r.slug])
        for r in known.readable_regions(reader.actor)
    ]
    return render(request, reader, "countries.html",
                  regions=[(r, found) for r, found in by_region if found])  # fmt: skip


async def country(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        code = request.path_params["code"].upper()
        found = next((c for c in catalog.list_countries(u.actor, known) if c["code"] == code),
                     None)  # fmt: skip
        if found is None:  # unknown, or in a region this reader may not read
            return not_found_page(request, reader)
        # A country lies in one region: only the topic narrows it down.
        listing = await _listing(request, u, known, filters=("topic",), country=code)
        listing["review"] = await review_pages.section(u, reader, known, code)
        listing["following"] = await follows.one_of(u.session, u.actor, f"country:{code}")
        listing["events"] = await calendar_events.for_country(u.session, u.actor, known, code)
        # Each through its domain's lister, which applies the reading rules (members-only
        # regions, proposals): the page adds no rule of its own.
        short = {"country": code, "limit": SHORT_LIST}
        country_news, _ = await news.list_news(u.session, u.actor, known, **short)
        orgs, _ = await organisations.list_organisations(u.session, u.actor, known, **short)
        stories, _ = await experiences.list_experiences(u.session, u.actor, known, **short)
        links, _ = await resources.list_resources(u.session, u.actor, known, **short)
    return _render_list(request, reader, known, "country.html", country=found,
                        country_news=country_news, organisations=orgs, experiences=stories,
                        resources=links, **listing)  # fmt: skip


async def _listing(
    request: Request, u: Unit, known: Catalog, filters: tuple[str, ...] = FILTERS, **fixed: str
) -> dict[str, Any]:
    """One page of threads under the page's own place (`fixed`) and the `filters` in the
    query string, with the link to the next page and the filter form's choices."""
    chosen = {name: query_text(request, name, 64) for name in filters if name not in fixed}
    wanted = {name: value for name, value in chosen.items() if value is not None}
    listing = await threads.list_threads(
        u.session, u.actor, known, **fixed, **wanted,
        cursor=query_text(request, "cursor"), limit=LIST_PAGE,
    )  # fmt: skip
    older = None
    if listing["next_cursor"]:
        older = "?" + urlencode([*wanted.items(), ("cursor", listing["next_cursor"])])
    options = {
        "region": [(r.slug, r.name) for r in known.readable_regions(u.actor)],
        "topic": [(t.slug, t.name) for t in known.topics],
        "country": [(c.code, c.name) for c in known.readable_countries(u.actor)],
    }
    return {
        "listing": listing,
        "older": older,
        "filters": {name: options[name] for name in chosen},
        "chosen": chosen,
    }


def _render_list(
    request: Request, reader: Viewer, known: Catalog, template: str, **context: object
) -> Response:
    return render(request, reader, template, named=known.name,
                  max_counted=reading.MAX_COUNTED, **context)  # fmt: skip


async def thread(request: Request) -> Response:
    thread_id = path_id(request, "thread_id", "thread")
    cursor = query_text(request, "cursor")
    # Taken before the read: live updates resume from here, so none can fall in a gap.
    since = str(request.app.state.realtime.position)
    known = await request.app.state.catalog.current()
    # One pooled connection for the session, the thread and the read position.
    async with request.app.state.db.reader() as connection:
        reader = await reader_viewer(request, connection)
        try:
            page = await threads.get_thread(
                connection, reader.actor, thread_id, cursor=cursor, limit=THREAD_PAGE
            )
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return await _merged_or_not_found(request, reader)
            raise
        previous = page["read_position"]
        last = page["posts"][-1]["position"] if page["posts"] else 0
        if keeps_read_positions(reader.actor) and last > (previous or 0):
            # One autocommitted statement (its own short transaction); reading again
            # what one has read costs nothing more, and visitors write nothing at all.
            await reading.record_direct(connection, reader.actor, thread_id, last)
    new_from = reading.first_new(reader.actor, previous, page["posts"])
    # The Follow control's state, read with the thread (visitors have none).
    following = {"level": page["following"]} if page["following"] else None
    moderate, moves, reported = False, None, {}
    if reader.actor.staff:  # only they may moderate: no query for anyone else
        region_id = known.region(reader.actor, page["thread"]["region"]).id
        async with request.app.state.db.connection() as connection:
            moderated = await moderators.regions_of(connection, reader.actor)
            # The open cases on the page's posts, in one query (their "Reported" links).
            reported = await cases.reported(connection, reader.actor, region_id, moderated,
                                            [p["id"] for p in page["posts"]])  # fmt: skip
        moderate = offer.moderate(reader.actor, region_id, moderated)
        moves = {  # where they may move it: the regions they moderate, any topic
            "region": [(r.slug, r.name) for r in known.readable_regions(reader.actor)
                       if offer.moderate(reader.actor, r.id, moderated)],
            "topic": [(t.slug, t.name) for t in known.topics],
        }  # fmt: skip
    return render(request, reader, "thread.html", page=page, since=since, named=known.name,
                  new_from=new_from, moderate=moderate, moves=moves,
                  reported=reported, following=following)  # fmt: skip


async def _merged_or_not_found(request: Request, reader: Viewer) -> Response:
    """A merged thread's address leads for good to the thread its posts are in now, for
    a reader who may read that one (`forum.splitting`); any other missing thread: 404."""
    async with request.app.state.db.transaction() as session:
        thread_id = int(request.path_params["thread_id"])
        into = await splitting.merged_into(session, reader.actor, thread_id)
    if into is None:
        return not_found_page(request, reader)
    return RedirectResponse(f"/threads/{into}", status_code=301)


async def unread(request: Request) -> Response:
    """The thread at the first post this member has not read; for visitors, the thread."""
    thread_id = path_id(request, "thread_id", "thread")
    reader = await reader_viewer(request)
    if not keeps_read_positions(reader.actor):
        return forms.redirect(f"/threads/{thread_id}")
    async with unit(request) as u:
        try:
            landing = await reading.landing(u.session, u.actor, thread_id)
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return await _merged_or_not_found(request, reader)
            raise
    return forms.redirect(post_url(thread_id, landing.position, landing.post_id))


ROUTES = [
    Route("/", index, methods=["GET"]),
    Route("/regions/{slug}", region, methods=["GET"]),
    Route("/topics", topics, methods=["GET"]),
    Route("/topics/{slug}", topic, methods=["GET"]),
    Route("/countries", countries, methods=["GET"]),
    Route("/countries/{code}", country, methods=["GET"]),
    Route("/threads/{thread_id}", thread, methods=["GET"]),
    Route("/threads/{thread_id}/unread", unread, methods=["GET"]),
]

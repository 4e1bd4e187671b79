"""News in the browser: the list (all regions, one region, one country), one item with
its editors' and moderators' controls, the form to post one (editors publish, members
propose) and the same form to edit one (editors), and each region's Atom feed
(`/regions/{slug}/news.atom`, published items only).

What a reader gets is `forum.news`'s: a proposal is shown only to those who may see it,
on every one of these paths. Forms are real forms with their CSRF field, Post/Redirect/Get.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlencode

from feedgen.feed import FeedGenerator
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import news
from forum.catalog import Catalog
from forum.errors import DomainError, Kind
from forum.permissions import ANONYMOUS, allows, check_can_write
from web import forms, schemas
from web.inputs import path_id
from web.pages import messages
from web.pages.listing import filtered
from web.pages.view import NO_FORM, Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

LIST_PAGE = 30
FEED_SIZE = 50
_ID = re.compile(r"^[0-9]{1,18}$")


async def listing(request: Request) -> Response:
    return await filtered(request, "news.html", ("region", "country"), news.list_news,
                          LIST_PAGE, lambda page: {
                              "regions": page.regions(), "countries": page.countries(),
                              "may_post": allows(check_can_write, page.reader.actor),
                              "saved": request.query_params.get("saved")})  # fmt: skip


async def _item(u: Unit, known: Catalog, request: Request) -> news.View | None:
    """The item the path names, if this reader may read it."""
    news_id = _news_id(request)
    if news_id is None:
        return None
    try:
        return await news.get(u.session, u.actor, known, news_id)
    except DomainError as exc:
        if exc.kind is Kind.NOT_FOUND:
            return None
        raise


async def show(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        item = await _item(u, known, request)
    if item is None:
        return not_found_page(request, reader)
    return render(request, reader, "news_item.html", n=item, named=known.name,
                  saved=request.query_params.get("saved"),
                  edited=request.query_params.get("edited"))  # fmt: skip


def _form_page(
    request: Request,
    reader: Viewer,
    known: Catalog,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    status: int = 200,
    news_id: int | None = None,
) -> Response:
    """The form to post an item, or to edit item `news_id`."""
    action = "/news/new" if news_id is None else f"/news/{news_id}/edit"
    return render(request, reader, "news_form.html", status, values=values,
                  errors=errors or {}, action=action, editing=news_id is not None,
                  regions=[(r.slug, r.name) for r in known.readable_regions(reader.actor)],
                  countries=[(c.code, c.name) for c in known.readable_countries(reader.actor)],
                  topics=[(t.slug, t.name) for t in known.topics])  # fmt: skip


def _news_id(request: Request) -> int | None:
    raw = request.path_params["news_id"]
    return int(raw) if _ID.match(raw) else None


async def new_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
    if not allows(check_can_write, reader.actor):
        return not_found_page(request, reader)
    values = {"title": "", "summary": "", "source_name": "", "source_url": "",
              "published_on": date.today().isoformat(), "region": "", "countries": [],
              "topics": [], "language": reader.locale[:2]}  # fmt: skip
    return _form_page(request, reader, known, values)


async def edit_form(request: Request) -> Response:
    """The item's current values, for those who may edit it; anyone else gets 404."""
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        item = await _item(u, known, request)
    if item is None or not item.may_edit:
        return not_found_page(request, reader)
    values = {name: getattr(item, name) for name in news.ARTICLE_FIELDS}
    values["published_on"] = item.published_on.isoformat()
    return _form_page(request, reader, known, values, news_id=item.id)


async def _save(request: Request, news_id: int | None) -> Response:
    """Post a new item (`news_id` None) or change one: every field of the form is sent,
    so an edit sets them all. Refused input comes back in the form, kept (422)."""
    form = await forms.read_form(request)
    shown: dict[str, object] = {
        **{k: form.get(k).strip() for k in ("title", "summary", "source_name", "source_url",
                                             "published_on", "region")},
        "language": form.get("language").strip().lower(),
        "countries": form.getlist("countries"),
        "topics": form.getlist("topics"),
    }  # fmt: skip
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        try:
            data = forms.check(schemas.NewsCreate, shown)
            if news_id is None:
                made = await news.create(u.session, u.actor, known,
                                         news.Article(**data.changes()))  # fmt: skip
            else:
                made = await news.update_article(u.session, u.actor, known, news_id,
                                                 data.changes())  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind in NO_FORM:
                return not_found_page(request, reader)
            return _form_page(request, reader, known, shown,
                              messages.for_form(failure, reader.gettext), 422,
                              news_id)  # fmt: skip
    return forms.redirect(f"/news/{made.id}?{'saved' if news_id is None else 'edited'}=1")


async def create(request: Request) -> Response:
    return await _save(request, None)


async def edit(request: Request) -> Response:
    news_id = _news_id(request)
    if news_id is None:
        async with unit(request) as u:
            return not_found_page(request, viewer(request, u.current))
    return await _save(request, news_id)


async def decide(request: Request) -> Response:
    """Approve or decline a proposal, then back to it (or to the list, once declined)."""
    news_id = path_id(request, "news_id", "news")
    form = await forms.read_form(request)
    do = form.get("do")
    async with unit(request, form_token=form.token) as u:
        known = await u.catalog()
        if do == "approve":
            await news.approve(u.session, u.actor, known, news_id)
        elif do == "decline":
            await news.decline(u.session, u.actor, known, news_id)
        else:
            raise DomainError(Kind.INVALID, "unknown_action", "Choose approve or decline.",
                              fields={"do": "Choose approve or decline."})  # fmt: skip
    return forms.redirect(f"/news/{news_id}" if do == "approve" else "/news")


async def atom(request: Request) -> Response:
    """The region's published news, newest first, as Atom: a feed reader is a visitor
    (no cookie is trusted here), so a members-only region has no feed."""
    async with unit(request) as u:
        reader = viewer(request, None)
        known = await u.catalog()
        slug = request.path_params["slug"]
        try:
            region = known.region(ANONYMOUS, slug)
            found, _ = await news.list_news(u.session, ANONYMOUS, known, region=slug,
                                            status=news.PUBLISHED, limit=FEED_SIZE)  # fmt: skip
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    base = str(request.base_url).rstrip("/")
    feed = FeedGenerator()
    feed.id(f"{base}/regions/{region.slug}/news.atom")
    feed.title(f"{region.name}: news")
    feed.link(href=f"{base}/news?{urlencode({'region': region.slug})}", rel="alternate")
    feed.link(href=f"{base}/regions/{region.slug}/news.atom", rel="self")
    feed.updated(max((n.created_at for n in found), default=datetime(2000, 1, 1, tzinfo=UTC)))
    for item in reversed(found):  # feedgen puts the last added first
        entry = feed.add_entry()
        entry.id(f"{base}/news/{item.id}")
        entry.title(item.title)
        entry.link(href=item.source_url, rel="alternate")
        entry.link(href=f"{base}/news/{item.id}", rel="related")
        entry.summary(item.summary or item.title)
        entry.author(name=item.source_name)
        entry.published(datetime.combine(item.published_on, time(), tzinfo=UTC))
        entry.updated(item.created_at)
    return Response(feed.atom_str(pretty=False), media_type="application/atom+xml")


ROUTES = [
    Route("/news", listing, methods=["GET"]),
    Route("/news/new", new_form, methods=["GET"]),
    Route("/news/new", create, methods=["POST"]),
    Route("/news/{news_id}", show, methods=["GET"]),
    Route("/news/{news_id}/edit", edit_form, methods=["GET"]),
    Route("/news/{news_id}/edit", edit, methods=["POST"]),
    Route("/news/{news_id}/decide", decide, methods=["POST"]),
    Route("/regions/{slug}/news.atom", atom, methods=["GET"]),
]

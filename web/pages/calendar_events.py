"""Calendar events in the browser: upcoming events by month (filtered by region or
country), past ones as an archive, one event, and iCalendar files (one event, and a
region's feed of published events). Times are written in UTC inside <time> elements (the
script shows them in the reader's own zone) and, next to them, in the event's own zone.
A proposal is shown only to whom `forum.calendar_events` shows it; anyone else gets 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from icalendar import Calendar
from icalendar import Event as ICalEvent
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import calendar_events
from forum.calendar_events import View
from forum.errors import DomainError, Kind
from forum.permissions import ANONYMOUS, allows, check_can_propose
from web import forms, schemas
from web.inputs import query_text
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import unit

LIST_PAGE = 50
_ID = re.compile(r"^[0-9]{1,18}$")
ICS = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class Month:
    label: str
    events: list[View]


def in_own_zone(value: datetime, zone: str, locale: str) -> str:
    """A time as the event's own zone writes it, with the zone's name."""
    when = format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=locale)
    return f"{when} ({zone})"


def _months(found: list[View], locale: str) -> list[Month]:
    months: list[Month] = []
    for e in found:
        local = e.starts_at.astimezone(ZoneInfo(e.time_zone))
        label = format_date(local, "LLLL y", locale=locale)
        if not months or months[-1].label != label:
            months.append(Month(label, []))
        months[-1].events.append(e)
    return months


async def _listing(request: Request, *, past: bool) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        chosen = {k: query_text(request, k, 64) or None for k in ("region", "country")}
        try:
            found, cursor = await calendar_events.list_events(
                u.session, u.actor, known, past=past, **chosen,
                cursor=query_text(request, "cursor"), limit=LIST_PAGE,
            )  # fmt: skip
        except DomainError as exc:
            if exc.kind in (Kind.NOT_FOUND, Kind.INVALID):
                return not_found_page(request, reader)
            raise
    more = None
    if cursor:
        more = "?" + urlencode([*((k, v) for k, v in chosen.items() if v), ("cursor", cursor)])
    return render(request, reader, "events.html", past=past, months=_months(found, reader.locale),
                  more=more, chosen=chosen, named=known.name,
                  may_propose=allows(check_can_propose, reader.actor),
                  in_own_zone=lambda v, z: in_own_zone(v, z, reader.locale),
                  regions=[(r.slug, r.name) for r in known.readable_regions(reader.actor)],
                  countries=[(c.code, c.name)
                             for c in known.readable_countries(reader.actor)])  # fmt: skip


async def upcoming(request: Request) -> Response:
    return await _listing(request, past=False)


async def past(request: Request) -> Response:
    return await _listing(request, past=True)


async def _one(request: Request) -> tuple[Viewer, View | None]:
    raw = request.path_params["event_id"]
    async with unit(request) as u:
        reader = viewer(request, u.current)
        if not _ID.match(raw):
            return reader, None
        try:
            return reader, await calendar_events.get(u.session, u.actor, await u.catalog(),
                                                     int(raw))  # fmt: skip
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return reader, None
            raise


async def show(request: Request) -> Response:
    reader, event = await _one(request)
    if event is None:
        return not_found_page(request, reader)
    return await _event_page(request, reader, event)


async def _event_page(
    request: Request,
    reader: Viewer,
    event: View,
    errors: dict[str, str] | None = None,
    status: int = 200,
    reason: str = "",
) -> Response:
    known = await request.app.state.catalog.current()
    return render(request, reader, "event.html", status, e=event, named=known.name,
                  errors=errors or {}, reason=reason, decided=request.query_params.get("decided"),
                  in_own_zone=lambda v, z: in_own_zone(v, z, reader.locale))  # fmt: skip


async def publish(request: Request) -> Response:
    return await _decide(request, publishing=True)


async def decline(request: Request) -> Response:
    return await _decide(request, publishing=False)


async def _decide(request: Request, *, publishing: bool) -> Response:
    """The decision forms of an event's page (its deciders): publish, or decline with a
    reason; errors come back next to the reason, success is Post/Redirect/Get."""
    form = await forms.read_form(request)
    raw = request.path_params["event_id"]
    reason = form.get("reason")
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        if not _ID.match(raw):
            return not_found_page(request, reader)
        known = await u.catalog()
        try:
            if publishing:
                await calendar_events.publish(u.session, u.actor, known, int(raw))
            else:
                await calendar_events.decline(u.session, u.actor, known, int(raw), reason)
        except DomainError as failure:
            if failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            if failure.kind is not Kind.INVALID:
                raise
            event = await calendar_events.get(u.session, u.actor, known, int(raw))
            errors = messages.for_form(failure, reader.gettext)
            return await _event_page(request, reader, event, errors, 422, reason)
    return forms.redirect(f"/events/{raw}?decided=1")


def _vevent(e: View, host: str) -> ICalEvent:
    item = ICalEvent()
    zone = ZoneInfo(e.time_zone)
    item.add("uid", f"event-{e.id}@{host}")
    item.add("dtstamp", datetime.now(UTC))
    item.add("summary", e.title)
    item.add("dtstart", e.starts_at.astimezone(zone))
    item.add("dtend", e.ends_at.astimezone(zone))
    if e.description:
        item.add("description", e.description)
    where = [p for p in ("Online" if e.online else "", e.place) if p]
    item.add("location", ", ".join(where))
    if e.registration_url:
        item.add("url", e.registration_url)
    if e.status != "published":
        item.add("status", "TENTATIVE")
    return item


def _ics(found: list[View], request: Request, name: str) -> Response:
    calendar = Calendar()
    calendar.add("prodid", "-//CSO Anti-Corruption Forum//events//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    host = request.url.hostname or "forum"
    for e in found:
        calendar.add_component(_vevent(e, host))
    calendar.add_missing_timezones()
    return Response(calendar.to_ical(), media_type=ICS)


async def ics(request: Request) -> Response:
    reader, event = await _one(request)
    if event is None:
        return not_found_page(request, reader)
    return _ics([event], request, event.title)


async def region_feed(request: Request) -> Response:
    """The region's calendar, for calendar programs: like the news feed, what a visitor
    reads (a subscription carries no cookie), so a members-only region has none."""
    async with unit(request) as u:
        reader = viewer(request, None)
        known = await u.catalog()
        try:
            found = await calendar_events.feed(u.session, ANONYMOUS, known,
                                               request.path_params["slug"])  # fmt: skip
        except DomainError as exc:
            if exc.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise
    return _ics(found, request, known.name("region", request.path_params["slug"]))


FORM_FIELDS = ("title", "region", "starts", "ends", "time_zone", "place", "country",
               "description", "registration_url", "language")  # fmt: skip


async def new_form(request: Request) -> Response:
    async with unit(request) as u:
        reader = viewer(request, u.current)
    if not allows(check_can_propose, reader.actor):
        return not_found_page(request, reader)
    values = {"time_zone": "UTC", "language": reader.locale[:2], "region": "", "country": ""}
    return await _form(request, reader, values)


async def _form(
    request: Request,
    reader: Viewer,
    values: dict[str, object],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    known = await request.app.state.catalog.current()
    return render(request, reader, "event_form.html", status, values=values,
                  errors=errors or {},
                  regions=[(r.slug, r.name) for r in known.readable_regions(reader.actor)],
                  countries=[(c.code, c.name)
                             for c in known.readable_countries(reader.actor)])  # fmt: skip


async def create(request: Request) -> Response:
    form = await forms.read_form(request)
    shown: dict[str, object] = {name: form.get(name) for name in FORM_FIELDS}
    shown["online"] = "online" in form
    checked = {k: v for k, v in shown.items() if v != "" or k in ("title", "starts", "ends")}
    async with unit(request, form_token=form.token) as u:
        reader = viewer(request, u.current)
        known = await u.catalog()
        try:
            data = forms.check(schemas.EventCreate, checked)
            made = await calendar_events.propose(
                u.session,
                u.actor,
                known,
                calendar_events.Details(**data.changes()),  # type: ignore[arg-type]
            )
        except (ValidationError, DomainError) as failure:
            errors = messages.for_form(failure, reader.gettext)
            return await _form(request, reader, shown, errors, 422)
    return forms.redirect(f"/events/{made.id}")


ROUTES = [
    Route("/events/new", new_form, methods=["GET"]),
    Route("/events/new", create, methods=["POST"]),
    Route("/events", upcoming, methods=["GET"]),
    Route("/events/past", past, methods=["GET"]),
    Route("/events/{event_id}.ics", ics, methods=["GET"]),
    Route("/events/{event_id}", show, methods=["GET"]),
    Route("/events/{event_id}/publish", publish, methods=["POST"]),
    Route("/events/{event_id}/decline", decline, methods=["POST"]),
    Route("/regions/{slug}/events.ics", region_feed, methods=["GET"]),
]

"""Calendar events: workshops, conferences and days in each region (not `forum.events`,
the event log).

Table `calendar_events`, through SQLAlchemy Core only. Members propose an event
(`proposed`): only its proposer and those who may decide it (editors, the region's
moderators, admins: `permissions.check_can_decide_proposal`) read it until it is published;
declined, it stays theirs, with its reason. A published event is read wherever its region
is. Start and end are stored as UTC instants with the IANA zone the event is held in
(`zoneinfo`), given as local times in that zone. The description is Markdown, rendered
and sanitised by `forum.markup`. Publishing appends `event.published` on the region's
channel (payload the id only) and, like declining and editing, an audit entry; editing a
published event appends `event.updated` the same way, and withdrawing it (declining it
once published) `event.withdrawn`. A published event is searched, past ones too: its
document is written in the same transaction (`forum.knowledge_documents`), and those
events tell the Meilisearch indexer; a proposal's life appends nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, events, findable, knowledge_documents, markup, moderators, pagination
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import CalendarEvent, CalendarEventStatus, Organisation, User
from forum.organisations import find
from forum.permissions import (
    Actor,
    allows,
    can_read_event,
    check_can_decide_proposal,
    check_can_propose,
    region_audience,
)

MAX_TITLE = 200
MAX_PLACE = 200
MAX_URL = 500
MAX_COUNTRIES = 20
MAX_REASON = 1000
MAX_LENGTH = timedelta(days=366)
# A region's feed carries the published events that end after this far back.
FEED_PAST = timedelta(days=180)
_LANGUAGE = re.compile(r"^[a-z]{2}$")
# No space nor control character (PostgreSQL text holds no NUL: it was a 500 at the insert).
_URL = re.compile(r"^https?://[^\s/\x00-\x1f\x7f-\x9f]+[^\s\x00-\x1f\x7f-\x9f]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Details:
    """What a proposer says: local start and end in `time_zone`, Markdown description."""

    title: str
    region: str
    starts: datetime
    ends: datetime
    time_zone: str
    description: str = ""
    online: bool = False
    place: str = ""
    country: str | None = None
    countries: tuple[str, ...] = ()
    organisation: str | None = None
    language: str = "en"
    registration_url: str = ""


DETAILS_FIELDS = frozenset(f.name for f in fields(Details))


@dataclass(frozen=True)
class View:
    id: int
    status: str
    title: str
    region: str
    region_name: str
    countries: list[str]
    description: str  # Markdown
    description_html: str
    starts_at: datetime  # UTC
    ends_at: datetime
    time_zone: str
    local_start: str  # ISO 8601 in the event's zone, with its offset
    local_end: str
    online: bool
    place: str
    country: str | None
    organisation: str | None
    organisation_name: str | None
    language: str
    registration_url: str
    proposer: str | None  # shown to those who may read an unpublished event
    decline_reason: str | None
    created_at: datetime
    may_decide: bool


def _zone(name: str) -> ZoneInfo:
    if name not in available_timezones():
        raise invalid("time_zone", "Choose an IANA time zone such as Africa/Dakar.", "time_zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:  # pragma: no cover - listed above
        raise invalid("time_zone", "Choose an IANA time zone.", "time_zone") from e


def _instant(value: datetime, zone: ZoneInfo) -> datetime:
    """A local time in the event's zone (an offset given is honoured) as a UTC instant."""
    local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return local.astimezone(UTC)


def check_details(details: Details, catalog: Catalog, actor: Actor) -> dict[str, Any]:
    """The row values, or a clear error on one field."""
    title = " ".join(details.title.split())
    if not title:
        raise invalid("title", "Give the event a title.", "required")
    if len(title) > MAX_TITLE:
        raise invalid("title", f"Keep the title under {MAX_TITLE} characters.", "too_long")
    region = catalog.region(actor, details.region, field="region")
    zone = _zone(details.time_zone)
    starts, ends = _instant(details.starts, zone), _instant(details.ends, zone)
    if ends < starts:
        raise invalid("ends", "The event ends before it starts.", "ends_before_start")
    if ends - starts > MAX_LENGTH:
        raise invalid("ends", "An event lasts at most a year.", "too_long")
    if markup.too_long(details.description):
        limit = markup.MAX_SOURCE_BYTES // 1024
        raise invalid("description", f"Keep it under {limit} KiB.", "too_long")
    place = " ".join(details.place.split())
    if len(place) > MAX_PLACE:
        raise invalid("place", f"Keep the place under {MAX_PLACE} characters.", "too_long")
    if not details.online and not place:
        raise invalid("place", "Say where it takes place, or that it is online.", "required")
    country = None
    if details.country:
        country = catalog.country_codes([details.country], field="country")[0]
    if len(details.countries) > MAX_COUNTRIES:
        raise invalid("countries", f"Name at most {MAX_COUNTRIES} countries.", "too_many")
    countries = catalog.country_codes(details.countries, field="countries")
    if not _LANGUAGE.match(details.language):
        raise invalid("language", "Use a two-letter language code (ISO 639-1).", "language")
    url = details.registration_url.strip()
    if url and (len(url) > MAX_URL or not _URL.match(url)):
        raise invalid("registration_url", "Give an http or https address.", "url")
    description = details.description.strip()
    return {
        "title": title,
        "region_id": region.id,
        "countries": countries,
        "description_source": description,
        "description_html": markup.render(description) if description else "",
        "starts_at": starts,
        "ends_at": ends,
        "time_zone": details.time_zone,
        "online": details.online,
        "place": place,
        "country": country,
        "language": details.language,
        "registration_url": url,
    }


async def _organisation_id(
    session: AsyncConnection, actor: Actor, catalog: Catalog, slug: str | None
) -> int | None:
    if not slug:
        return None
    try:
        return (await find(session, actor, catalog, slug)).id
    except DomainError as e:
        raise invalid("organisation", "No such organisation.", "unknown_organisation") from e


# Reading


def _columns() -> list[Any]:
    return [
        CalendarEvent,
        Organisation.slug.label("organisation"),
        Organisation.name.label("organisation_name"),
        User.display_name.label("proposer_name"),
    ]


def _joined(query: Any) -> Any:
    return query.outerjoin(
        Organisation, Organisation.id == CalendarEvent.organisation_id
    ).outerjoin(User, User.id == CalendarEvent.proposer_id)


def _view(row: Any, actor: Actor, catalog: Catalog, moderated: list[int]) -> View:
    region = catalog.region_by_id(row.region_id)
    assert region is not None
    zone = ZoneInfo(row.time_zone)
    return View(
        id=row.id,
        status=row.status,
        title=row.title,
        region=region.slug,
        region_name=region.name,
        countries=list(row.countries),
        description=row.description_source,
        description_html=row.description_html,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        time_zone=row.time_zone,
        local_start=row.starts_at.astimezone(zone).isoformat(),
        local_end=row.ends_at.astimezone(zone).isoformat(),
        online=row.online,
        place=row.place,
        country=row.country,
        organisation=row.organisation,
        organisation_name=row.organisation_name,
        language=row.language,
        registration_url=row.registration_url,
        proposer=row.proposer_name if row.status != CalendarEventStatus.PUBLISHED else None,
        decline_reason=row.decline_reason,
        created_at=row.created_at,
        may_decide=allows(check_can_decide_proposal, actor, row.region_id, moderated),
    )


async def _row(session: AsyncConnection, event_id: int, *, lock: bool = False) -> Any:
    query = _joined(select(*_columns()).where(CalendarEvent.id == event_id))
    if lock:
        query = query.with_for_update(of=CalendarEvent)
    return (await session.execute(query)).first()


async def get(session: AsyncConnection, actor: Actor, catalog: Catalog, event_id: int) -> View:
    """The event; one the reader may not read looks missing."""
    moderated = await moderators.regions_of(session, actor)
    row = await _readable(session, actor, catalog, event_id, moderated)
    return _view(row, actor, catalog, moderated)


async def _readable(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    event_id: int,
    moderated: list[int],
    *,
    lock: bool = False,
) -> Any:
    row = await _row(session, event_id, lock=lock)
    region = catalog.region_by_id(row.region_id) if row else None
    if row is None or region is None or not can_read_event(
        actor, row.region_id, region.visibility,
        row.status == CalendarEventStatus.PUBLISHED, row.proposer_id, moderated,
    ):  # fmt: skip
        raise not_found("event")
    return row


def _visible(actor: Actor, catalog: Catalog, moderated: list[int], statuses: set[str]) -> Any:
    """The SQL condition for the events a reader may list, among `statuses`."""
    return CalendarEvent.status.in_(sorted(statuses)) & findable.proposals(
        actor, catalog, moderated, region_id=CalendarEvent.region_id,
        status=CalendarEvent.status, proposer_id=CalendarEvent.proposer_id,
        published=CalendarEventStatus.PUBLISHED.value,
    )  # fmt: skip


async def list_events(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    past: bool = False,
    region: str | None = None,
    country: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[list[View], str | None]:
    """Upcoming events soonest first (those not yet over), or past ones latest first;
    published ones, or those of `status` the reader may see (proposals: their own, or
    those they may decide)."""
    status = status or CalendarEventStatus.PUBLISHED.value
    if status not in set(CalendarEventStatus):
        raise invalid("status", "Choose proposed, published or declined.", "status")
    moderated = await moderators.regions_of(session, actor)
    now = now or datetime.now(UTC)
    query = _joined(select(*_columns())).where(_visible(actor, catalog, moderated, {status}))
    if region is not None:
        query = query.where(CalendarEvent.region_id == catalog.region(actor, region).id)
    if country is not None:
        code = catalog.country_codes([country], field="country")[0]
        query = query.where(
            (CalendarEvent.country == code) | CalendarEvent.countries.contains([code])
        )
    key = tuple_(CalendarEvent.starts_at, CalendarEvent.id)
    if past:
        query = query.where(CalendarEvent.ends_at < now)
        order = [CalendarEvent.starts_at.desc(), CalendarEvent.id.desc()]
    else:
        query = query.where(CalendarEvent.ends_at >= now)
        order = [CalendarEvent.starts_at, CalendarEvent.id]
    if cursor is not None:
        after = pagination.decode(cursor, datetime, int)
        query = query.where(key < after if past else key > after)
    rows = (await session.execute(query.order_by(*order).limit(limit + 1))).all()
    page = rows[:limit]
    following = pagination.encode(page[-1].starts_at, page[-1].id) if len(rows) > limit else None
    return [_view(r, actor, catalog, moderated) for r in page], following


async def feed(
    session: AsyncConnection, actor: Actor, catalog: Catalog, region: str, *, limit: int = 200
) -> list[View]:
    """A region's published events, upcoming and of the last months, for its calendar
    feed: published only, whoever asks (a feed is shared, so it carries nobody's own)."""
    entry = catalog.region(actor, region)
    since = datetime.now(UTC) - FEED_PAST
    rows = await session.execute(
        _joined(select(*_columns()))
        .where(
            CalendarEvent.region_id == entry.id,
            CalendarEvent.status == CalendarEventStatus.PUBLISHED.value,
            CalendarEvent.ends_at >= since,
        )
        .order_by(CalendarEvent.starts_at, CalendarEvent.id)
        .limit(limit)
    )
    return [_view(r, actor, catalog, []) for r in rows]


# Writing


async def propose(
    session: AsyncConnection, actor: Actor, catalog: Catalog, details: Details
) -> View:
    check_can_propose(actor)
    values = check_details(details, catalog, actor)
    values["organisation_id"] = await _organisation_id(
        session, actor, catalog, details.organisation
    )
    event_id = await session.scalar(
        insert(CalendarEvent)
        .values(proposer_id=actor.user_id, **values)
        .returning(CalendarEvent.id)
    )
    assert event_id is not None
    return await get(session, actor, catalog, event_id)


async def _deciding(
    session: AsyncConnection, actor: Actor, catalog: Catalog, event_id: int
) -> tuple[Any, list[int]]:
    moderated = await moderators.regions_of(session, actor)
    row = await _readable(session, actor, catalog, event_id, moderated, lock=True)
    check_can_decide_proposal(actor, row.region_id, moderated)
    return row, moderated


async def publish(session: AsyncConnection, actor: Actor, catalog: Catalog, event_id: int) -> View:
    row, _ = await _deciding(session, actor, catalog, event_id)
    await _publish(session, actor, catalog, row)
    return await get(session, actor, catalog, event_id)


async def publish_as_operator(session: AsyncConnection, catalog: Catalog, event_id: int) -> None:
    """Publish from the command line (the demo data): audited with no actor."""
    row = await _row(session, event_id, lock=True)
    if row is None:
        raise not_found("event")
    await _publish(session, None, catalog, row)


async def _publish(
    session: AsyncConnection, actor: Actor | None, catalog: Catalog, row: Any
) -> None:
    if row.status == CalendarEventStatus.PUBLISHED:
        raise DomainError(Kind.CONFLICT, "already_published", "This event is published.")
    await _set_status(session, row.id, CalendarEventStatus.PUBLISHED, None)
    await _told(session, catalog, "event.published", row.id, row.region_id)
    await audit.record(
        session, actor, "event.publish", ("calendar_event", row.id), region_id=row.region_id,
        before={"status": row.status}, after={"status": CalendarEventStatus.PUBLISHED.value},
    )  # fmt: skip


async def decline(
    session: AsyncConnection, actor: Actor, catalog: Catalog, event_id: int, reason: str
) -> View:
    """Decline a proposal (or withdraw a published event) with a reason its proposer
    reads."""
    reason = reason.strip()
    if not reason:
        raise invalid("reason", "Say why the event is declined.", "required")
    if len(reason) > MAX_REASON:
        raise invalid("reason", f"Keep the reason under {MAX_REASON} characters.", "too_long")
    row, _ = await _deciding(session, actor, catalog, event_id)
    if row.status == CalendarEventStatus.DECLINED:
        raise DomainError(Kind.CONFLICT, "already_declined", "This event is declined.")
    await _set_status(session, event_id, CalendarEventStatus.DECLINED, reason)
    if row.status == CalendarEventStatus.PUBLISHED:  # withdrawn: readers had seen it
        await _told(session, catalog, "event.withdrawn", event_id, row.region_id)
    await audit.record(
        session, actor, "event.decline", ("calendar_event", event_id), region_id=row.region_id,
        reason=reason, before={"status": row.status},
        after={"status": CalendarEventStatus.DECLINED.value},
    )  # fmt: skip
    return await get(session, actor, catalog, event_id)


async def _set_status(
    session: AsyncConnection, event_id: int, status: CalendarEventStatus, reason: str | None
) -> None:
    await session.execute(
        update(CalendarEvent)
        .where(CalendarEvent.id == event_id)
        .values(status=status.value, decline_reason=reason, decided_at=func.now())
    )
    await knowledge_documents.refresh(session, events=[event_id])


async def _told(
    session: AsyncConnection, catalog: Catalog, type: str, event_id: int, region_id: int
) -> None:
    """A published event's change, on its region's channel to the region's readers."""
    region = catalog.region_by_id(region_id)
    assert region is not None
    await events.append(session, type, [f"region:{region.slug}"],
                        region_audience(region.visibility), {"event_id": event_id})  # fmt: skip


def _details(row: Any, catalog: Catalog) -> Details:
    zone = ZoneInfo(row.time_zone)
    region = catalog.region_by_id(row.region_id)
    assert region is not None
    return Details(
        title=row.title, region=region.slug, time_zone=row.time_zone,
        starts=row.starts_at.astimezone(zone).replace(tzinfo=None),
        ends=row.ends_at.astimezone(zone).replace(tzinfo=None),
        description=row.description_source, online=row.online, place=row.place,
        country=row.country, countries=tuple(row.countries), organisation=row.organisation,
        language=row.language, registration_url=row.registration_url,
    )  # fmt: skip


async def current_details(
    session: AsyncConnection, actor: Actor, catalog: Catalog, event_id: int
) -> Details:
    """What the event's edit form starts from (those who may decide it; others get 404
    for an event they may not read, 403 for one they may)."""
    moderated = await moderators.regions_of(session, actor)
    row = await _readable(session, actor, catalog, event_id, moderated)
    check_can_decide_proposal(actor, row.region_id, moderated)
    return _details(row, catalog)


async def update_details(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    event_id: int,
    changes: dict[str, Any],
) -> View:
    """Edit an event (those who may decide it); fields left out stay as they are. A new
    time zone with no new times keeps the local times."""
    row, moderated = await _deciding(session, actor, catalog, event_id)
    details = replace(_details(row, catalog), **changes)
    values = check_details(details, catalog, actor)
    check_can_decide_proposal(actor, values["region_id"], moderated)
    values["organisation_id"] = await _organisation_id(
        session, actor, catalog, details.organisation
    )
    await session.execute(update(CalendarEvent).where(CalendarEvent.id == event_id).values(values))
    await knowledge_documents.refresh(session, events=[event_id])
    if row.status == CalendarEventStatus.PUBLISHED:
        await _told(session, catalog, "event.updated", event_id, values["region_id"])
    await audit.record(
        session, actor, "event.edit", ("calendar_event", event_id), region_id=row.region_id,
        before={"region_id": row.region_id}, after={"region_id": values["region_id"]},
    )  # fmt: skip
    return await get(session, actor, catalog, event_id)


async def for_country(
    session: AsyncConnection, actor: Actor, catalog: Catalog, code: str, *, limit: int = 5
) -> list[View]:
    """The next published events held in or about a country, for its page."""
    found, _ = await list_events(session, actor, catalog, country=code, limit=limit)
    return found

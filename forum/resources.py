"""Resources: links to source documents (the Convention, review reports, guides, training
material) and to partner organisations, curated by editors.

Table `resources` through SQLAlchemy Core only. Everyone reads them (they point at public
documents); editors and admins write them (`permissions.check_can_edit_knowledge`). Every
change appends `resource.created|updated` (public, the id only) and rewrites its search
document in the same transaction (`forum.knowledge_documents`). `forum.link_check` reads
the links and, when asked, records what it found (`record_check`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, knowledge_documents, pagination
from forum.catalog import Catalog
from forum.errors import invalid, not_found
from forum.models import Resource
from forum.permissions import PUBLIC, Actor, allows, check_can_edit_knowledge

MAX_TITLE = 200
MAX_URL = 2000
MAX_DESCRIPTION = 2000
MAX_LIST = 20
_LANGUAGE = re.compile(r"^[a-z]{2}$")
CHANNEL = "resources"


class ResourceKind(enum.StrEnum):
    CONVENTION_TEXT = "convention_text"
    REVIEW_REPORT = "review_report"
    GUIDE = "guide"
    TRAINING_MATERIAL = "training_material"
    PARTNER_ORGANISATION = "partner_organisation"


@dataclass(frozen=True)
class Entry:
    """What the editor says (codes and slugs in the lists)."""

    title: str
    url: str
    kind: str
    description: str = ""
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


ENTRY_FIELDS = frozenset(f.name for f in fields(Entry))


@dataclass(frozen=True)
class View:
    id: int
    title: str
    url: str
    kind: str
    description: str
    languages: list[str]
    countries: list[str]
    topics: list[str]
    created_at: datetime
    edited_at: datetime | None
    last_checked_at: datetime | None
    broken_since: datetime | None
    may_edit: bool


def check_url(url: str, field: str = "url") -> str:
    """An absolute http(s) address with a host, or a clear error."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise invalid(field, f"Keep the address under {MAX_URL} characters.", "too_long")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(
            field, "Use a web address starting with https:// or http://.", "invalid_website"
        )
    # A control character too: PostgreSQL text holds no NUL (it was a 500 at the insert).
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        raise invalid(
            field, "Use a web address starting with https:// or http://.", "invalid_website"
        )
    return url


def check_entry(entry: Entry, catalog: Catalog) -> Entry:
    """The entry cleaned (sorted lists, no duplicates), or a clear error on one field."""
    title = " ".join(entry.title.split())
    if not title:
        raise invalid("title", "Give the resource a title.", "required")
    if len(title) > MAX_TITLE:
        raise invalid("title", f"Keep the title under {MAX_TITLE} characters.", "too_long")
    url = check_url(entry.url)
    if entry.kind not in set(ResourceKind):
        raise invalid("kind", "Choose one of the kinds of resource.", "kind")
    description = entry.description.strip()
    if len(description) > MAX_DESCRIPTION:
        limit = MAX_DESCRIPTION
        raise invalid("description", f"Keep the description under {limit} characters.", "too_long")
    for name in ("languages", "countries", "topics"):
        if len(getattr(entry, name)) > MAX_LIST:
            raise invalid(name, f"Name at most {MAX_LIST}.", "too_many")
    languages = sorted(set(entry.languages))
    if any(not _LANGUAGE.match(code) for code in languages):
        raise invalid("languages", "Use two-letter language codes (ISO 639-1).", "language")
    countries = catalog.country_codes(sorted(set(entry.countries)), field="countries")
    topics = sorted({catalog.topic(t, field="topics").slug for t in entry.topics})
    return Entry(
        title=title,
        url=url,
        kind=entry.kind,
        description=description,
        languages=tuple(languages),
        countries=tuple(countries),
        topics=tuple(topics),
    )


def _values(entry: Entry, catalog: Catalog) -> dict[str, Any]:
    return {
        "title": entry.title,
        "url": entry.url,
        "kind": entry.kind,
        "description": entry.description,
        "languages": list(entry.languages),
        "countries": list(entry.countries),
        "topic_ids": [catalog.topic(t).id for t in entry.topics],
    }


def _topic_slugs(catalog: Catalog, ids: list[int]) -> list[str]:
    return sorted(t.slug for i in ids if (t := catalog.topic_by_id(i)) is not None)


def _view(row: Any, actor: Actor, catalog: Catalog) -> View:
    return View(
        id=row.id,
        title=row.title,
        url=row.url,
        kind=row.kind,
        description=row.description,
        languages=list(row.languages),
        countries=list(row.countries),
        topics=_topic_slugs(catalog, row.topic_ids),
        created_at=row.created_at,
        edited_at=row.edited_at,
        last_checked_at=row.last_checked_at,
        broken_since=row.broken_since,
        may_edit=allows(check_can_edit_knowledge, actor),
    )


async def _changed(session: AsyncConnection, type: str, resource_id: int) -> None:
    await knowledge_documents.refresh(session, resources=[resource_id])
    await events.append(session, type, [CHANNEL], PUBLIC, {"id": resource_id})


async def create(session: AsyncConnection, actor: Actor, catalog: Catalog, entry: Entry) -> View:
    check_can_edit_knowledge(actor)
    entry = check_entry(entry, catalog)
    row = (
        await session.execute(
            insert(Resource).values(**_values(entry, catalog)).returning(*Resource.__table__.c)
        )
    ).one()
    await _changed(session, "resource.created", row.id)
    return _view(row, actor, catalog)


async def update_entry(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    resource_id: int,
    changes: dict[str, Any],
) -> View:
    """Change the fields given (the others stay as they are)."""
    check_can_edit_knowledge(actor)
    unknown = set(changes) - ENTRY_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], "This field cannot be changed.", "unknown_field")
    row = await _row(session, resource_id, lock=True)
    was = Entry(
        title=row.title,
        url=row.url,
        kind=row.kind,
        description=row.description,
        languages=tuple(row.languages),
        countries=tuple(row.countries),
        topics=tuple(_topic_slugs(catalog, row.topic_ids)),
    )
    entry = check_entry(Entry(**{**was.__dict__, **changes}), catalog)
    values = _values(entry, catalog)
    if entry.url != row.url:  # a new address has not been checked yet
        values |= {"last_checked_at": None, "broken_since": None}
    row = (
        await session.execute(
            update(Resource)
            .where(Resource.id == resource_id)
            .values(**values, edited_at=func.now())
            .returning(*Resource.__table__.c)
        )
    ).one()
    await _changed(session, "resource.updated", resource_id)
    return _view(row, actor, catalog)


async def _row(session: AsyncConnection, resource_id: int, lock: bool = False) -> Any:
    query = select(*Resource.__table__.c).where(Resource.id == resource_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise not_found("resource")
    return row


async def get(session: AsyncConnection, actor: Actor, catalog: Catalog, resource_id: int) -> View:
    return _view(await _row(session, resource_id), actor, catalog)


async def list_resources(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    kind: str | None = None,
    country: str | None = None,
    topic: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[View], str | None]:
    """Newest first, in keyset pages."""
    query = select(*Resource.__table__.c)
    if kind is not None:
        if kind not in set(ResourceKind):
            raise invalid("kind", "Choose one of the kinds of resource.", "kind")
        query = query.where(Resource.kind == kind)  # Uses index: ix_resources_kind_id
    if country is not None:
        (code,) = catalog.country_codes([country], field="country")
        query = query.where(Resource.countries.contains([code]))
    if topic is not None:
        query = query.where(Resource.topic_ids.contains([catalog.topic(topic, field="topic").id]))
    if cursor is not None:
        (last,) = pagination.decode(cursor, int)
        query = query.where(Resource.id < last)
    rows = (await session.execute(query.order_by(Resource.id.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    next_cursor = pagination.encode(page[-1].id) if len(rows) > limit else None
    return [_view(r, actor, catalog) for r in page], next_cursor


@dataclass(frozen=True)
class Link:
    id: int
    url: str
    broken_since: datetime | None


async def links(session: AsyncConnection) -> list[Link]:
    """Every resource's address, for `forum.link_check`."""
    rows = await session.execute(
        select(Resource.id, Resource.url, Resource.broken_since).order_by(Resource.id)
    )
    return [Link(r.id, r.url, r.broken_since) for r in rows]


async def record_check(session: AsyncConnection, resource_id: int, url: str, broken: bool) -> None:
    """What a link check found. Only if the address is still the one checked: an editor
    may have changed it meanwhile. `broken_since` keeps the first failure's time."""
    since = func.coalesce(Resource.broken_since, func.now()) if broken else None
    await session.execute(
        update(Resource)
        .where(Resource.id == resource_id, Resource.url == url)
        .values(last_checked_at=func.now(), broken_since=since)
    )

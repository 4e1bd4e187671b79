"""Experiences (CSO case stories): what an organisation did, told by its own members.

Tables `experiences`, `experience_revisions` and `experience_threads`, through SQLAlchemy
Core only. An experience is read wherever its organisation is read
(`permissions.can_read_experience`): a visitor never learns of one whose organisation
works in a members-only region. Its members (and admins) write and edit it
(`permissions.check_can_write_experience`); every edit keeps the version it replaces,
shown only to the organisation's members and moderators. The five Markdown fields are
rendered and sanitised by `forum.markup`, as posts are. Every change appends
`experience.created|updated` (the organisation's region channel, payload the id only);
`forum.feed` rebuilds what it tells from `current`. Its search document is rewritten
in the same transaction (`forum.knowledge_documents`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import events, findable, knowledge_documents, markup, pagination
from forum.catalog import Catalog
from forum.errors import DomainError, invalid, not_found
from forum.models import (
    Country,
    Experience,
    ExperienceRevision,
    ExperienceThread,
    Organisation,
    Region,
    Thread,
    User,
)
from forum.organisation_fields import UNCAC_ARTICLES
from forum.organisations import Found, find, tie
from forum.permissions import (
    Actor,
    allows,
    can_read_experience,
    check_can_read_experience_revisions,
    check_can_write_experience,
    readable_visibilities,
    region_audience,
)

FIELDS = ("context", "action", "obstacles", "outcome", "lessons")
MAX_TITLE = 200
MAX_LIST = 20
YEARS = range(1900, 2201)
_LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Story:
    """What the writer says (Markdown in the five fields; codes and slugs in the lists)."""

    title: str
    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    uncac_articles: tuple[int, ...] = ()
    context: str = ""
    action: str = ""
    obstacles: str = ""
    outcome: str = ""
    lessons: str = ""
    year: int | None = None
    language: str = "en"
    threads: tuple[int, ...] = ()


STORY_FIELDS = frozenset(f.name for f in dataclasses.fields(Story))


@dataclass(frozen=True)
class LinkedThread:
    id: int
    title: str


@dataclass(frozen=True)
class Summary:
    id: int
    title: str
    organisation: str
    organisation_name: str
    countries: list[str]
    topics: list[str]
    year: int | None
    language: str
    created_at: datetime


@dataclass(frozen=True)
class View:
    id: int
    title: str
    organisation: str
    organisation_name: str
    region: str
    countries: list[str]
    topics: list[str]
    uncac_articles: list[int]
    sources: dict[str, str]  # field -> Markdown
    html: dict[str, str]  # field -> sanitised HTML
    year: int | None
    language: str
    author: str | None  # None: a former member
    revision: int
    created_at: datetime
    edited_at: datetime | None
    threads: list[LinkedThread]  # only those the reader may read
    may_edit: bool
    may_read_revisions: bool


def _text_field(value: str, field: str) -> str:
    if markup.too_long(value):
        limit = markup.MAX_SOURCE_BYTES // 1024
        raise invalid(field, f"Keep it under {limit} KiB.", "too_long")
    return value.strip()


def check_story(story: Story, catalog: Catalog) -> Story:
    """The story cleaned (sorted lists, no duplicates), or a clear error on one field."""
    title = " ".join(story.title.split())
    if not title:
        raise invalid("title", "Give the experience a title.", "required")
    if len(title) > MAX_TITLE:
        raise invalid("title", f"Keep the title under {MAX_TITLE} characters.", "too_long")
    if len(story.countries) > MAX_LIST:
        raise invalid("countries", f"Name at most {MAX_LIST} countries.", "too_many")
    countries = catalog.country_codes(sorted(set(story.countries)), field="countries")
    if len(story.topics) > MAX_LIST:
        raise invalid("topics", f"Name at most {MAX_LIST} topics.", "too_many")
    topics = sorted({catalog.topic(t, field="topics").slug for t in story.topics})
    articles = sorted(set(story.uncac_articles))
    if any(a not in UNCAC_ARTICLES for a in articles):
        raise invalid("uncac_articles", "UNCAC articles run from 1 to 71.", "uncac_articles")
    if story.year is not None and story.year not in YEARS:
        raise invalid("year", "Give a year such as 2019.", "year")
    if not _LANGUAGE.match(story.language):
        raise invalid("language", "Use a two-letter language code (ISO 639-1).", "language")
    texts = {f: _text_field(getattr(story, f), f) for f in FIELDS}
    if not any(texts.values()):
        raise invalid("context", "Tell at least the context or what was done.", "required")
    if len(story.threads) > MAX_LIST:
        raise invalid("threads", f"Link at most {MAX_LIST} threads.", "too_many")
    return Story(
        title=title,
        countries=tuple(countries),
        topics=tuple(topics),
        uncac_articles=tuple(articles),
        year=story.year,
        language=story.language,
        threads=tuple(sorted(set(story.threads))),
        **texts,
    )


async def _check_threads(session: AsyncConnection, actor: Actor, ids: tuple[int, ...]) -> None:
    """A writer links only threads that exist and that they may read themselves."""
    if not ids:
        return
    found = set(await session.scalars(_readable_threads(actor, select(Thread.id), ids)))
    if found != set(ids):
        raise invalid("threads", "Link threads of this forum that you can read.", "unknown_thread")


def _readable_threads(actor: Actor, query: Any, ids: Collection[int]) -> Any:
    return (
        query.join(Region, Region.id == Thread.region_id)
        .where(Thread.id.in_(list(ids)))
        .where(findable.threads(actor))
    )


def _row_values(story: Story, catalog: Catalog) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": story.title,
        "countries": list(story.countries),
        "topic_ids": [catalog.topic(t).id for t in story.topics],
        "uncac_articles": list(story.uncac_articles),
        "year": story.year,
        "language": story.language,
    }
    for f in FIELDS:
        source = getattr(story, f)
        values[f"{f}_source"] = source
        values[f"{f}_html"] = markup.render(source) if source else ""
    return values


async def _write_threads(
    session: AsyncConnection, experience_id: int, ids: tuple[int, ...]
) -> None:
    await session.execute(
        delete(ExperienceThread).where(ExperienceThread.experience_id == experience_id)
    )
    if ids:
        await session.execute(
            insert(ExperienceThread),
            [{"experience_id": experience_id, "thread_id": t} for t in ids],
        )


async def _announce(session: AsyncConnection, type_: str, experience_id: int, found: Found) -> None:
    await events.append(
        session,
        type_,
        [f"region:{found.region}"],
        region_audience(found.region_visibility),
        {"experience_id": experience_id},
    )


# Writing


async def create(
    session: AsyncConnection, actor: Actor, catalog: Catalog, organisation: str, story: Story
) -> View:
    found = await find(session, actor, catalog, organisation)
    check_can_write_experience(actor, await tie(session, actor, found.id))
    story = check_story(story, catalog)
    await _check_threads(session, actor, story.threads)
    experience_id = await session.scalar(
        insert(Experience)
        .values(organisation_id=found.id, author_id=actor.user_id, **_row_values(story, catalog))
        .returning(Experience.id)
    )
    assert experience_id is not None
    await _write_threads(session, experience_id, story.threads)
    await knowledge_documents.refresh(session, experiences=[experience_id])
    await _announce(session, "experience.created", experience_id, found)
    return await get(session, actor, catalog, experience_id)


async def _locate(
    session: AsyncConnection, actor: Actor, catalog: Catalog, experience_id: int
) -> tuple[Any, Found]:
    """The experience's row and its organisation; one the reader may not read looks
    missing."""
    row = (
        await session.execute(
            select(Experience, Organisation.slug.label("organisation_slug"),
                   Organisation.name.label("organisation_name"))
            .join(Organisation, Organisation.id == Experience.organisation_id)
            .where(Experience.id == experience_id)
        )
    ).first()  # fmt: skip
    if row is None:
        raise not_found("experience")
    try:
        found = await find(session, actor, catalog, row.organisation_slug)
    except DomainError:
        raise not_found("experience") from None
    if not can_read_experience(actor, found.region_visibility):
        raise not_found("experience")
    return row, found


def _story_of(row: Any, catalog: Catalog, threads: tuple[int, ...]) -> Story:
    return Story(
        title=row.title,
        countries=tuple(row.countries),
        topics=tuple(sorted(_topic_slugs(catalog, row.topic_ids))),
        uncac_articles=tuple(row.uncac_articles),
        year=row.year,
        language=row.language,
        threads=threads,
        **{f: getattr(row, f"{f}_source") for f in FIELDS},
    )


def _topic_slugs(catalog: Catalog, ids: list[int]) -> list[str]:
    slugs = []
    for topic_id in ids:
        entry = catalog.topic_by_id(topic_id)
        if entry is not None:
            slugs.append(entry.slug)
    return slugs


async def _thread_ids(session: AsyncConnection, experience_id: int) -> tuple[int, ...]:
    return tuple(
        await session.scalars(
            select(ExperienceThread.thread_id)
            .where(ExperienceThread.experience_id == experience_id)
            .order_by(ExperienceThread.thread_id)
        )
    )


async def current_story(
    session: AsyncConnection, actor: Actor, catalog: Catalog, experience_id: int
) -> Story:
    """The whole stored story, for an editor (the edit form, a patch)."""
    row, found = await _locate(session, actor, catalog, experience_id)
    check_can_write_experience(actor, await tie(session, actor, found.id))
    return _story_of(row, catalog, await _thread_ids(session, experience_id))


async def update_story(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    experience_id: int,
    changes: dict[str, Any],
) -> tuple[View, bool]:
    """Change the named fields of `Story`; the version replaced is kept. Answers the
    experience and whether anything changed (nothing changed: no revision, no event)."""
    _, found = await _locate(session, actor, catalog, experience_id)
    check_can_write_experience(actor, await tie(session, actor, found.id))
    unknown = set(changes) - STORY_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], "No such field.", "unknown_field")
    locked = (
        await session.execute(
            select(Experience).where(Experience.id == experience_id).with_for_update()
        )
    ).one()
    threads_before = await _thread_ids(session, experience_id)
    before = _story_of(locked, catalog, threads_before)
    after = check_story(dataclasses.replace(before, **changes), catalog)
    if after == before:
        return await get(session, actor, catalog, experience_id), False
    if after.threads != before.threads:
        await _check_threads(session, actor, tuple(set(after.threads) - set(before.threads)))
        await _write_threads(session, experience_id, after.threads)
    content = {"title": locked.title, "countries": list(locked.countries),
               "topic_ids": list(locked.topic_ids), "uncac_articles": list(locked.uncac_articles),
               "year": locked.year, "language": locked.language}  # fmt: skip
    for f in FIELDS:
        content[f"{f}_source"] = getattr(locked, f"{f}_source")
        content[f"{f}_html"] = getattr(locked, f"{f}_html")
    await session.execute(
        insert(ExperienceRevision).values(
            experience_id=experience_id,
            revision=locked.revision,
            content=content,
            written_at=locked.edited_at or locked.created_at,
            editor_id=actor.user_id,
        )
    )
    await session.execute(
        update(Experience)
        .where(Experience.id == experience_id)
        .values(**_row_values(after, catalog), revision=Experience.revision + 1,
                edited_at=func.now())
    )  # fmt: skip
    await knowledge_documents.refresh(session, experiences=[experience_id])
    await _announce(session, "experience.updated", experience_id, found)
    return await get(session, actor, catalog, experience_id), True


# Reading


async def get(session: AsyncConnection, actor: Actor, catalog: Catalog, experience_id: int) -> View:
    row, found = await _locate(session, actor, catalog, experience_id)
    e = row
    author = (
        await session.scalar(select(User.display_name).where(User.id == e.author_id))
        if e.author_id is not None
        else None
    )
    linked = await session.execute(
        _readable_threads(
            actor,
            select(Thread.id, Thread.title).join(
                ExperienceThread, ExperienceThread.thread_id == Thread.id
            ),
            await _thread_ids(session, experience_id),
        ).order_by(Thread.id)
    )
    reader_tie = await tie(session, actor, found.id)
    return View(
        id=e.id,
        title=e.title,
        organisation=row.organisation_slug,
        organisation_name=row.organisation_name,
        region=found.region,
        countries=list(e.countries),
        topics=sorted(_topic_slugs(catalog, e.topic_ids)),
        uncac_articles=list(e.uncac_articles),
        sources={f: getattr(e, f"{f}_source") for f in FIELDS},
        html={f: getattr(e, f"{f}_html") for f in FIELDS},
        year=e.year,
        language=e.language,
        author=author,
        revision=e.revision,
        created_at=e.created_at,
        edited_at=e.edited_at,
        threads=[LinkedThread(t.id, t.title) for t in linked],
        may_edit=allows(check_can_write_experience, actor, reader_tie),
        may_read_revisions=allows(check_can_read_experience_revisions, actor, reader_tie),
    )


async def revisions(
    session: AsyncConnection, actor: Actor, catalog: Catalog, experience_id: int
) -> list[dict[str, Any]]:
    """Every version, oldest first, the current one last (members of the organisation and
    moderators only)."""
    row, found = await _locate(session, actor, catalog, experience_id)
    check_can_read_experience_revisions(actor, await tie(session, actor, found.id))
    e = row
    older = await session.execute(
        select(ExperienceRevision)
        .where(ExperienceRevision.experience_id == experience_id)
        .order_by(ExperienceRevision.revision)
    )
    found_versions = [
        {"revision": r.revision, "title": r.content["title"], "written_at": r.written_at,
         "sources": {f: r.content.get(f"{f}_source", "") for f in FIELDS},
         "html": {f: r.content.get(f"{f}_html", "") for f in FIELDS}}
        for r in older
    ]  # fmt: skip
    found_versions.append(
        {"revision": e.revision, "title": e.title, "written_at": e.edited_at or e.created_at,
         "sources": {f: getattr(e, f"{f}_source") for f in FIELDS},
         "html": {f: getattr(e, f"{f}_html") for f in FIELDS}}
    )  # fmt: skip
    return found_versions


async def list_experiences(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    organisation: str | None = None,
    country: str | None = None,
    topic: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Summary], str | None]:
    """Newest first, in keyset pages; only experiences of organisations the reader may
    read."""
    readable = [r.id for r in catalog.regions if r.visibility in readable_visibilities(actor)]
    query = (
        select(Experience.id, Experience.title, Experience.countries, Experience.topic_ids,
               Experience.year, Experience.language, Experience.created_at,
               Organisation.slug, Organisation.name)
        .join(Organisation, Organisation.id == Experience.organisation_id)
        .join(Country, Country.code == Organisation.country_code)
        .where(Country.region_id.in_(readable))
    )  # fmt: skip
    if organisation is not None:
        found = await find(session, actor, catalog, organisation)
        query = query.where(Experience.organisation_id == found.id)
    if country is not None:
        (code,) = catalog.country_codes([country], field="country")
        query = query.where(Experience.countries.contains([code]))
    if topic is not None:
        query = query.where(Experience.topic_ids.contains([catalog.topic(topic, field="topic").id]))
    if cursor is not None:
        (last,) = pagination.decode(cursor, int)
        query = query.where(Experience.id < last)
    rows = (await session.execute(query.order_by(Experience.id.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    next_cursor = pagination.encode(page[-1].id) if len(rows) > limit else None
    return [
        Summary(r.id, r.title, r.slug, r.name, list(r.countries),
                sorted(_topic_slugs(catalog, r.topic_ids)), r.year, r.language, r.created_at)
        for r in page
    ], next_cursor  # fmt: skip


async def current(
    session: AsyncConnection, ids: Collection[int]
) -> dict[int, tuple[dict[str, Any], str]]:
    """These experiences' events as they may be told now (`forum.feed`): the id and its
    organisation's slug, to the audience of the region the organisation is in now; gone
    ones are left out."""
    rows = await session.execute(
        select(Experience.id, Organisation.slug, Region.visibility)
        .join(Organisation, Organisation.id == Experience.organisation_id)
        .join(Country, Country.code == Organisation.country_code)
        .join(Region, Region.id == Country.region_id)
        .where(Experience.id.in_([i for i in ids if isinstance(i, int)]))
    )
    return {
        r.id: ({"experience_id": r.id, "organisation": r.slug}, region_audience(r.visibility))
        for r in rows
    }

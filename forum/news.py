"""News: articles about anti-corruption CSOs, with their source, filed under a region.

Table `news` through SQLAlchemy Core only. An editor's item is published at once; a
member's is `proposed`: only its proposer, editors, admins and the region's moderators
read it (`permissions.can_read_proposed_news`), on every path (lists, the item, the Atom
feed, counts), until an editor or the region's moderator approves it; declining deletes
it. A published item is read wherever its region is. Publishing appends `news.published`
(its region's channel, the region's audience, ids only); an edit `news.updated`, and an
audit entry (`news.edit`, ids only) as decisions have. A published item is searched: its
document is written in the same transaction (`forum.knowledge_documents`); a declined
proposal had none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from forum import audit, events, findable, knowledge_documents, moderators, pagination
from forum.catalog import Catalog, RegionEntry
from forum.errors import DomainError, Kind, invalid, not_found
from forum.models import NewsItem
from forum.permissions import (
    Actor,
    allows,
    can_read_proposal,
    can_read_region,
    check_can_decide_proposal,
    check_can_edit_knowledge,
    check_can_propose,
    region_audience,
)
from forum.resources import check_url

PUBLISHED = "published"
PROPOSED = "proposed"
MAX_TITLE = 200
MAX_SUMMARY = 2000
MAX_SOURCE = 200
MAX_LIST = 20
EARLIEST = date(1990, 1, 1)
_LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Article:
    """What the writer says (a region slug, country codes, topic slugs)."""

    title: str
    source_name: str
    source_url: str
    published_on: date
    region: str
    summary: str = ""
    countries: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    language: str = "en"


ARTICLE_FIELDS = frozenset(f.name for f in fields(Article))


@dataclass(frozen=True)
class View:
    id: int
    title: str
    summary: str
    source_name: str
    source_url: str
    published_on: date
    region: str
    countries: list[str]
    topics: list[str]
    language: str
    status: str
    created_at: datetime
    may_decide: bool
    may_edit: bool


def check_article(actor: Actor, article: Article, catalog: Catalog) -> tuple[Article, int]:
    """The article cleaned, and its region's id; or a clear error on one field."""
    title = " ".join(article.title.split())
    if not title:
        raise invalid("title", "Give the news a title.", "required")
    if len(title) > MAX_TITLE:
        raise invalid("title", f"Keep the title under {MAX_TITLE} characters.", "too_long")
    source = " ".join(article.source_name.split())
    if not source:
        raise invalid("source_name", "Name the source.", "required")
    if len(source) > MAX_SOURCE:
        raise invalid("source_name", f"Keep it under {MAX_SOURCE} characters.", "too_long")
    url = check_url(article.source_url, "source_url")
    summary = article.summary.strip()
    if len(summary) > MAX_SUMMARY:
        raise invalid("summary", f"Keep it under {MAX_SUMMARY} characters.", "too_long")
    if not EARLIEST <= article.published_on <= date.today():
        raise invalid("published_on", "Give the day the article appeared.", "invalid_date")
    region = catalog.region(actor, article.region, field="region")
    if len(article.countries) > MAX_LIST or len(article.topics) > MAX_LIST:
        field = "countries" if len(article.countries) > MAX_LIST else "topics"
        raise invalid(field, f"Name at most {MAX_LIST}.", "too_many")
    countries = catalog.country_codes(article.countries, field="countries")
    region_of = {c.code: c.region_id for c in catalog.countries}
    if any(region_of[c] != region.id for c in countries):
        raise invalid("countries", "Choose countries of the region.", "unknown_country")
    topics = sorted({catalog.topic(t, field="topics").slug for t in article.topics})
    if not _LANGUAGE.match(article.language):
        raise invalid("language", "Use a two-letter language code (ISO 639-1).", "language")
    cleaned = Article(title, source, url, article.published_on, region.slug, summary,
                      tuple(countries), tuple(topics), article.language)  # fmt: skip
    return cleaned, region.id


def _values(article: Article, region_id: int, catalog: Catalog) -> dict[str, Any]:
    return {
        "title": article.title,
        "summary": article.summary,
        "source_name": article.source_name,
        "source_url": article.source_url,
        "published_on": article.published_on,
        "region_id": region_id,
        "countries": list(article.countries),
        "topic_ids": [catalog.topic(t).id for t in article.topics],
        "language": article.language,
    }


def _view(row: Any, actor: Actor, catalog: Catalog, moderated: list[int]) -> View:
    region = catalog.region_by_id(row.region_id)
    assert region is not None
    return View(
        id=row.id,
        title=row.title,
        summary=row.summary,
        source_name=row.source_name,
        source_url=row.source_url,
        published_on=row.published_on,
        region=region.slug,
        countries=list(row.countries),
        topics=sorted(t.slug for i in row.topic_ids if (t := catalog.topic_by_id(i))),
        language=row.language,
        status=row.status,
        created_at=row.created_at,
        may_decide=row.status == PROPOSED
        and allows(check_can_decide_proposal, actor, row.region_id, moderated),
        may_edit=allows(check_can_edit_knowledge, actor),
    )


async def _published(session: AsyncConnection, catalog: Catalog, row: Any) -> None:
    region = catalog.region_by_id(row.region_id)
    assert region is not None
    await knowledge_documents.refresh(session, news=[row.id])
    await events.append(session, "news.published", [f"region:{region.slug}"],
                        region_audience(region.visibility), {"id": row.id})  # fmt: skip


async def create(
    session: AsyncConnection, actor: Actor, catalog: Catalog, article: Article
) -> View:
    """Published at once for an editor; proposed for any other member."""
    check_can_propose(actor)
    cleaned, region_id = check_article(actor, article, catalog)
    status = PUBLISHED if allows(check_can_edit_knowledge, actor) else PROPOSED
    row = (
        await session.execute(
            insert(NewsItem)
            .values(**_values(cleaned, region_id, catalog), status=status,
                    proposer_id=actor.user_id if status == PROPOSED else None)
            .returning(*NewsItem.__table__.c)
        )
    ).one()  # fmt: skip
    if status == PUBLISHED:
        await _published(session, catalog, row)
    return _view(row, actor, catalog, await moderators.regions_of(session, actor))


async def _readable_row(
    session: AsyncConnection, actor: Actor, catalog: Catalog, news_id: int, *, lock: bool = False
) -> tuple[Any, list[int]]:
    """The row, if the actor may read it; else 404, as if there were none."""
    query = select(*NewsItem.__table__.c).where(NewsItem.id == news_id)
    row = (await session.execute(query.with_for_update() if lock else query)).one_or_none()
    moderated = await moderators.regions_of(session, actor)
    region = catalog.region_by_id(row.region_id) if row else None
    if row is None or region is None or not can_read_region(actor, region.visibility):
        raise not_found("news")
    if row.status == PROPOSED and not can_read_proposal(
        actor, row.proposer_id, row.region_id, moderated
    ):
        raise not_found("news")
    return row, moderated


async def get(session: AsyncConnection, actor: Actor, catalog: Catalog, news_id: int) -> View:
    row, moderated = await _readable_row(session, actor, catalog, news_id)
    return _view(row, actor, catalog, moderated)


async def _decide(
    session: AsyncConnection, actor: Actor, catalog: Catalog, news_id: int, decision: str
) -> list[int]:
    """Check that the actor may decide on this proposal, and audit the decision (ids only:
    a declined proposal's text goes); the regions the actor moderates."""
    row, moderated = await _readable_row(session, actor, catalog, news_id, lock=True)
    check_can_decide_proposal(actor, row.region_id, moderated)
    if row.status != PROPOSED:
        raise DomainError(Kind.CONFLICT, "already_decided", "This news is published already.")
    await audit.record(session, actor, f"news.{decision}", ("news", news_id),
                       region_id=row.region_id, before={"status": PROPOSED})  # fmt: skip
    return moderated


async def approve(session: AsyncConnection, actor: Actor, catalog: Catalog, news_id: int) -> View:
    moderated = await _decide(session, actor, catalog, news_id, "approve")
    row = (
        await session.execute(
            update(NewsItem).where(NewsItem.id == news_id).values(status=PUBLISHED)
            .returning(*NewsItem.__table__.c)
        )
    ).one()  # fmt: skip
    await _published(session, catalog, row)
    return _view(row, actor, catalog, moderated)


async def decline(session: AsyncConnection, actor: Actor, catalog: Catalog, news_id: int) -> None:
    """A declined proposal is deleted, its text with it."""
    await _decide(session, actor, catalog, news_id, "decline")
    await session.execute(delete(NewsItem).where(NewsItem.id == news_id))


async def update_article(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    news_id: int,
    changes: dict[str, Any],
) -> View:
    """Editors change the fields given (the others stay as they are)."""
    check_can_edit_knowledge(actor)
    unknown = set(changes) - ARTICLE_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], "This field cannot be changed.", "unknown_field")
    row, moderated = await _readable_row(session, actor, catalog, news_id, lock=True)
    was, was_region = _view(row, actor, catalog, moderated), row.region_id
    current = {f: getattr(was, f) for f in ARTICLE_FIELDS}
    current["countries"], current["topics"] = tuple(was.countries), tuple(was.topics)
    cleaned, region_id = check_article(actor, Article(**{**current, **changes}), catalog)
    row = (
        await session.execute(
            update(NewsItem).where(NewsItem.id == news_id)
            .values(**_values(cleaned, region_id, catalog), edited_at=func.now())
            .returning(*NewsItem.__table__.c)
        )
    ).one()  # fmt: skip
    await knowledge_documents.refresh(session, news=[row.id])  # a proposal has none
    if row.status == PUBLISHED:
        region = catalog.region_by_id(row.region_id)
        assert region is not None
        await events.append(session, "news.updated", [f"region:{region.slug}"],
                            region_audience(region.visibility), {"id": row.id})  # fmt: skip
    # Ids only, as for decisions: the text is the item's, and may be changed again.
    await audit.record(session, actor, "news.edit", ("news", news_id), region_id=row.region_id,
                       before={"region_id": was_region}, after={"region_id": row.region_id},
                       )  # fmt: skip
    return _view(row, actor, catalog, moderated)


async def list_news(
    session: AsyncConnection,
    actor: Actor,
    catalog: Catalog,
    *,
    region: str | None = None,
    country: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[View], str | None]:
    """Newest first (by id), in keyset pages: published items of the regions the reader
    may read, and the proposals the reader may see (`status=proposed`: only those)."""
    moderated = await moderators.regions_of(session, actor)
    query = select(*NewsItem.__table__.c).where(
        findable.proposals(actor, catalog, moderated, region_id=NewsItem.region_id,
                           status=NewsItem.status, proposer_id=NewsItem.proposer_id,
                           published=PUBLISHED)
    )  # fmt: skip
    if status is not None:
        if status not in (PUBLISHED, PROPOSED):
            raise invalid("status", "Choose published or proposed.", "status")
        query = query.where(NewsItem.status == status)
    if region is not None:
        found: RegionEntry = catalog.region(actor, region)
        query = query.where(NewsItem.region_id == found.id)  # Uses ix_news_region_id_status_id
    if country is not None:
        (code,) = catalog.country_codes([country], field="country")
        query = query.where(NewsItem.countries.contains([code]))
    if cursor is not None:
        (last,) = pagination.decode(cursor, int)
        query = query.where(NewsItem.id < last)
    rows = (await session.execute(query.order_by(NewsItem.id.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    next_cursor = pagination.encode(page[-1].id) if len(rows) > limit else None
    return [_view(r, actor, catalog, moderated) for r in page], next_cursor

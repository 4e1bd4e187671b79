"""Search documents of everything searched beside posts: organisations (CSO profiles),
experiences (case stories), published news items, published events (past ones too) and
resources, built by the core that owns them, as `forum.documents` builds posts'.

Table `search_knowledge` (migrations 0012 and 0026), through the SQL here only. `refresh`
runs in the transaction of every change to what a document is built from
(`forum.organisations`, `forum.experiences`, `forum.news`, `forum.calendar_events`,
`forum.resources`), so a document is never behind it. A document holds only what every
reader of its region may see (`permissions.can_read_organisation`, `can_read_experience`,
`can_read_event`; a news item as an event): an organisation's name, kind, description
and activities, never its email or phone, whatever their visibility; an experience's
title and five fields; a news item's title, summary and source; an event's title,
description and place; a resource's title and description. A proposal (news or event)
or a declined event has no document: only its proposer and those who decide it read it.
Like a post's, a document names its region and never who may read it: search asks the
policy at each query. A resource, read by everyone, has no region.

The words are indexed as posts' are (`forum.documents`): the document's language stemmer
(an organisation's first working language, a resource's first language) and the words as
written; then scope lexemes (kind, region, topics, countries, UNCAC articles) that
search's filters match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.documents import words_vector

ORGANISATION = "organisation"
EXPERIENCE = "experience"
NEWS = "news"
EVENT = "event"
RESOURCE = "resource"
KINDS = (ORGANISATION, EXPERIENCE, NEWS, EVENT, RESOURCE)
# The name under which `refresh` and `load` take the ids of each kind's rows.
SELECTORS = {
    ORGANISATION: "organisations",
    EXPERIENCE: "experiences",
    NEWS: "news",
    EVENT: "events",
    RESOURCE: "resources",
}
_NO_ID = "NULL::bigint"
_NO_ARTICLES = "CAST('{}' AS smallint[])"

# One row per organisation, experience, news item, event and resource among those asked
# for; the text only of fields every reader of the region sees. `created_at` is the day
# a news item appeared and an event's start (what `since` and `until` filter on).
_SOURCE = f"""
    SELECT 'organisation' AS kind, o.id AS organisation_id, {_NO_ID} AS experience_id,
           {_NO_ID} AS news_id, {_NO_ID} AS event_id, {_NO_ID} AS resource_id,
           c.region_id,
           ARRAY(SELECT t.topic_id FROM organisation_topics t
                 WHERE t.organisation_id = o.id ORDER BY 1) AS topic_ids,
           ARRAY[CAST(o.country_code AS text)] AS countries, o.uncac_articles,
           o.name AS title,
           -- Never o.email nor o.phone: members-only or private for some readers.
           concat_ws(' ', o.description,
                     (SELECT string_agg(a.title || ' ' || a.description, ' ' ORDER BY a.id)
                      FROM organisation_activities a WHERE a.organisation_id = o.id)) AS body,
           coalesce(o.languages[1], '') AS language, o.created_at,
           NULL::timestamptz AS ends_at, '' AS source, '' AS url
    FROM organisations o
    JOIN countries c ON c.code = o.country_code
    WHERE o.id = ANY(:organisations)
    UNION ALL
    SELECT 'experience', e.organisation_id, e.id, {_NO_ID}, {_NO_ID}, {_NO_ID},
           c.region_id, e.topic_ids, CAST(e.countries AS text[]), e.uncac_articles, e.title,
           concat_ws(' ', forum_html_text(e.context_html), forum_html_text(e.action_html),
                     forum_html_text(e.obstacles_html), forum_html_text(e.outcome_html),
                     forum_html_text(e.lessons_html)),
           e.language, e.created_at, NULL, '', ''
    FROM experiences e
    JOIN organisations o ON o.id = e.organisation_id
    JOIN countries c ON c.code = o.country_code
    WHERE e.id = ANY(:experiences) OR e.organisation_id = ANY(:organisations)
    UNION ALL
    -- Published only: a proposal is its proposer's and its deciders' (`forum.news`).
    SELECT 'news', NULL, {_NO_ID}, n.id, {_NO_ID}, {_NO_ID}, n.region_id, n.topic_ids,
           CAST(n.countries AS text[]), {_NO_ARTICLES}, n.title,
           concat_ws(' ', n.summary, n.source_name), n.language,
           CAST(n.published_on AS timestamp) AT TIME ZONE 'UTC', NULL, n.source_name, ''
    FROM news n
    WHERE n.id = ANY(:news) AND n.status = 'published'
    UNION ALL
    -- Published only, past ones too; proposed and declined ones are not searched.
    SELECT 'event', NULL, {_NO_ID}, {_NO_ID}, v.id, {_NO_ID}, v.region_id,
           CAST('{{}}' AS smallint[]),
           ARRAY(SELECT DISTINCT CAST(x AS text) FROM unnest(v.countries || v.country) x
                 WHERE x IS NOT NULL ORDER BY 1),
           {_NO_ARTICLES}, v.title,
           concat_ws(' ', forum_html_text(v.description_html), v.place), v.language,
           v.starts_at, v.ends_at, v.place, ''
    FROM calendar_events v
    WHERE v.id = ANY(:events) AND v.status = 'published'
    UNION ALL
    -- Everyone reads resources: no region.
    SELECT 'resource', NULL, {_NO_ID}, {_NO_ID}, {_NO_ID}, r.id, NULL, r.topic_ids,
           CAST(r.countries AS text[]), {_NO_ARTICLES}, r.title, r.description,
           coalesce(r.languages[1], ''), r.created_at, NULL, r.kind, r.url
    FROM resources r
    WHERE r.id = ANY(:resources)
"""

# Weights as posts': title A, body D; stems in the document's language, words as written.
# A resource has no region lexeme: no region filter matches it.
_TSV = (
    words_vector("s.title", "s.body", "s.language")
    + """
    || array_to_tsvector(
        ARRAY['kind ' || s.kind]
        || ARRAY(SELECT 'region ' || s.region_id WHERE s.region_id IS NOT NULL)
        || ARRAY(SELECT 'topic ' || t FROM unnest(s.topic_ids) t)
        || ARRAY(SELECT 'country ' || x FROM unnest(s.countries) x)
        || ARRAY(SELECT 'uncac ' || a FROM unnest(s.uncac_articles) a))
"""
)

# An organisation's experiences follow it: they are in its region, wherever it moves.
_FORGET = text(
    """
    DELETE FROM search_knowledge
    WHERE organisation_id = ANY(:organisations) OR experience_id = ANY(:experiences)
       OR news_id = ANY(:news) OR event_id = ANY(:events) OR resource_id = ANY(:resources)
    """
)
_COLUMNS = """kind, organisation_id, experience_id, news_id, event_id, resource_id, region_id,
    topic_ids, countries, uncac_articles, title, body, language, created_at, ends_at, source,
    url"""
_WRITE = text(
    f"""
    INSERT INTO search_knowledge ({_COLUMNS}, tsv)
    SELECT {", ".join(f"s.{c.strip()}" for c in _COLUMNS.split(","))}, {_TSV}
    FROM ({_SOURCE}) s
    """
)

# With the names a reader is shown (Meilisearch stores them; `search_knowledge` ids).
_LOAD = text(
    f"""
    SELECT s.*, r.slug AS region, o.slug AS organisation, o.name AS organisation_name,
           ARRAY(SELECT t.slug FROM topics t WHERE t.id = ANY(s.topic_ids) ORDER BY 1)
               AS topics
    FROM ({_SOURCE}) s
    LEFT JOIN regions r ON r.id = s.region_id
    LEFT JOIN organisations o ON o.id = s.organisation_id
    ORDER BY s.kind, s.organisation_id, s.experience_id NULLS FIRST, s.news_id, s.event_id,
             s.resource_id
    """
)


@dataclass(frozen=True)
class KnowledgeDocument:
    kind: str  # one of KINDS
    organisation_id: int | None  # organisations and experiences
    experience_id: int | None
    organisation: str | None  # slug
    organisation_name: str | None
    region: str | None  # slug; None for a resource (read by everyone)
    topics: tuple[str, ...]  # slugs
    countries: tuple[str, ...]
    uncac_articles: tuple[int, ...]
    title: str
    body: str  # plain text
    language: str  # "" when unknown
    created_at: datetime  # a news item's day, an event's start
    # A news item's, an event's or a resource's id (`kind` says which)
    item_id: int | None = None
    ends_at: datetime | None = None  # an event's end
    source: str = ""  # a news item's source, an event's place, a resource's kind
    url: str = ""  # a resource's address

    @property
    def key(self) -> int:
        """The id of what the document was built from (unique within its kind)."""
        found = {ORGANISATION: self.organisation_id, EXPERIENCE: self.experience_id}.get(
            self.kind, self.item_id
        )
        assert found is not None
        return found


def _ids(
    organisations: Sequence[int],
    experiences: Sequence[int],
    news: Sequence[int],
    events: Sequence[int],
    resources: Sequence[int],
) -> dict[str, list[int]]:
    return {
        "organisations": list(organisations),
        "experiences": list(experiences),
        "news": list(news),
        "events": list(events),
        "resources": list(resources),
    }


async def refresh(
    session: AsyncConnection,
    *,
    organisations: Sequence[int] = (),
    experiences: Sequence[int] = (),
    news: Sequence[int] = (),
    events: Sequence[int] = (),
    resources: Sequence[int] = (),
) -> None:
    """Bring the documents of these organisations (with their experiences), experiences,
    news items, events and resources in line with what they are now: a row no longer
    searched (a proposal, a declined event) loses its document."""
    ids = _ids(organisations, experiences, news, events, resources)
    await session.execute(_FORGET, ids)
    await session.execute(_WRITE, ids)


async def load(
    session: AsyncConnection,
    *,
    organisations: Sequence[int] = (),
    experiences: Sequence[int] = (),
    news: Sequence[int] = (),
    events: Sequence[int] = (),
    resources: Sequence[int] = (),
) -> list[KnowledgeDocument]:
    """The documents of these organisations (with their experiences), experiences, news
    items, events and resources (none for those not searched)."""
    rows = await session.execute(_LOAD, _ids(organisations, experiences, news, events, resources))
    return [
        KnowledgeDocument(
            kind=r.kind,
            organisation_id=r.organisation_id,
            experience_id=r.experience_id,
            organisation=r.organisation,
            organisation_name=r.organisation_name,
            region=r.region,
            topics=tuple(r.topics),
            countries=tuple(r.countries),
            uncac_articles=tuple(r.uncac_articles),
            title=r.title,
            body=r.body,
            language=r.language,
            created_at=r.created_at,
            item_id=r.news_id or r.event_id or r.resource_id,
            ends_at=r.ends_at,
            source=r.source,
            url=r.url,
        )
        for r in rows
    ]


# What `everything` reads, by the name `refresh` and `load` take.
_TABLES = {
    "organisations": "organisations",
    "news": "news",
    "events": "calendar_events",
    "resources": "resources",
}


async def everything(session: AsyncConnection) -> dict[str, list[int]]:
    """Every row a document may be built from, as `refresh` and `load` take them (a few
    thousand profiles, stories, news items, events and resources): an organisation
    brings its experiences."""
    found: dict[str, list[int]] = {}
    for name, table in _TABLES.items():
        found[name] = list(await session.scalars(text(f"SELECT id FROM {table} ORDER BY id")))
    return found

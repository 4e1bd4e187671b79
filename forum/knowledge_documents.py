"""Search documents of organisations (CSO profiles) and experiences (case stories), built
by the core that owns them, as `forum.documents` builds posts'.

Table `search_knowledge` (migration 0012), through the SQL here only. `refresh` runs in
the transaction of every change to a profile or a story (`forum.organisations`,
`forum.experiences`), so a document is never behind what it was built from. A document
holds only what every reader of the organisation's region may see
(`permissions.can_read_organisation`, `can_read_experience`): an organisation's name,
kind, description and activities, never its email or phone, whatever their visibility;
an experience's title and five fields. Like a post's, it names its region and never who
may read it: search asks the policy at each query.

The words are indexed as posts' are (`forum.documents`): the document's language stemmer
(an organisation's first working language) and the words as written; then scope lexemes
(kind, region, topics, countries, UNCAC articles) that search's filters match.
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

# One row per organisation and per experience among those asked for; the text only of
# fields every reader of the region sees.
_SOURCE = """
    SELECT 'organisation' AS kind, o.id AS organisation_id, NULL::bigint AS experience_id,
           c.region_id,
           ARRAY(SELECT t.topic_id FROM organisation_topics t
                 WHERE t.organisation_id = o.id ORDER BY 1) AS topic_ids,
           ARRAY[CAST(o.country_code AS text)] AS countries, o.uncac_articles,
           o.name AS title,
           -- Never o.email nor o.phone: members-only or private for some readers.
           concat_ws(' ', o.description,
                     (SELECT string_agg(a.title || ' ' || a.description, ' ' ORDER BY a.id)
                      FROM organisation_activities a WHERE a.organisation_id = o.id)) AS body,
           coalesce(o.languages[1], '') AS language, o.created_at
    FROM organisations o
    JOIN countries c ON c.code = o.country_code
    WHERE o.id = ANY(:organisations)
    UNION ALL
    SELECT 'experience', e.organisation_id, e.id, c.region_id, e.topic_ids,
           CAST(e.countries AS text[]), e.uncac_articles, e.title,
           concat_ws(' ', forum_html_text(e.context_html), forum_html_text(e.action_html),
                     forum_html_text(e.obstacles_html), forum_html_text(e.outcome_html),
                     forum_html_text(e.lessons_html)),
           e.language, e.created_at
    FROM experiences e
    JOIN organisations o ON o.id = e.organisation_id
    JOIN countries c ON c.code = o.country_code
    WHERE e.id = ANY(:experiences) OR e.organisation_id = ANY(:organisations)
"""

# Weights as posts': title A, body D; stems in the document's language, words as written.
_TSV = (
    words_vector("s.title", "s.body", "s.language")
    + """
    || array_to_tsvector(
        ARRAY['kind ' || s.kind, 'region ' || s.region_id]
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
    """
)
_WRITE = text(
    f"""
    INSERT INTO search_knowledge (kind, organisation_id, experience_id, region_id, topic_ids,
        countries, uncac_articles, title, body, language, created_at, tsv)
    SELECT s.kind, s.organisation_id, s.experience_id, s.region_id, s.topic_ids, s.countries,
           s.uncac_articles, s.title, s.body, s.language, s.created_at, {_TSV}
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
    JOIN regions r ON r.id = s.region_id
    JOIN organisations o ON o.id = s.organisation_id
    ORDER BY s.organisation_id, s.experience_id NULLS FIRST
    """
)


@dataclass(frozen=True)
class KnowledgeDocument:
    kind: str  # ORGANISATION or EXPERIENCE
    organisation_id: int
    experience_id: int | None
    organisation: str  # slug
    organisation_name: str
    region: str  # slug
    topics: tuple[str, ...]  # slugs
    countries: tuple[str, ...]
    uncac_articles: tuple[int, ...]
    title: str
    body: str  # plain text
    language: str  # "" when unknown
    created_at: datetime


async def refresh(
    session: AsyncConnection,
    *,
    organisations: Sequence[int] = (),
    experiences: Sequence[int] = (),
) -> None:
    """Bring the documents of these organisations (with their experiences) and of these
    experiences in line with what they are now."""
    ids = {"organisations": list(organisations), "experiences": list(experiences)}
    await session.execute(_FORGET, ids)
    await session.execute(_WRITE, ids)


async def load(
    session: AsyncConnection,
    *,
    organisations: Sequence[int] = (),
    experiences: Sequence[int] = (),
) -> list[KnowledgeDocument]:
    """The documents of these organisations (with their experiences) and experiences."""
    rows = await session.execute(
        _LOAD, {"organisations": list(organisations), "experiences": list(experiences)}
    )
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
        )
        for r in rows
    ]

"""Search documents: what search may find of a post, built by the core that owns posts.

A thread's opening post is a `thread` document (its title and body); every reply is a
`post` document. A post that is deleted or hidden, or whose thread is hidden, has none.
A document names its region, never who may read it: search asks that of the policy at
each query, so a region's visibility applies the moment it changes. It carries the
author's organisations only where the member shows the affiliation
(`permissions.affiliation_shown`).
The PostgreSQL backend matches `search_documents` rows, which `refresh` writes in the
post's own transaction; the Meilisearch indexer sends what `load` builds. (The
PostgreSQL backend asks `affiliations` at query time instead: a member's choice applies
at once, without rewriting their posts.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import keep_plans
from forum.permissions import shown_affiliations

_SOURCE = """
    SELECT p.id AS post_id, p.thread_id, p.position,
           CASE WHEN p.position = 1 THEN 'thread' ELSE 'post' END AS kind,
           t.title, t.region_id, r.slug AS region, t.topic_id, tp.slug AS topic,
           ARRAY(SELECT c.country_code FROM thread_countries c
                 WHERE c.thread_id = t.id ORDER BY 1) AS countries,
           p.author_id, u.display_name AS author_name,
           -- Only affiliations the member shows (`permissions.affiliation_shown`).
           ARRAY(SELECT o.slug FROM affiliations a
                 JOIN organisations o ON o.id = a.organisation_id
                 WHERE a.user_id = p.author_id AND a.shown = ANY(:shown)
                 ORDER BY 1) AS organisations,
           p.created_at, p.language,
           forum_html_text(p.body_html) AS body
    FROM posts p
    JOIN threads t ON t.id = p.thread_id
    JOIN regions r ON r.id = t.region_id
    JOIN topics tp ON tp.id = t.topic_id
    JOIN users u ON u.id = p.author_id
    WHERE p.id = ANY(:ids) AND p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
"""

# The lexeme of the documents in search's window of newest documents (a space: no word
# of a post or a query is ever read as it), and the search cursor saying where that
# window starts (`move_window`).
NEWEST = "window newest"
WINDOW_CURSOR = "window"


def words_vector(title: str, body: str, language: str) -> str:
    """SQL: the tsvector of a document's words, from these SQL expressions: stems in its
    language (title weight A, body D) and the words as written. Every kind of document
    is indexed so (`forum.knowledge_documents` too), so one query reads them alike."""
    config = f"forum_ts_config({language})"
    return f"""
    CASE WHEN {config} = 'forum_simple'::regconfig THEN ''::tsvector
         ELSE setweight(to_tsvector({config}, {title}), 'A') || to_tsvector({config}, {body})
    END
    || setweight(to_tsvector('forum_simple', {title}), 'A')
    || to_tsvector('forum_simple', {body})"""


# The post's language stemmer (weights: title A, body D) and, for any language, the
# words as written (unaccented, lower case, no stop words): a query finds a post by stem
# in its own language and by exact word from any other. Then the scope lexemes (kind,
# region, topic, countries; migration 0003) and, for a post inside the window, NEWEST:
# filters and the window are searched in the same index as the words.
_TSV = (
    words_vector("s.headline", "s.body", "s.language")
    + """
    || forum_search_scope(s.kind, s.region_id, s.topic_id, s.countries)
    || CASE WHEN s.created_at >= (SELECT CAST(position AS timestamptz) FROM search_cursors
                                  WHERE name = :window)
            THEN array_to_tsvector(ARRAY[CAST(:newest AS text)]) ELSE ''::tsvector END
"""
)

_SHOWN = shown_affiliations()

_REFRESH = text(
    f"""
    WITH s AS (
        SELECT source.*, CASE WHEN source.kind = 'thread' THEN source.title ELSE '' END
               AS headline
        FROM ({_SOURCE}) source
    ),
    gone AS (
        DELETE FROM search_documents d
        WHERE d.post_id = ANY(:ids) AND NOT EXISTS (SELECT FROM s WHERE s.post_id = d.post_id)
    )
    INSERT INTO search_documents AS d (post_id, thread_id, kind, region_id, topic_id,
        countries, author_id, created_at, tsv)
    SELECT s.post_id, s.thread_id, s.kind, s.region_id, s.topic_id, s.countries,
           s.author_id, s.created_at, {_TSV}
    FROM s
    ON CONFLICT (post_id) DO UPDATE SET
        thread_id = excluded.thread_id, kind = excluded.kind, region_id = excluded.region_id,
        topic_id = excluded.topic_id, countries = excluded.countries,
        author_id = excluded.author_id, created_at = excluded.created_at, tsv = excluded.tsv
    """
)

_LOAD = text(_SOURCE + " ORDER BY p.id")

# The window starts at the `size`-th newest document (none: fewer documents than that).
# The start is read first and passed as a value, so that the planner sees how few rows
# each UPDATE touches (with the start as a subquery it read the whole table).
_WINDOW_START = text(
    """
    SELECT created_at FROM search_documents
    -- Uses index: ix_search_documents_created_at
    ORDER BY created_at DESC, post_id DESC OFFSET :skip LIMIT 1
    """
)
_SAVE_START = text(
    """
    INSERT INTO search_cursors (name, position)
    VALUES (:window, CAST(CAST(:start AS timestamptz) AS text))
    ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()
    """
)
_FORGET_START = text("DELETE FROM search_cursors WHERE name = :window")
# Documents that left the window lose NEWEST; documents inside it without NEWEST (the
# window moved back after deletions, or began) get it.
_LEAVE = text(
    """
    UPDATE search_documents SET tsv = ts_delete(tsv, CAST(:newest AS text))
    -- Uses index: ix_search_documents_tsv
    WHERE tsv @@ CAST(:newest_query AS tsquery) AND created_at < :start
    """
)
_JOIN = text(
    """
    UPDATE search_documents SET tsv = tsv || array_to_tsvector(ARRAY[CAST(:newest AS text)])
    -- Uses index: ix_search_documents_created_at
    WHERE created_at >= :start AND NOT tsv @@ CAST(:newest_query AS tsquery)
    """
)


@dataclass(frozen=True)
class Document:
    id: int  # the post's id
    kind: str  # "thread" (an opening post, with the thread's title) or "post"
    thread_id: int
    position: int
    title: str  # the thread's title
    body: str  # plain text
    language: str
    region: str
    topic: str
    countries: tuple[str, ...]
    author_id: int
    author_name: str
    organisations: tuple[str, ...]  # slugs of the affiliations the author shows
    created_at: datetime


async def refresh(session: AsyncConnection, post_ids: Sequence[int]) -> None:
    """Bring the documents of these posts in line with the posts: written, rewritten, or
    removed when the post may no longer be found."""
    # PostgreSQL reckons the kept plan of `_REFRESH` (made for `p.id = ANY(:ids)` of ten
    # posts) three times the cost of one for the single post of a reply, so every reply
    # planned it again (1.1 ms when quiet, 3 ms by the clock under the API bench's load,
    # against 0.9 ms to run it). The kept plan is the same one, looked up by key, for a
    # few ids or thousands; the writes that follow in the transaction are key look-ups.
    await keep_plans(session)
    await session.execute(
        _REFRESH,
        {"ids": list(post_ids), "shown": _SHOWN, "window": WINDOW_CURSOR, "newest": NEWEST},
    )


async def move_window(session: AsyncConnection, size: int) -> None:
    """Make the newest `size` documents (and any written since) the ones holding NEWEST;
    new posts get it when written (`_TSV`)."""
    start = await session.scalar(_WINDOW_START, {"skip": size - 1})
    names = {"window": WINDOW_CURSOR, "newest": NEWEST, "newest_query": f"'{NEWEST}'"}
    if start is None:
        await session.execute(_FORGET_START, names)
        start = datetime.max.replace(tzinfo=UTC)  # every document has left
    else:
        await session.execute(_SAVE_START, names | {"start": start})
        await session.execute(_JOIN, names | {"start": start})
    await session.execute(_LEAVE, names | {"start": start})


async def load(session: AsyncConnection, post_ids: Sequence[int]) -> list[Document]:
    """The documents of those of these posts that search may find."""
    rows = await session.execute(_LOAD, {"ids": list(post_ids), "shown": _SHOWN})
    return [
        Document(
            id=r.post_id,
            kind=r.kind,
            thread_id=r.thread_id,
            position=r.position,
            title=r.title,
            body=r.body,
            language=r.language,
            region=r.region,
            topic=r.topic,
            countries=tuple(r.countries),
            author_id=r.author_id,
            author_name=r.author_name,
            organisations=tuple(r.organisations),
            created_at=r.created_at,
        )
        for r in rows
    ]

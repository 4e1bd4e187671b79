"""The PostgreSQL full-text backend (the default): no setup, no indexer.

Documents are `search_documents` rows, written with the post (`forum.documents`). A
query is stemmed in every language search knows and also read word for word, so
"luttent" finds "lutter" and an English name finds a French post; exclusions remove a
post holding any form of the word.

The plan, for a million posts (bench/search.py): everything is a GIN lookup. Each
document's tsvector also holds scope lexemes (its kind, region, topic and countries, and
whether it is among the newest documents; migration 0003, `forum.documents`), so the
filters and the window of newest documents are searched like words: each is a key of
one scan of the GIN index, which leapfrogs between them and the reader's words. A query
is answered from the newest WINDOW documents when they hold a page of matches, otherwise
from every match; counting stops at `CAP`; only the newest `RANKED` matches are ranked
(relevance times recency) and the counted ones make the facets. One statement, one round
trip.

Which regions the reader may read is not in the documents (a region's visibility changes
without its posts changing): each query passes the ids of the regions the reader may read
now (`Query.readable`) and the matches are kept to `region_id = ANY(...)`. That is a
check on a column of the rows the GIN scan found, which the statement visits anyway (for
their dates), as it did the stored visibility before: no extra page, no change of plan.
Scope lexemes would cost more: "any readable region" is an OR of region lexemes that
between them hold nearly every document, so the GIN scan would merge their long posting
lists, or advance each of them at every candidate, for a condition that rules out little.
The reader's own region filter stays a scope lexeme: it is selective.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from time import monotonic
from typing import Any

import asyncpg
from sqlalchemy import text

from forum import documents, locks
from forum.db import Database, Prepared, driver_dsn
from forum.documents import Document
from forum.languages import STEMMED
from forum.locks import Lock
from forum.permissions import shown_affiliations
from search import snippets, vocabulary, words
from search.backend import (
    FACETS,
    PER_PAGE,
    Filters,
    Hit,
    Kind,
    Query,
    Results,
    nothing_found,
)

# Matches beyond this many are not counted: the total reads "1,000+" and the facets
# count the newest 1,000 matches.
CAP = 1000
# A query first looks among the newest WINDOW documents (those holding the lexeme
# `documents.NEWEST`, kept in place by `keep_window`). If they hold a page of matches,
# those are the answer ("N+"); otherwise every match is found (then there are few, since
# the newest documents held less than a page of them).
WINDOW = 10_000
WINDOW_EVERY = 60.0  # seconds between a process's looks at whether the window exists
# Only the newest matches are ranked (relevance times recency), at least as many as the
# requested page needs; a rare word's matches are all among them.
RANKED = 100
# Fewer hits than this and the words are checked for misspellings.
SUGGEST_BELOW = 5
# Searches at once per process; more wait for a connection (the work is the database's).
CONNECTIONS = 5
# Search's own connections: generic plans (the plan does not depend on the words, which
# the statement reads itself; planning cost more than running a rare word's search) and
# no JIT (it costs more than any of these queries).
SESSION = {"plan_cache_mode": "force_generic_plan", "jit": "off"}


def _alternatives(param: str, *extra: str) -> str:
    """The distinct readings of a query in every language (and word for word), as the
    text of one tsquery ORing them: most languages read most words alike."""
    configs = [f"forum_ts_config('{code}')" for code in sorted(STEMMED)] + ["'forum_simple'"]
    readings = [f"websearch_to_tsquery({c}, :{param})" for c in configs] + list(extra)
    return f"""
        SELECT string_agg('(' || r || ')', ' | ' ORDER BY r) FROM (
            SELECT DISTINCT CAST(reading AS text) AS r
            FROM unnest(ARRAY[{", ".join(readings)}]) AS reading
            WHERE numnode(reading) > 0) readings
    """


# The reader's words as the text of a tsquery (NULL when only stop words were typed).
_WORDS = f"""
    SELECT CASE WHEN unwanted IS NULL THEN wanted
                ELSE '(' || wanted || ') & !(' || unwanted || ')' END AS words
    FROM ({_alternatives("positive", "to_tsquery('forum_simple', :prefixes)")}) AS w(wanted),
         ({_alternatives("excluded")}) AS u(unwanted)
"""

# Filters other than the scope lexemes', on posts' documents (`d`) and on the other
# kinds' (`k`). The organisation's posts are those of members who show their
# affiliation now (`permissions.affiliation_shown`): asked at each query, so hiding it
# applies at once; the other kinds have no author, and only organisations and
# experiences name an organisation.
_FILTERS = {
    "author": "d.author_id = :author",
    "organisation": """d.author_id IN (
        SELECT a.user_id FROM affiliations a JOIN organisations o ON o.id = a.organisation_id
        WHERE o.slug = :organisation AND a.shown = ANY(:shown))""",
    "since": "d.created_at >= :since",
    "until": "d.created_at < :until",
}
_KNOWLEDGE_FILTERS = {
    "author": "false",
    "organisation": """k.organisation_id = (
        SELECT o.id FROM organisations o WHERE o.slug = :organisation)""",
    "since": "k.created_at >= :since",
    "until": "k.created_at < :until",
}

# The newest CAP documents matching the words (and the scope's lexemes; `{within}`). Each
# condition on `tsv` is a key of one scan of the GIN index, which leapfrogs between them:
# one tsquery ANDing all of them would be checked at every item of its rarest lexeme (the
# window's 10,000 documents, say), which cost up to 15 times as much. The fence (OFFSET
# 0) makes the index find every match before they are sorted: left to itself, the
# planner may walk the date index in hope of an early match, which for a rare word means
# reading every document.
_MATCHES = """
    SELECT * FROM (
        SELECT d.post_id, d.kind, d.region_id, d.topic_id, d.countries, d.created_at
        FROM search_documents d
        -- Uses index: ix_search_documents_tsv
        WHERE d.tsv @@ (SELECT CAST(words AS tsquery) FROM q){within}
          AND d.region_id = ANY(:regions){filters}
        OFFSET 0) m
    ORDER BY m.created_at DESC, m.post_id DESC
    LIMIT {cap}
"""

# Organisations, experiences, news items, events and resources matching the words and
# the scope: a few thousand documents in all, so every match is ranked. A resource is
# the one kind without a region (the table checks it): everyone reads resources. An
# event to come is as recent as today.
_KNOWLEDGE = """
    SELECT k.id, k.kind, k.region_id, k.topic_ids, k.countries, k.uncac_articles,
           ts_rank(k.tsv, (SELECT CAST(words AS tsquery) FROM q))
           / (1 + extract(epoch FROM now() - least(k.created_at, now()))
                  / (2 * 365 * 86400)) AS score
    FROM search_knowledge k
    -- Uses index: ix_search_knowledge_tsv
    WHERE k.tsv @@ (SELECT CAST(words AS tsquery) FROM q){scope}
      AND (k.region_id = ANY(:regions) OR k.region_id IS NULL){filters}
    ORDER BY k.created_at DESC, k.id DESC
    LIMIT {cap}
"""

# `:recent` is the window's lexeme (NULL: no window), `:scope` the filters' lexemes.
# Posts and the other kinds are ranked together (relevance times recency, the same
# score) and counted together.
_SEARCH = """
    WITH q AS MATERIALIZED ({words}),
    recent AS MATERIALIZED ({recent}),
    windowed AS MATERIALIZED (SELECT count(*) >= :needed AS enough FROM recent),
    matched AS MATERIALIZED (
        SELECT * FROM recent WHERE (SELECT enough FROM windowed)
        UNION ALL
        -- Not run at all when the window had a page of matches.
        SELECT * FROM ({everywhere}) e WHERE NOT (SELECT enough FROM windowed)
    ),
    knowledge AS MATERIALIZED ({knowledge}),
    top AS (
        SELECT * FROM (
            SELECT c.post_id, NULL::bigint AS knowledge_id,
                   ts_rank(d.tsv, (SELECT CAST(words AS tsquery) FROM q))
                   / (1 + extract(epoch FROM now() - c.created_at) / (2 * 365 * 86400))
                   AS score
            FROM (SELECT post_id, created_at FROM matched
                  ORDER BY created_at DESC, post_id DESC LIMIT :ranked) c
            JOIN search_documents d ON d.post_id = c.post_id
            UNION ALL
            SELECT NULL, k.id, k.score FROM knowledge k) ranked
        ORDER BY score DESC, post_id DESC NULLS LAST, knowledge_id DESC
        LIMIT :limit OFFSET :offset
    )
    SELECT
        (SELECT words FROM q) AS words,
        (SELECT enough FROM windowed) AS windowed,
        (SELECT count(*) FROM matched) + (SELECT count(*) FROM knowledge) AS total,
        -- (facet, value, count); ids and codes as text. Posts and the other kinds are
        -- counted apart (a value can come twice: `_facets` adds them up), posts without
        -- building arrays for them, and arrays unnested in the select list: one pass,
        -- where a join with `unnest` set up a function scan per row. Over the old count
        -- (every match made a row of arrays first), a search of a common word at 100,000
        -- posts took 3.8 ms of PostgreSQL's time instead of 4.85 (bench/README.md).
        (SELECT array_agg(ROW(facet, value, n)) FROM (
            SELECT 'region' AS facet, CAST(region_id AS text) AS value, count(*) AS n
            FROM matched GROUP BY region_id
            UNION ALL
            SELECT 'kind', kind, count(*) FROM matched GROUP BY kind
            UNION ALL
            SELECT 'topic', CAST(topic_id AS text), count(*) FROM matched GROUP BY topic_id
            UNION ALL
            SELECT 'country', c, count(*) FROM (SELECT unnest(countries) AS c FROM matched) m
            GROUP BY c
            UNION ALL
            SELECT 'region', CAST(region_id AS text), count(*)
            FROM knowledge WHERE region_id IS NOT NULL GROUP BY region_id
            UNION ALL
            SELECT 'kind', kind, count(*) FROM knowledge GROUP BY kind
            UNION ALL
            SELECT 'topic', CAST(t AS text), count(*)
            FROM (SELECT unnest(topic_ids) AS t FROM knowledge) k GROUP BY t
            UNION ALL
            SELECT 'country', c, count(*)
            FROM (SELECT unnest(countries) AS c FROM knowledge) k GROUP BY c
            UNION ALL
            SELECT 'uncac', CAST(a AS text), count(*)
            FROM (SELECT unnest(uncac_articles) AS a FROM knowledge) k GROUP BY a) f) AS facets,
        -- Records, not JSON: the driver decodes them without any text to parse.
        (SELECT array_agg(ROW(h.post_id, h.thread_id, h.position, h.title, h.body,
                              h.region_id, h.topic_id, h.countries, h.author_id,
                              h.author_name, h.created_at, h.language, h.score)
                          ORDER BY h.score DESC, h.post_id DESC)
         FROM (
            SELECT top.post_id, top.score, p.thread_id, p.position, p.created_at, p.language,
                   p.author_id, u.display_name AS author_name, t.title,
                   -- The document's region: the one the reader's regions were checked on.
                   d.region_id, t.topic_id,
                   -- Codes separated by spaces: the driver decodes no array in a record.
                   (SELECT string_agg(c.country_code, ' ' ORDER BY c.country_code)
                    FROM thread_countries c WHERE c.thread_id = t.id) AS countries,
                   -- A snippet needs the start of a long post, not all of it.
                   left(p.body_html, 2000) AS body
            FROM top
            JOIN search_documents d ON d.post_id = top.post_id
            JOIN posts p ON p.id = top.post_id
            JOIN threads t ON t.id = p.thread_id
            JOIN users u ON u.id = p.author_id
         ) h) AS hits,
        (SELECT array_agg(ROW(k.kind, k.experience_id, o.slug, o.name, k.title,
                              left(k.body, 2000), k.region_id,
                              array_to_string(k.topic_ids, ' '),
                              array_to_string(k.countries, ' '),
                              array_to_string(k.uncac_articles, ' '),
                              k.created_at, k.language,
                              coalesce(k.news_id, k.event_id, k.resource_id), k.ends_at,
                              k.source, k.url, top.score)
                          ORDER BY top.score DESC, top.knowledge_id DESC)
         FROM top
         JOIN search_knowledge k ON k.id = top.knowledge_id
         LEFT JOIN organisations o ON o.id = k.organisation_id) AS found
"""

_HAS_WINDOW = "SELECT EXISTS (SELECT FROM search_cursors WHERE name = $1)"


@dataclass(frozen=True)
class _Names:
    regions: dict[int, str]  # id -> slug
    topics: dict[int, str]

    def topic(self, topic_id: int) -> str:
        # A topic created a moment ago may not be in the snapshot yet: its id, then.
        return self.topics.get(topic_id, str(topic_id))


class PostgresBackend:
    name = "postgres"

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._window: tuple[float, bool] | None = None  # (looked up at, whether it exists)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def index(self, docs: Sequence[Document]) -> None:
        async with self.db.transaction() as session:
            await documents.refresh(session, [d.id for d in docs])

    async def remove(self, post_ids: Sequence[int]) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                text("DELETE FROM search_documents WHERE post_id = ANY(:ids)"),
                {"ids": list(post_ids)},
            )

    async def words_of(self, query: str) -> str | None:
        """The text of the tsquery a search for `query` matches documents with (None for a
        query of stop words only): what a saved search keeps (`forum.saved_searches`)."""
        terms = words.parse(query)
        if terms.empty:
            return None
        async with self.db.transaction() as session:
            found = await session.scalar(
                text(_WORDS),
                {
                    "positive": terms.positive,
                    "prefixes": "",
                    "excluded": " OR ".join(f'"{e}"' for e in terms.excluded),
                },
            )
        return str(found) if found else None

    async def search(self, query: Query) -> Results:
        terms = words.parse(query.text)
        if terms.empty or not query.readable:
            return nothing_found()
        async with (await self._connections()).acquire() as conn:
            scope = await self._scope(conn, query)
            if scope is None:  # a filter naming only what does not exist, or is not readable
                return nothing_found()
            results = await self._search(conn, query, terms, scope, widen=False)
            if results.total < SUGGEST_BELOW and terms.prefixes:
                results = await self._search(conn, query, terms, scope, widen=True)
            if results.total >= SUGGEST_BELOW or not terms.words:
                return results
            readable = [r.id for r in query.readable]
            respelt = await vocabulary.respell(conn, terms.words, readable)
            if not respelt:
                return results
            suggestion = words.respell(query.text, respelt)
            if results.total:
                return _with(results, suggestion=suggestion)
            corrected = await self._search(conn, query, words.parse(suggestion), scope, widen=True)
            return _with(corrected, suggestion=suggestion, corrected=bool(corrected.total))

    async def _connections(self) -> asyncpg.Pool:
        """Search's own connections, opened at the first search (a forum searching with
        Meilisearch never opens them): their sessions are set up for search (SESSION),
        so a search is one statement, not a transaction of settings around it."""
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        driver_dsn(self.db.url),
                        min_size=0,
                        max_size=CONNECTIONS,
                        server_settings=SESSION,
                        reset=_nothing_to_reset,
                    )
        return self._pool

    async def _search(
        self,
        conn: asyncpg.Connection,
        query: Query,
        terms: words.Terms,
        scope: str,
        *,
        widen: bool,
    ) -> Results:
        """One search; `widen` also matches long words by their beginning (for a query
        that found little as typed)."""
        needed = query.page * PER_PAGE
        params = _filters(query.filters) | {
            "positive": terms.positive,
            "prefixes": terms.prefixes if widen else "",
            "excluded": " OR ".join(f'"{e}"' for e in terms.excluded),
            # A widened query follows one that found less than a page: the window held less.
            "recent": None if widen else await self._recent(conn),
            "regions": sorted(r.id for r in query.readable),
            "needed": needed,
            # A deep page ranks as many of the newest matches as it needs.
            "ranked": max(RANKED, needed),
            "limit": PER_PAGE,
            "offset": needed - PER_PAGE,
        }
        if scope:
            params["scope"] = scope
        statement = _statement(tuple(params), CAP)
        row = await conn.fetchrow(statement.sql, *statement.args(**params))
        if row["words"] is None:  # only stop words, or nothing a word could be made of
            return nothing_found()
        facets = row["facets"] or []
        # Statements carry ids, named here by the catalog the query came with: every
        # match is in one of the regions the reader may read (the statement's condition).
        names = _Names({r.id: r.slug for r in query.readable}, {t.id: t.slug for t in query.topics})
        wanted = snippets.lexemes(row["words"])
        scored = [(h[-1], self._hit(h, names, wanted)) for h in row["hits"] or []]
        scored += [(k[-1], self._found(k, names, wanted)) for k in row["found"] or []]
        return Results(
            # In the statement's order: by score, posts first among equals (a stable sort).
            hits=[hit for _, hit in sorted(scored, key=lambda pair: pair[0], reverse=True)],
            total=row["total"],
            exact=row["total"] < CAP and not row["windowed"],
            facets=self._facets(facets, names),
        )

    async def _scope(self, conn: asyncpg.Connection, query: Query) -> str | None:
        """The filters on kind, region, topic, country and UNCAC article as the text of a
        tsquery of scope lexemes ("" when there are none), or None when one of them names only
        regions the reader may not read (or that do not exist) or topics that do not
        exist (the service refuses those first)."""
        f = query.filters
        readable = {r.slug: r.id for r in query.readable}
        topics = {t.slug: t.id for t in query.topics}
        groups = [
            [f"kind {k.value}" for k in f.kinds],
            [f"region {readable[r]}" for r in f.regions if r in readable],
            [f"topic {topics[t]}" for t in f.topics if t in topics],
            [f"country {c}" for c in f.countries],
            [f"uncac {a}" for a in f.uncac_articles],
        ]
        if (f.regions and not groups[1]) or (f.topics and not groups[2]):
            return None
        return " & ".join(
            "(" + " | ".join(_lexeme(v) for v in group) + ")" for group in groups if group
        )

    async def _recent(self, conn: asyncpg.Connection) -> str | None:
        """The window as the text of a tsquery, or None while there is none (fewer than
        WINDOW documents)."""
        now = monotonic()
        if self._window is None or now - self._window[0] > WINDOW_EVERY:
            self._window = (now, await conn.fetchval(_HAS_WINDOW, documents.WINDOW_CURSOR))
        return _lexeme(documents.NEWEST) if self._window[1] else None

    async def keep_window(self) -> None:
        """Move the window to the newest WINDOW documents (search's upkeep, run now and
        then by one process at a time; new posts join it as they are written)."""
        async with self.db.transaction() as session:
            # One process at a time moves the window.
            if await locks.try_for_transaction(session, Lock.SEARCH_WINDOW):
                await documents.move_window(session, WINDOW)
        self._window = None  # look again at the next search

    def _facets(self, rows: Sequence[tuple[Any, ...]], names: _Names) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        for facet, value, count in rows:
            if facet == "region":
                value = names.regions[int(value)]
            elif facet == "topic":
                value = names.topic(int(value))
            facets[facet][value] = facets[facet].get(value, 0) + count
        return facets

    def _hit(self, record: tuple[Any, ...], names: _Names, wanted: frozenset[str]) -> Hit:
        post_id, thread_id, position, title, body, region_id, topic_id, *rest = record
        countries, author_id, author_name, created_at, language, _ = rest
        return Hit(
            kind=Kind.THREAD if position == 1 else Kind.POST,
            post_id=post_id,
            thread_id=thread_id,
            position=position,
            title=title,
            snippet=snippets.highlight(snippets.text_of(body), wanted),
            region=names.regions[region_id],
            topics=(names.topic(topic_id),),
            countries=tuple(countries.split()) if countries else (),
            author_id=author_id,
            author_name=author_name,
            created_at=created_at,
            language=language,
        )

    def _found(self, record: tuple[Any, ...], names: _Names, wanted: frozenset[str]) -> Hit:
        """The hit of anything searched beside posts (`forum.knowledge_documents`)."""
        kind, experience_id, slug, name, title, body, region_id, *rest = record
        topic_ids, countries, articles, created_at, language, *rest = rest
        item_id, ends_at, source, url, _ = rest
        return Hit(
            kind=Kind(kind),
            title=title,
            snippet=snippets.highlight(body, wanted),
            region=None if region_id is None else names.regions[region_id],
            topics=tuple(names.topic(int(t)) for t in topic_ids.split()),
            countries=tuple(countries.split()),
            uncac_articles=tuple(int(a) for a in articles.split()),
            created_at=created_at,
            language=language,
            organisation=slug,
            organisation_name=name,
            experience_id=experience_id,
            item_id=item_id,
            ends_at=ends_at,
            source=source,
            url=url,
        )


def _with(results: Results, **changes: Any) -> Results:
    return Results(**{**results.__dict__, **changes})


def _filters(f: Filters) -> dict[str, Any]:
    """The values of the filters on author, organisation and dates this query uses, by
    name (`_FILTERS`, `_KNOWLEDGE_FILTERS`)."""
    values: dict[str, Any] = {
        "author": f.author,
        "organisation": f.organisation,
        "shown": shown_affiliations() if f.organisation is not None else None,
        "since": _midnight(f.since) if f.since else None,
        "until": _midnight(f.until + timedelta(days=1)) if f.until else None,
    }
    return {name: value for name, value in values.items() if value is not None}


def _lexeme(value: str) -> str:
    """A value as one quoted lexeme of a tsquery's text: whatever it holds, it cannot
    become an operator or a second lexeme."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


@cache
def _statement(names: tuple[str, ...], cap: int) -> Prepared:
    """The search statement for these parameters (filters among them), compiled once."""
    filters = "".join(f" AND {_FILTERS[n]}" for n in names if n in _FILTERS)
    knowledge_filters = "".join(
        f" AND {_KNOWLEDGE_FILTERS[n]}" for n in names if n in _KNOWLEDGE_FILTERS
    )
    scope = " AND {table}.tsv @@ CAST(:scope AS tsquery)" if "scope" in names else ""

    def matches(within: str) -> str:
        return _MATCHES.format(within=within, filters=filters, cap=cap)

    posts_scope = scope.format(table="d")
    sql = _SEARCH.format(
        words=_WORDS,
        recent=matches(posts_scope + " AND d.tsv @@ CAST(:recent AS tsquery)"),
        everywhere=matches(posts_scope),
        knowledge=_KNOWLEDGE.format(
            scope=scope.format(table="k"), filters=knowledge_filters, cap=cap
        ),
    )
    return Prepared.of(text(sql))


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """Search's connections keep no state to undo between searches (no SET, LISTEN,
    advisory lock or cursor; a transaction left open is rolled back by the pool itself),
    so a connection goes back to the pool without the round trip of a reset query."""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)

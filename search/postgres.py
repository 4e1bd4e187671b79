"""The PostgreSQL full-text backend (the default): no setup, no indexer.

Documents are `search_documents` rows, written with the post (`forum.documents`). A
query is stemmed in every language search knows and also read word for word, so
"luttent" finds "lutter" and an English name finds a French post; exclusions remove a
post holding any form of the word.

The plan, for a million posts (bench/search.py): how common the words are is read from
the planner's statistics (`search.frequencies`). A query expected to fill the page from
the newest WINDOW documents is answered from them (walking the date index for common
words, intersecting the GIN and date bitmaps for rarer ones); otherwise the GIN index
finds every match. Counting stops at `CAP`; only the newest `RANKED` matches are ranked
(relevance times recency) and the counted ones make the facets.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from time import monotonic
from typing import Any

import asyncpg
import orjson
from sqlalchemy import text

from forum import documents
from forum.db import Database, Prepared
from forum.documents import Document
from forum.languages import STEMMED
from search import snippets, vocabulary, words
from search.backend import (
    FACETS,
    PER_PAGE,
    Hit,
    Kind,
    Query,
    Results,
)
from search.frequencies import Frequencies

# Matches beyond this many are not counted: the total reads "1,000+" and the facets
# count the newest 1,000 matches.
CAP = 1000
# A query whose words' shares (`search.frequencies`) promise a full page among the newest
# WINDOW documents looks there first: words in at least COMMON_SHARE of all posts walk
# the date index and stop at CAP matches, rarer ones intersect the GIN and date bitmaps.
# If the window fills the page, its matches are the answer ("N+"). Otherwise, and for
# rarer words, the GIN index finds every match: then there are few, because the newest
# documents held less than a page of them.
WINDOW = 10_000
COMMON_SHARE = 0.05
# Only the newest matches are ranked (relevance times recency), at least as many as the
# requested page needs; a rare word's matches are all among them.
RANKED = 100
# Fewer hits than this and the words are checked for misspellings.
SUGGEST_BELOW = 5


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


# The tsquery is built first, in its own statement (with the region and topic ids), and
# passed to the search as a value. The same round trip sets the transaction's planner
# settings: generic plans, kept by the connection (planning the search statement cost
# 1.2 ms; the choice a custom plan would make from the words is made by `_search`, from
# their frequencies); no JIT (it costs more than any of these queries).
_PREPARE = text(
    f"""
    SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
           set_config('jit', 'off', true),
           q.query,
           ARRAY(SELECT id FROM regions WHERE slug = ANY(:regions)) AS region_ids,
           ARRAY(SELECT id FROM topics WHERE slug = ANY(:topics)) AS topic_ids
    FROM (
        SELECT CASE WHEN unwanted IS NULL THEN wanted
                    ELSE '(' || wanted || ') & !(' || unwanted || ')' END AS query
        FROM ({_alternatives("positive", "to_tsquery('forum_simple', :prefixes)")}) AS w(wanted),
             ({_alternatives("excluded")}) AS u(unwanted)
    ) q
    """
)

_PREPARE_SQL = Prepared.of(_PREPARE)

_FILTERS = {
    "kinds": "d.kind = ANY(:kinds)",
    "region_ids": "d.region_id = ANY(CAST(:region_ids AS smallint[]))",
    "topic_ids": "d.topic_id = ANY(CAST(:topic_ids AS smallint[]))",
    "countries": "d.countries && CAST(:countries AS text[])",
    "author": "d.author_id = :author",
    "organisation": "lower(d.organisation) = lower(:organisation)",
    "since": "d.created_at >= :since",
    "until": "d.created_at < :until",
}

# The newest matches among the newest WINDOW documents (those written since `cutoff`).
# The planner picks the plan from the words' frequencies: a common word walks the date
# index and stops at CAP matches; a rarer one intersects the GIN and date bitmaps.
_IN_WINDOW = """
    SELECT d.post_id, d.kind, d.region_id, d.topic_id, d.created_at
    FROM search_documents d
    WHERE d.created_at >= :cutoff
      AND d.tsv @@ CAST(:query AS tsquery) AND d.visibility = ANY(:audiences) {filters}
    ORDER BY d.created_at DESC, d.post_id DESC
    LIMIT {cap}
"""

# Where the window starts: it moves slowly, so each process looks it up once a minute.
_CUTOFF = text(
    "SELECT created_at FROM search_documents "
    "ORDER BY created_at DESC, post_id DESC OFFSET :skip LIMIT 1"
)
_CUTOFF_SQL = Prepared.of(_CUTOFF)
CUTOFF_EVERY = 60.0
STATS_EVERY = 300.0

# The newest of every match (a rare word: few matches). The fence (OFFSET 0) keeps the
# planner from walking the date index in hope of a match, which for a rare word means
# reading every document.
_EVERYWHERE = """
    SELECT * FROM (
        SELECT d.post_id, d.kind, d.region_id, d.topic_id, d.created_at
        FROM search_documents d
        -- Uses index: ix_search_documents_tsv
        WHERE d.tsv @@ CAST(:query AS tsquery) AND d.visibility = ANY(:audiences) {filters}
        OFFSET 0) m
    ORDER BY m.created_at DESC, m.post_id DESC
    LIMIT {cap}
"""

_SEARCH = """
    WITH matched AS MATERIALIZED ({matched}),
    top AS (
        SELECT c.post_id,
               ts_rank(d.tsv, CAST(:query AS tsquery))
               / (1 + extract(epoch FROM now() - c.created_at) / (2 * 365 * 86400)) AS score
        FROM (SELECT post_id, created_at FROM matched
              ORDER BY created_at DESC, post_id DESC LIMIT :ranked) c
        JOIN search_documents d ON d.post_id = c.post_id
        ORDER BY score DESC, c.post_id DESC
        LIMIT :limit OFFSET :offset
    )
    SELECT
        (SELECT count(*) FROM matched) AS total,
        -- [region id, topic id, kind, count]: one of the three is set per row.
        (SELECT jsonb_agg(jsonb_build_array(region_id, topic_id, kind, n)) FROM (
            SELECT region_id, topic_id, kind, count(*) AS n FROM matched
            GROUP BY GROUPING SETS ((region_id), (topic_id), (kind))) g) AS facets,
        (SELECT coalesce(jsonb_agg(h ORDER BY h.score DESC, h.post_id DESC), '[]')
         FROM (
            SELECT top.post_id, top.score, p.thread_id, p.position, p.created_at, p.language,
                   p.author_id, u.display_name AS author_name, t.title, t.region_id,
                   t.topic_id,
                   ARRAY(SELECT c.country_code FROM thread_countries c
                         WHERE c.thread_id = t.id ORDER BY 1) AS countries,
                   -- A snippet needs the start of a long post, not all of it.
                   forum_html_text(left(p.body_html, 2000)) AS body
            FROM top
            JOIN posts p ON p.id = top.post_id
            JOIN threads t ON t.id = p.thread_id
            JOIN users u ON u.id = p.author_id
         ) h) AS hits
"""

# Region and topic slugs by id: a few dozen rows that hardly ever change, so statements
# carry ids and the backend names them (and reloads when it meets an id it lacks).
_CATALOG = text(
    "SELECT 'region' AS facet, id, slug FROM regions UNION ALL SELECT 'topic', id, slug FROM topics"
)

_NOTHING = Results(hits=[], total=0, exact=True, facets={f: {} for f in FACETS})


class PostgresBackend:
    name = "postgres"

    def __init__(self, db: Database) -> None:
        self.db = db
        self._slugs: dict[tuple[str, int], str] = {}
        self._cutoff: tuple[float, datetime] | None = None  # (looked up at, cutoff)
        self._stats: tuple[float, Frequencies] | None = None  # (read at, frequencies)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def index(self, docs: Sequence[Document]) -> None:
        async with self.db.transaction() as session:
            await documents.refresh(session, [d.id for d in docs])

    async def remove(self, post_ids: Sequence[int]) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                text("DELETE FROM search_documents WHERE post_id = ANY(:ids)"),
                {"ids": list(post_ids)},
            )

    async def search(self, query: Query) -> Results:
        terms = words.parse(query.text)
        if terms.empty:
            return _NOTHING
        # The pooled connection's own driver: SQLAlchemy's layers cost more than these
        # statements' planning (see `Database.reader`).
        async with self.db.reader() as conn, conn.transaction():
            results = await self._search(conn, query, terms, widen=False)
            if results.total < SUGGEST_BELOW and terms.prefixes:
                results = await self._search(conn, query, terms, widen=True)
            if results.total >= SUGGEST_BELOW or not terms.words:
                return results
            respelt = await vocabulary.respell(conn, terms.words)
            if not respelt:
                return results
            suggestion = words.respell(query.text, respelt)
            if results.total:
                return _with(results, suggestion=suggestion)
            corrected = await self._search(conn, query, words.parse(suggestion), widen=True)
            return _with(corrected, suggestion=suggestion, corrected=bool(corrected.total))

    async def _search(
        self, conn: asyncpg.Connection, query: Query, terms: words.Terms, *, widen: bool
    ) -> Results:
        """One search; `widen` also matches long words by their beginning (for a query
        that found little as typed: prefixes make estimates and plans worse)."""
        f = query.filters
        prepared = await conn.fetchrow(
            _PREPARE_SQL.sql,
            *_PREPARE_SQL.args(
                positive=terms.positive,
                prefixes=terms.prefixes if widen else "",
                excluded=" OR ".join(f'"{e}"' for e in terms.excluded),
                regions=list(f.regions),
                topics=list(f.topics),
            ),
        )
        if not prepared["query"]:  # only stop words, or nothing a word could be made of
            return _NOTHING
        params = _filters(query, prepared["region_ids"], prepared["topic_ids"])
        # A deep page ranks as many of the newest matches as it needs.
        ranked = max(RANKED, query.page * PER_PAGE)
        params |= {
            "query": prepared["query"],
            "audiences": sorted(query.audiences),
            "ranked": ranked,
            "limit": PER_PAGE,
            "offset": (query.page - 1) * PER_PAGE,
        }
        frequencies = await self._frequencies(conn)
        size, estimate = frequencies.size, frequencies.expected(prepared["query"])
        needed = query.page * PER_PAGE
        windowed = size > WINDOW and estimate * WINDOW / size >= needed
        row = None
        if windowed:
            # Words in a good share of all posts walk the date index and stop at CAP
            # matches; rarer ones intersect the GIN and date bitmaps. Each way is its
            # own statement, planned once under its own setting (see `_statement`).
            way = "walk" if estimate > size * COMMON_SHARE else "intersect"
            params["cutoff"] = await self._window_start(conn)
            await conn.execute(_WAYS[way])
            row = await _run(conn, _statement(way, tuple(params), CAP, WINDOW), params)
            del params["cutoff"]
            if row["total"] < needed:  # statements follow: they choose freely again
                await conn.execute(_WAYS["any"])
        if row is None or row["total"] < needed:
            windowed = False
            row = await _run(conn, _statement("everywhere", tuple(params), CAP, WINDOW), params)
        hits, facets = _json(row["hits"]), _json(row["facets"]) or []
        ids = {("region", h["region_id"]) for h in hits}
        ids |= {("topic", h["topic_id"]) for h in hits}
        ids |= {("region", r) for r, _, _, _ in facets if r is not None}
        ids |= {("topic", t) for _, t, _, _ in facets if t is not None}
        if not ids <= self._slugs.keys():
            rows = await conn.fetch(_CATALOG.text)
            self._slugs = {(r["facet"], r["id"]): r["slug"] for r in rows}
        wanted = snippets.lexemes(prepared["query"])
        return Results(
            hits=[self._hit(h, wanted) for h in hits],
            total=row["total"],
            exact=row["total"] < CAP and not windowed,
            facets=self._facets(facets),
        )

    async def _frequencies(self, conn: asyncpg.Connection) -> Frequencies:
        now = monotonic()
        if self._stats is None or now - self._stats[0] > STATS_EVERY:
            self._stats = (now, await Frequencies.read(conn))
        return self._stats[1]

    async def _window_start(self, conn: asyncpg.Connection) -> datetime:
        now = monotonic()
        if self._cutoff is None or now - self._cutoff[0] > CUTOFF_EVERY:
            start = await conn.fetchval(_CUTOFF_SQL.sql, *_CUTOFF_SQL.args(skip=WINDOW - 1))
            self._cutoff = (now, start)
        return self._cutoff[1]

    def _facets(self, rows: list[list[Any]]) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        for region_id, topic_id, kind, count in rows:
            if region_id is not None:
                facets["region"][self._slugs[("region", region_id)]] = count
            elif topic_id is not None:
                facets["topic"][self._slugs[("topic", topic_id)]] = count
            elif kind is not None:
                facets["kind"][kind] = count
        return facets

    def _hit(self, h: dict[str, Any], wanted: frozenset[str]) -> Hit:
        return Hit(
            kind=Kind.THREAD if h["position"] == 1 else Kind.POST,
            post_id=h["post_id"],
            thread_id=h["thread_id"],
            position=h["position"],
            title=h["title"],
            snippet=snippets.highlight(h["body"], wanted),
            region=self._slugs[("region", h["region_id"])],
            topic=self._slugs[("topic", h["topic_id"])],
            countries=tuple(h["countries"]),
            author_id=h["author_id"],
            author_name=h["author_name"],
            created_at=datetime.fromisoformat(h["created_at"]),
            language=h["language"],
        )


def _with(results: Results, **changes: Any) -> Results:
    return Results(**{**results.__dict__, **changes})


def _filters(query: Query, region_ids: list[int], topic_ids: list[int]) -> dict[str, Any]:
    """The values of the filters this query uses, by name (`_FILTERS`)."""
    f = query.filters
    values: dict[str, Any] = {
        "kinds": [k.value for k in f.kinds] or None,
        # A filter naming only unknown values matches nothing (the service refuses them).
        "region_ids": region_ids if f.regions else None,
        "topic_ids": topic_ids if f.topics else None,
        "countries": list(f.countries) or None,
        "author": f.author,
        "organisation": f.organisation,
        "since": _midnight(f.since) if f.since else None,
        "until": _midnight(f.until + timedelta(days=1)) if f.until else None,
    }
    return {name: value for name, value in values.items() if value is not None}


# How the window is searched: the setting each way's statement is planned and run under.
_WAYS = {
    "walk": "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off",
    # A custom plan: whether to intersect with the date bitmap depends on the values.
    "intersect": "SET LOCAL plan_cache_mode = force_custom_plan",
    "any": "SET LOCAL enable_bitmapscan TO DEFAULT; SET LOCAL enable_seqscan TO DEFAULT; "
    "SET LOCAL plan_cache_mode = force_generic_plan",
}


@cache
def _statement(way: str, names: tuple[str, ...], cap: int, window: int) -> Prepared:
    """The search statement for these parameters (filters among them), compiled once.

    Each way of searching has its own text, so the plan a connection keeps for it (a
    generic plan: the way already decides what the words' frequencies would) is always
    made and used under that way's setting.
    """
    shape = {
        "filters": "".join(f" AND {_FILTERS[n]}" for n in names if n in _FILTERS),
        "cap": cap,
        "window": window,
    }
    matched = (_EVERYWHERE if way == "everywhere" else _IN_WINDOW).format(**shape)
    return Prepared.of(text(f"/* {way} */" + _SEARCH.format(matched=matched)))


def _json(value: Any) -> Any:
    # The pool's connections decode JSON themselves once SQLAlchemy has set them up.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def _run(conn: asyncpg.Connection, statement: Prepared, params: dict[str, Any]) -> Any:
    return await conn.fetchrow(statement.sql, *statement.args(**params))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)

"""The words posts use, for "did you mean": a vocabulary of unaccented, lower-case words
with the number of posts holding each, matched by trigram similarity (`pg_trgm`).

It grows from new posts in batches (`refresh`, run by each app now and then and by
`forum reindex`); counts are not lowered when a post goes away, which only makes a
suggestion a little more confident than it should be.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import Prepared

CURSOR = "vocabulary"

_BATCH_END = text(
    """
    SELECT max(id) FROM (SELECT id FROM posts WHERE id > :after ORDER BY id LIMIT :batch) b
    """
)

# `ts_stat` takes the text of a query; only integers are formatted into it.
_ADD = text(
    """
    INSERT INTO search_terms (word, documents)
    SELECT word, ndoc FROM ts_stat(format(
        'SELECT to_tsvector(''forum_simple'', forum_html_text(body_html)) FROM posts '
        'WHERE id > %s AND id <= %s AND deleted_at IS NULL AND NOT hidden',
        CAST(:after AS bigint), CAST(:upto AS bigint)))
    WHERE length(word) BETWEEN 3 AND 30 AND word !~ '[0-9_]'
    ON CONFLICT (word) DO UPDATE SET documents = search_terms.documents + excluded.documents
    """
)

_POSITION = text("SELECT position FROM search_cursors WHERE name = :name")
_MOVE = text(
    """
    INSERT INTO search_cursors (name, position) VALUES (:name, :position)
    ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()
    """
)

# For each word typed: the most similar known word, if it is far more common than the
# word as typed (a misspelling is rare; a correct rare word stays as it is).
_RESPELL = text(
    """
    SELECT typed.word AS typed, best.word AS better
    FROM unnest(CAST(:words AS text[])) AS typed(word)
    CROSS JOIN LATERAL (SELECT lower(unaccent(typed.word)) AS plain) n
    CROSS JOIN LATERAL (
        SELECT coalesce((SELECT documents FROM search_terms WHERE word = n.plain), 0) AS seen
    ) s
    CROSS JOIN LATERAL (
        SELECT t.word FROM search_terms t
        -- Uses index: ix_search_terms_word_trgm
        WHERE t.word % n.plain AND t.word <> n.plain AND t.documents >= 3
          AND t.documents > 10 * s.seen
        ORDER BY similarity(t.word, n.plain) DESC, t.documents DESC
        LIMIT 1
    ) best
    -- Stop words are not misspellings: they are left out of every search.
    WHERE length(n.plain) >= 3 AND n.plain !~ '-'
      AND to_tsvector('forum_simple', typed.word) <> ''::tsvector
    """
)
_RESPELL_SQL = Prepared.of(_RESPELL)


async def refresh(session: AsyncConnection, *, batch: int = 20_000) -> int:
    """Add the words of the next `batch` posts; 0 once every post has been read."""
    after = int(await session.scalar(_POSITION, {"name": CURSOR}) or 0)
    upto = await session.scalar(_BATCH_END, {"after": after, "batch": batch})
    if upto is None:
        return 0
    await session.execute(_ADD, {"after": after, "upto": upto})
    await session.execute(_MOVE, {"name": CURSOR, "position": str(upto)})
    return int(upto - after)


async def respell(conn: asyncpg.Connection, typed: Sequence[str]) -> dict[str, str]:
    """Better spellings of the words that look misspelled (keys are lower case); on the
    driver's connection, as search runs."""
    rows = await conn.fetch(_RESPELL_SQL.sql, *_RESPELL_SQL.args(words=list(typed)))
    return {r["typed"].lower(): r["better"] for r in rows}

"""The words posts use, for "did you mean": candidates from a vocabulary, decided by live
counts in the regions the reader may read.

The vocabulary (`search_terms`) holds the unaccented, lower-case words of every post in
every region, with how many posts held each when they were read. It only proposes
candidates: the words most similar to a typed one (`pg_trgm`). Whether a typed word looks
misspelled, and whether a candidate is offered, is decided by live counts: how many search
documents of the regions the reader may read now hold the word. So a suggestion is always
a word that at least LEAST documents the reader may see hold now: never a word found only
in a members-only region for a visitor, never one deleted or edited away.

What a count costs (`forum_documents_holding`, migration 0006): it stops at a cap and
looks first where a word reaches it soonest: the newest WALK documents (a common word, in
a few dozen rows), then search's window of newest documents (a GIN intersection bounded
by the window, however large the forum), then every document (a rare word's posting list
is short). The counts are taken only when a search found little
(`search.postgres.SUGGEST_BELOW`), for at most MOST_WORDS typed words that have candidates
at all: one count each (up to TYPED_CAP), then, for a word held by fewer, its candidates
in turn until one is held by enough documents (at most CANDIDATES counts, each up to
LEAST + RATIO times the typed word's count).

Upkeep (search's, every half minute): `refresh` takes in the words of new posts in
batches; `take_fading` and `drop_dead` let go of the words no document holds any more.
Only a word some document lost can have died: a trigger on `search_documents` (migration
0006) queues the words a document loses, whatever removed them (an edit, a deletion,
moderation, an operator's SQL), in `search_terms_fading`; each queued word that is in the
vocabulary is looked up once (a count capped at 1) and dropped if dead. So the
vocabulary follows deletions within a minute at the price of one look-up per word
removed, instead of a sweep of every word.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from forum.db import Prepared
from forum.documents import NEWEST

CURSOR = "vocabulary"

# A suggestion is held by at least LEAST documents the reader may read, and by more than
# RATIO times as many as the word typed (a misspelling is rare; a correct rare word stays
# as it is). A typed word that TYPED_CAP readable documents hold is taken as spelt right.
LEAST = 3
RATIO = 10
TYPED_CAP = 10
# The most similar candidates looked at per typed word, and typed words per query.
CANDIDATES = 5
MOST_WORDS = 8
# A count first reads this many of the newest documents, where a common word soon
# reaches its cap (`forum_documents_holding`, migration 0006).
WALK = 200
PRUNE_BATCH = 1_000

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

# For each word typed (one word as search reads it: not a stop word, which every search
# leaves out, nor one the parser splits), the most similar vocabulary words; for a word
# that has some, the documents of the reader's regions holding it; then, while it is held
# by fewer than TYPED_CAP of them, its candidates in turn until one is held by enough of
# them. A word without candidates is not counted at all (it could get no suggestion).
# The last subquery has a LIMIT, so the condition on live counts stays above it and is
# evaluated row by row, in order, only until one candidate passes.
_RESPELL = text(
    """
    WITH typed AS MATERIALIZED (
        SELECT w.word, w.plain FROM (
            SELECT u.word, lower(unaccent(u.word)) AS plain, u.n
            FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS u(word, n)) w
        WHERE length(w.plain) BETWEEN 3 AND 30
          AND tsvector_to_array(to_tsvector('forum_simple', w.word)) = ARRAY[w.plain]
        ORDER BY w.n
        LIMIT :most
    ),
    candidates AS MATERIALIZED (
        SELECT typed.word AS typed, c.word, c.similarity
        FROM typed
        CROSS JOIN LATERAL (
            SELECT t.word, similarity(t.word, typed.plain) AS similarity
            FROM search_terms t
            -- Uses index: ix_search_terms_word_trgm
            WHERE t.word % typed.plain AND t.word <> typed.plain AND t.documents >= 3
            ORDER BY similarity DESC, t.word
            LIMIT :candidates
        ) c
    ),
    seen AS MATERIALIZED (
        SELECT typed.word,
               forum_documents_holding(
                   typed.plain, CAST(:regions AS integer[]), :typed_cap, :newest, :walk)
                   AS held
        FROM typed
        WHERE EXISTS (SELECT FROM candidates c WHERE c.typed = typed.word)
    )
    SELECT seen.word AS typed, best.word AS better
    FROM seen
    CROSS JOIN LATERAL (SELECT greatest(:least, :ratio * seen.held + 1) AS needed) n
    CROSS JOIN LATERAL (
        SELECT c.word FROM (
            SELECT c.word FROM candidates c
            WHERE c.typed = seen.word
            ORDER BY c.similarity DESC, c.word
            LIMIT :candidates
        ) c
        WHERE forum_documents_holding(
                  c.word, CAST(:regions AS integer[]), n.needed, :newest, :walk) >= n.needed
        LIMIT 1
    ) best
    WHERE seen.held < :typed_cap
    """
)
_RESPELL_SQL = Prepared.of(_RESPELL)

# Taking a batch off the queue is a transaction of its own, committed at once: a writer
# queuing one of these words would otherwise wait behind the look-ups below.
_TAKE = text(
    """
    DELETE FROM search_terms_fading
    WHERE word IN (SELECT word FROM search_terms_fading LIMIT :batch)
    RETURNING word
    """
)

# Of these words, those the vocabulary has and no document holds any more leave it. The
# live count runs only on words the vocabulary has (a materialized step: never on a scan
# of the whole vocabulary), and the look-ups come before the first row is deleted, so the
# transaction takes its id (which holds back readers of the event log) only at the end.
_DROP = text(
    """
    WITH known AS MATERIALIZED (
        SELECT t.word FROM search_terms t WHERE t.word = ANY(CAST(:words AS text[]))
    ),
    dead AS MATERIALIZED (
        SELECT word FROM known WHERE forum_documents_holding(word, NULL, 1, :newest, :walk) = 0
    )
    DELETE FROM search_terms t USING dead WHERE t.word = dead.word
    """
)


async def refresh(session: AsyncConnection, *, batch: int = 20_000) -> int:
    """Add the words of the next `batch` posts; 0 once every post has been read."""
    after = int(await session.scalar(_POSITION, {"name": CURSOR}) or 0)
    upto = await session.scalar(_BATCH_END, {"after": after, "batch": batch})
    if upto is None:
        return 0
    await session.execute(_ADD, {"after": after, "upto": upto})
    await session.execute(_MOVE, {"name": CURSOR, "position": str(upto)})
    return int(upto - after)


async def take_fading(session: AsyncConnection, *, batch: int = PRUNE_BATCH) -> list[str]:
    """Up to `batch` of the queued words documents lost, taken off the queue; commit at
    once (fewer than `batch`: the queue is empty)."""
    return list(await session.scalars(_TAKE, {"batch": batch}))


async def drop_dead(session: AsyncConnection, words: Sequence[str]) -> int:
    """Drop from the vocabulary those of `words` no document holds; how many. (Words lost
    between `take_fading` and here only stay in the vocabulary: suggestions are counted
    live, so a dead word in it is never offered.)"""
    values = {"words": list(words), "newest": NEWEST, "walk": WALK}
    result = await session.execute(_DROP, values)
    return int(result.rowcount or 0)


async def respell(
    conn: asyncpg.Connection, typed: Sequence[str], regions: Sequence[int]
) -> dict[str, str]:
    """Better spellings of the words that look misspelled to a reader of `regions` (ids):
    keys are lower case, values words that documents of those regions hold now. On the
    driver's connection, as search runs."""
    args = _RESPELL_SQL.args(
        words=list(typed),
        regions=list(regions),
        most=MOST_WORDS,
        typed_cap=TYPED_CAP,
        least=LEAST,
        ratio=RATIO,
        candidates=CANDIDATES,
        newest=NEWEST,
        walk=WALK,
    )
    rows = await conn.fetch(_RESPELL_SQL.sql, *args)
    return {r["typed"].lower(): r["better"] for r in rows}

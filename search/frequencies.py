"""How many posts a query's words are in, from PostgreSQL's own statistics on the search
documents (the most common lexemes and their shares, kept by ANALYZE).

The search plan depends on it (`search.postgres`). Reading the statistics once every few
minutes costs nothing per search; asking the planner with EXPLAIN cost more than half a
millisecond each time.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from search.words import readings

# Shares are below this for a lexeme the statistics do not list (PostgreSQL's own rule:
# half the smallest listed share), or when there are no statistics yet.
_UNLISTED = 0.005

_READ = """
    SELECT c.reltuples AS size, s.most_common_elems::text::text[] AS lexemes,
           s.most_common_elem_freqs AS shares
    FROM pg_class c
    LEFT JOIN pg_stats s
      ON s.schemaname = current_schema() AND s.tablename = 'search_documents'
     AND s.attname = 'tsv'
    WHERE c.oid = 'search_documents'::regclass
"""


@dataclass(frozen=True)
class Frequencies:
    size: float  # documents, as of the last ANALYZE
    shares: dict[str, float]
    unlisted: float

    @classmethod
    async def read(cls, conn: asyncpg.Connection) -> Frequencies:
        row = await conn.fetchrow(_READ)
        lexemes, shares = row["lexemes"] or [], row["shares"] or []
        # The array ends with the smallest and largest share and the share of empty ones.
        smallest = shares[-3] if len(shares) > len(lexemes) else 2 * _UNLISTED
        return cls(
            size=max(float(row["size"]), 0.0),
            shares=dict(zip(lexemes, shares, strict=False)),
            unlisted=min(_UNLISTED, smallest / 2),
        )

    def expected(self, tsquery: str) -> float:
        """Posts expected to match, read from the text of a tsquery built as `(reading) |
        (reading) ...` (see `search.postgres`). A reading that wants all its words counts
        as its least common word: an upper bound, since words used together are not
        independent (a phrase of two common words is common); one with alternatives
        counts them all."""
        total = 0.0
        for reading in readings(tsquery):
            shares = [self._share(lexeme, prefix) for lexeme, prefix in reading.lexemes]
            if shares:
                total += sum(shares) if reading.alternatives else min(shares)
        return min(total, 1.0) * self.size

    def _share(self, lexeme: str, prefix: bool) -> float:
        if prefix:  # every listed lexeme it begins
            listed = [s for word, s in self.shares.items() if word.startswith(lexeme)]
            return sum(listed) + self.unlisted
        return self.shares.get(lexeme, self.unlisted)

"""Meilisearch filter expressions built from a validated `Query`, never from pasted text.

The filter goes out as a list of expressions, which Meilisearch ANDs. Each one is a single
condition whose values are quoted string literals (or integers we formatted), so a value
can never close its quotes and add an `OR`; and the regions the reader may read now are
a list entry of their own, first, so even a broken entry could only narrow what the
reader gets, never widen it. The one index without it is `resources`: its documents
belong to no region and everyone reads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from search.backend import Query


def quote(value: str) -> str:
    """A Meilisearch string literal: in double quotes, with `\\` and `"` escaped.

    Meilisearch ends a quoted value at the first `"` not preceded by a backslash, then
    unescapes `\\"` and the backslash sequences (`\\\\` becomes `\\`), so doubling every
    backslash first makes any text come back exactly as written. Newlines and other
    control characters need no escaping inside quotes.
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def one_of(attribute: str, values: Iterable[str]) -> str:
    return f"{attribute} IN [{', '.join(quote(v) for v in values)}]"


def day_start(day: date) -> int:
    """Unix seconds at 00:00 UTC of `day` (documents store `created_at` that way)."""
    return int(datetime.combine(day, time(), UTC).timestamp())


def expression(query: Query, *, regional: bool = True) -> list[str]:
    """The filter for this query: the regions the reader may read first, always, in an
    index of regional documents; then the filters. Resources, the one kind without a
    region, are read by everyone (`regional=False` for their index)."""
    f = query.filters
    parts: list[str] = []
    if regional:
        # Sorted so the same query always makes the same request (and the same cache key).
        parts.append(one_of("region", sorted(r.slug for r in query.readable)))
    if f.kinds:
        parts.append(one_of("kind", [k.value for k in f.kinds]))
    if f.regions:
        parts.append(one_of("region", f.regions))
    if f.countries:
        parts.append(one_of("countries", f.countries))  # any of the thread's countries
    if f.topics:
        parts.append(one_of("topics", f.topics))
    if f.uncac_articles:  # posts have none
        parts.append(f"uncac_articles IN [{', '.join(str(int(a)) for a in f.uncac_articles)}]")
    if f.author is not None:
        parts.append(f"author_id = {int(f.author)}")
    if f.organisation is not None:
        parts.append(f"organisations = {quote(f.organisation)}")  # one of the author's
    if f.since is not None:
        parts.append(f"created_at >= {day_start(f.since)}")
    if f.until is not None:  # inclusive: everything before the next day begins
        parts.append(f"created_at < {day_start(f.until + timedelta(days=1))}")
    return parts

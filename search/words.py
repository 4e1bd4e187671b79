"""What a reader typed, split the way web search syntax reads it: words, "quoted phrases",
`-excluded` words or phrases, and `OR` between alternatives.

PostgreSQL's `websearch_to_tsquery` reads the same syntax, but a backend that stems one
query in several languages must keep exclusions apart: a word is excluded in every form
any language gives it, not only in the forms of the branch that happened to match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A query's terms are bounded (repeats dropped): each term is stemmed in every language,
# and a very long conjunction costs PostgreSQL memory out of all proportion.
MAX_TERMS = 32
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Characters that only carry syntax in the search box.
_SYNTAX = re.compile(r'["()<>:!&|*]+')


# Long words also match by their beginning, as written: stemmers leave many inflections
# apart (French Snowball keeps "luttent" from "lutter"), and a prefix brings them back.
PREFIX_FROM = 7  # letters
PREFIX_DROP = 2  # letters dropped from the end


@dataclass(frozen=True)
class Terms:
    positive: str  # web search syntax: words, "phrases" and OR, without exclusions
    excluded: tuple[str, ...]  # words and phrases (as plain text)
    words: tuple[str, ...]  # the positive single words, for spelling suggestions
    # to_tsquery syntax ("'lutte':* & 'contre'"), for a query of plain words only
    prefixes: str = ""

    @property
    def empty(self) -> bool:
        return not self.positive


def parse(text: str) -> Terms:
    parts: list[str] = []
    excluded: list[str] = []
    words: list[str] = []
    for match in _TOKEN.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if phrase is not None:
            cleaned = _clean(phrase)
            if cleaned:
                (excluded if negated else parts).append(cleaned if negated else f'"{cleaned}"')
            continue
        if bare == "OR":
            if parts and parts[-1] != "OR":
                parts.append("OR")
            continue
        if bare.startswith("-") and len(bare) > 1:
            cleaned = _clean(bare[1:])
            if cleaned:
                excluded.append(cleaned)
            continue
        cleaned = _clean(bare)
        if cleaned:
            parts.append(cleaned)
            words.extend(cleaned.split())
    parts = _bounded(parts)
    excluded = _bounded(excluded)
    words = _bounded(words)
    while parts and parts[-1] == "OR":
        parts.pop()
    plain = not any(p == "OR" or p.startswith('"') for p in parts)
    return Terms(" ".join(parts), tuple(excluded), tuple(words), _prefixes(words) if plain else "")


def _bounded(items: list[str]) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        key = item.lower()
        if item != "OR" and key in seen:
            continue
        seen.add(key)
        kept.append(item)
    return kept[:MAX_TERMS]


def _prefixes(words: list[str]) -> str:
    """The words, the long ones as prefixes; nothing when no word is long enough (the
    reading would be the query's own)."""
    terms = []
    for word in words:
        # Quotes and backslashes carry tsquery syntax: never pass them on.
        bare = word.replace("'", "").replace("\\", "")
        if not bare:
            continue
        if len(bare) >= PREFIX_FROM:
            terms.append(f"'{bare[:-PREFIX_DROP]}':*")
        else:
            terms.append(f"'{bare}'")
    return " & ".join(terms) if any(t.endswith(":*") for t in terms) else ""


def _clean(raw: str) -> str:
    return " ".join(_SYNTAX.sub(" ", raw).split()).strip("-")


def respell(text: str, replacements: dict[str, str]) -> str:
    """`text` with some words replaced (case-insensitively), the rest as typed."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return replacements.get(word.lower(), word)

    return re.sub(r"[^\s\"()]+", swap, text)

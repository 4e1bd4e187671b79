"""Snippets: a short window of a post's text around the words that matched, escaped, with
those words in <mark>.

PostgreSQL's `ts_headline` does this by running every word of every hit through the
dictionaries again, which cost more than the whole search on a loaded machine (about
1 ms a hit). Here a word is marked when its unaccented, lower-case form begins with one
of the query's lexemes: stems are beginnings of the words they stand for ("corrupt",
"lutt", "societ"), and exact words are their own beginnings.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Characters of context around the first match.
BEFORE = 60
AFTER = 180
# Very short lexemes would mark too many words by their beginning: they must match whole.
_SHORTEST_PREFIX = 4


# A lexeme in the text of a tsquery, with `:*` when it matches as a prefix.
_LEXEME = re.compile(r"'((?:[^']|'')+)'(?::\*)?")


def lexemes(tsquery: str) -> frozenset[str]:
    """The lexemes of a tsquery's text as `search.postgres` builds it
    (`('corrupt') | ('corruption') & !(('draft'))`), leaving out the excluded ones."""
    wanted = tsquery.split("& !(")[0]
    return frozenset(m.group(1).replace("''", "'") for m in _LEXEME.finditer(wanted))


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower case without accents, as `unaccent` and the dictionaries leave words."""
    if text.isascii():  # most posts: nothing to take apart
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


@lru_cache(maxsize=4096)
def _pattern(wanted: frozenset[str]) -> re.Pattern[str] | None:
    """Words starting with a lexeme (or equal to a short one), longest lexemes first."""
    ordered = sorted(wanted, key=len, reverse=True)
    alternatives = [
        re.escape(lexeme) + (r"\w*" if len(lexeme) >= _SHORTEST_PREFIX else r"\b")
        for lexeme in ordered
    ]
    return re.compile(r"\b(?:" + "|".join(alternatives) + ")") if alternatives else None


def highlight(text: str, wanted: frozenset[str]) -> str:
    """About BEFORE + AFTER characters of `text` around its first match, cut at spaces."""
    folded = fold(text)
    if len(folded) != len(text):  # a letter folded into two (ß, ligatures): match as written
        folded = text.casefold() if len(text.casefold()) == len(text) else text
    pattern = _pattern(wanted)
    first = pattern.search(folded) if pattern else None
    centre = first.start() if first else 0
    start = 0 if centre <= BEFORE else text.find(" ", centre - BEFORE, centre) + 1
    end = text.rfind(" ", centre, centre + AFTER) if len(text) > centre + AFTER else len(text)
    end = end if end > centre else min(len(text), centre + AFTER)
    parts = ["… " if start > 0 else ""]
    cursor = start
    for match in pattern.finditer(folded, start, end) if pattern else ():
        parts += [html.escape(text[cursor : match.start()]), "<mark>"]
        parts += [html.escape(text[match.start() : match.end()]), "</mark>"]
        cursor = match.end()
    parts.append(html.escape(text[cursor:end]))
    parts.append(" …" if end < len(text) else "")
    return " ".join("".join(parts).split())

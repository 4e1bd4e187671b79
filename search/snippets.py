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

WINDOW = 30  # words
_WORD = re.compile(r"\w+", re.UNICODE)
_LEXEME = re.compile(r"'((?:[^']|'')+)'")
# Very short lexemes would mark too many words by their beginning: they must match whole.
_SHORTEST_PREFIX = 4


def lexemes(tsquery: str) -> frozenset[str]:
    """The lexemes of a tsquery's text (`'corrupt' | 'corruption' & !'draft'`), leaving
    out the negated ones."""
    wanted = tsquery.split("& !(")[0]
    return frozenset(m.group(1).replace("''", "'") for m in _LEXEME.finditer(wanted))


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower case without accents, as `unaccent` and the dictionaries leave words."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def highlight(text: str, wanted: frozenset[str]) -> str:
    words = list(_WORD.finditer(text))
    if not words:
        return ""
    exact = frozenset(lexeme for lexeme in wanted if len(lexeme) < _SHORTEST_PREFIX)
    prefixes = tuple(lexeme for lexeme in wanted if len(lexeme) >= _SHORTEST_PREFIX)
    folded = _WORD.findall(fold(text))
    if len(folded) != len(words):  # folding joined or split a word: fold word by word
        folded = [fold(w.group(0)) for w in words]
    hits = [i for i, w in enumerate(folded) if w in exact or w.startswith(prefixes)]
    first = max(0, (hits[0] if hits else 0) - WINDOW // 3)
    last = min(len(words), first + WINDOW) - 1
    start = words[first].start() if first else 0
    end = words[last].end() if last < len(words) - 1 else len(text)
    parts = ["… " if start > 0 else ""]
    cursor = start
    for i in hits:
        if not first <= i <= last:
            continue
        word = words[i]
        parts += [html.escape(text[cursor : word.start()]), "<mark>"]
        parts += [html.escape(word.group(0)), "</mark>"]
        cursor = word.end()
    parts.append(html.escape(text[cursor:end]))
    parts.append(" …" if end < len(text) else "")
    return " ".join("".join(parts).split())

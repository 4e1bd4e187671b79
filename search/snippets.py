"""Snippets: a short window of a post's text around the words that matched, escaped, with
those words in <mark>.

PostgreSQL's `ts_headline` does this by running every word of every hit through the
dictionaries again, which cost more than the whole search on a loaded machine (about
1 ms a hit). Here a word is marked when it begins with one of the query's lexemes, case
and accents aside: stems are beginnings of the words they stand for ("corrupt", "lutt",
"societ"), and exact words are their own beginnings. Lexemes are unaccented (`unaccent`),
so each of their letters matches its accented forms too ("societ" finds "Société"), and
the text is searched as it is, from the start, only as far as the first match.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from forum import markup

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


# The text of a post's (sanitised) HTML, or of its beginning. Done in Python rather
# than by PostgreSQL's regular expressions, which cost three times as much.
text_of = markup.text_of


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _accented() -> dict[str, str]:
    """Each letter that has accented forms (Latin and Cyrillic), with them: the letter
    a character becomes once decomposed and stripped of its combining marks."""
    forms: dict[str, set[str]] = {}
    for point in range(0x00C0, 0x0530):
        char = chr(point).lower()
        base = _COMBINING.sub("", unicodedata.normalize("NFKD", char))
        if len(base) == 1 and base != char:
            forms.setdefault(base, {base}).add(char)
    return {base: "[" + "".join(sorted(chars)) + "]" for base, chars in forms.items()}


_ACCENTED = _accented()


@lru_cache(maxsize=4096)
def _pattern(wanted: frozenset[str]) -> re.Pattern[str] | None:
    """Words beginning with a lexeme (or equal to a short one), any case and accents;
    longest lexemes first, leaving out those a shorter one already finds
    ("transparenci" after "transparenc")."""
    beginnings = [x for x in wanted if len(x) >= _SHORTEST_PREFIX]
    kept = [x for x in wanted if not any(x != b and x.startswith(b) for b in beginnings)]
    alternatives = [
        "".join(_ACCENTED.get(char, re.escape(char)) for char in lexeme)
        + (r"\w*" if len(lexeme) >= _SHORTEST_PREFIX else r"\b")
        for lexeme in sorted(kept, key=len, reverse=True)
    ]
    if not alternatives:
        return None
    return re.compile(r"\b(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


def highlight(text: str, wanted: frozenset[str]) -> str:
    """About BEFORE + AFTER characters of `text` around its first match, cut at spaces."""
    pattern = _pattern(wanted)
    first = pattern.search(text) if pattern else None
    centre = first.start() if first else 0
    start = 0 if centre <= BEFORE else text.find(" ", centre - BEFORE, centre) + 1
    end = text.rfind(" ", centre, centre + AFTER) if len(text) > centre + AFTER else len(text)
    end = end if end > centre else min(len(text), centre + AFTER)
    parts = ["… " if start > 0 else ""]
    cursor = start
    for match in pattern.finditer(text, start, end) if pattern else ():
        parts += [html.escape(text[cursor : match.start()]), "<mark>"]
        parts += [html.escape(match.group()), "</mark>"]
        cursor = match.end()
    parts.append(html.escape(text[cursor:end]))
    parts.append(" …" if end < len(text) else "")
    return " ".join("".join(parts).split())

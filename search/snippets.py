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
# Characters folded before looking further (`highlight`).
_FOLD_FIRST = 600


# A lexeme in the text of a tsquery, with `:*` when it matches as a prefix.
_LEXEME = re.compile(r"'((?:[^']|'')+)'(?::\*)?")


def lexemes(tsquery: str) -> frozenset[str]:
    """The lexemes of a tsquery's text as `search.postgres` builds it
    (`('corrupt') | ('corruption') & !(('draft'))`), leaving out the excluded ones."""
    wanted = tsquery.split("& !(")[0]
    return frozenset(m.group(1).replace("''", "'") for m in _LEXEME.finditer(wanted))


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


# A tag, or the start of one cut off at the end of the text.
_TAG = re.compile(r"<[^>]*(?:>|$)")


def text_of(body_html: str) -> str:
    """The text of a post's (sanitised) HTML, or of its beginning. Done here rather than
    by PostgreSQL's regular expressions, which cost three times as much."""
    return html.unescape(_TAG.sub(" ", body_html))


def fold(text: str) -> str:
    """Lower case without accents, as `unaccent` and the dictionaries leave words."""
    if text.isascii():  # most posts: nothing to take apart
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


@lru_cache(maxsize=4096)
def _searched(wanted: frozenset[str]) -> tuple[tuple[str, bool], ...]:
    """The lexemes, longest first, each with whether it must be a whole word; leaving
    out those a shorter one already finds ("transparenci" after "transparenc")."""
    beginnings = [x for x in wanted if len(x) >= _SHORTEST_PREFIX]
    kept = [
        x for x in wanted
        if not any(x != b and x.startswith(b) for b in beginnings)
    ]  # fmt: skip
    return tuple((x, len(x) < _SHORTEST_PREFIX) for x in sorted(kept, key=len, reverse=True))


_REST_OF_WORD = re.compile(r"\w*")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_end(folded: str, at: int, lexeme: str, whole: bool) -> int:
    """Where the word matched by `lexeme` at `at` ends, or -1 if it is no match there
    (it must begin a word, and a short lexeme must be the whole word)."""
    if at > 0 and _is_word(folded[at - 1]):
        return -1
    end = at + len(lexeme)
    if whole:
        return end if end == len(folded) or not _is_word(folded[end]) else -1
    match = _REST_OF_WORD.match(folded, end)
    return match.end() if match else end


def _first(folded: str, searched: tuple[tuple[str, bool], ...]) -> int:
    """Where the first match begins (-1 when there is none). `str.find` per lexeme: a
    regular expression of alternatives scans the text far more slowly."""
    first = len(folded)
    for lexeme, whole in searched:
        at = folded.find(lexeme, 0, first + len(lexeme) - 1)
        while at != -1 and _word_end(folded, at, lexeme, whole) == -1:
            at = folded.find(lexeme, at + 1, first + len(lexeme) - 1)
        if at != -1:
            first = at
    return first if first < len(folded) else -1


def _matches(
    folded: str, searched: tuple[tuple[str, bool], ...], start: int, end: int
) -> list[tuple[int, int]]:
    """The matched words between `start` and `end`, in order, overlaps merged."""
    spans = []
    for lexeme, whole in searched:
        at = folded.find(lexeme, start, end)
        while at != -1:
            stop = _word_end(folded, at, lexeme, whole)
            if stop != -1:
                spans.append((at, min(stop, end)))
            at = folded.find(lexeme, at + 1, end)
    merged: list[tuple[int, int]] = []
    for begin, stop in sorted(spans):
        if merged and begin < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(stop, merged[-1][1]))
        else:
            merged.append((begin, stop))
    return merged


def highlight(text: str, wanted: frozenset[str]) -> str:
    """About BEFORE + AFTER characters of `text` around its first match, cut at spaces."""
    searched = _searched(wanted)
    # Most posts match early: fold the beginning first (folding is most of the work).
    folded = _for_matching(text[:_FOLD_FIRST])
    centre = _first(folded, searched)
    if len(text) > _FOLD_FIRST and (centre == -1 or centre + AFTER >= len(folded)):
        folded = _for_matching(text)
        centre = _first(folded, searched)
    centre = max(centre, 0)
    start = 0 if centre <= BEFORE else text.find(" ", centre - BEFORE, centre) + 1
    end = text.rfind(" ", centre, centre + AFTER) if len(text) > centre + AFTER else len(text)
    end = end if end > centre else min(len(text), centre + AFTER)
    parts = ["… " if start > 0 else ""]
    cursor = start
    for begin, stop in _matches(folded, searched, start, end):
        parts += [html.escape(text[cursor:begin]), "<mark>", html.escape(text[begin:stop])]
        parts.append("</mark>")
        cursor = stop
    parts.append(html.escape(text[cursor:end]))
    parts.append(" …" if end < len(text) else "")
    return " ".join("".join(parts).split())


def _for_matching(text: str) -> str:
    """`fold`, or the text merely in lower case when folding would move the letters (a
    letter folded into two: ß, ligatures), so that positions stay those of `text`."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded
    lower = text.casefold()
    return lower if len(lower) == len(text) else text

"""Meilisearch's filter language as the fake server reads it: the documented grammar (the
part the forum can send, plus OR and NOT) and its quoting rules, so a filter that would
break out of its quotes on a real server breaks out here too."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]

_WORD = re.compile(r"[\w.-]+")
_OPERATORS = ("!=", ">=", "<=", "=", ">", "<")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f"}
_KEYWORDS = {"AND", "OR", "NOT", "IN", "TO", "EXISTS", "IS", "NULL", "EMPTY", "CONTAINS"}
_ESCAPES.update({c: c for c in "\\'\"/"})


class FilterError(ValueError):
    pass


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The value quoted from `start` (the opening quote) and the index after it.

    As Meilisearch: the value ends at the first quote not preceded by a backslash; an
    escaped quote is unescaped, then backslash sequences are.
    """
    quote = text[start]
    i = start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    if i >= len(text):
        raise FilterError(f"missing closing delimiter {quote}")
    raw = text[start + 1 : i].replace("\\" + quote, quote)
    out, j = [], 0
    while j < len(raw):
        if raw[j] == "\\":
            if j + 1 >= len(raw) or raw[j + 1] not in _ESCAPES:
                raise FilterError("malformed escape sequence")
            out.append(_ESCAPES[raw[j + 1]])
            j += 2
        else:
            out.append(raw[j])
            j += 1
    return "".join(out), i + 1


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is "value" (quoted or a bare word), "word" (a bare word
    that may be a keyword) or the punctuation itself."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "\"'":
            value, i = _quoted(text, i)
            tokens.append(("value", value))
        elif c in "()[],":
            tokens.append((c, c))
            i += 1
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            tokens.append(("op", op))
            i += len(op)
        elif m := _WORD.match(text, i):
            tokens.append(("word", m.group()))
            i = m.end()
        else:
            raise FilterError(f"unexpected character {c!r}")
    return tokens


class _Parser:
    def __init__(self, text: str, filterable: set[str]) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.filterable = filterable

    def peek(self, kind: str, keyword: str | None = None) -> bool:
        """Whether the next token is of `kind` (and is `keyword`: keywords are bare words,
        a quoted "OR" is a value)."""
        if self.at >= len(self.tokens):
            return False
        found, text = self.tokens[self.at]
        return found == kind and (keyword is None or text == keyword)

    def take(self, kind: str, keyword: str | None = None) -> str:
        if not self.peek(kind, keyword):
            raise FilterError(f"expected {keyword or kind}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def value(self) -> str:
        if self.peek("value"):
            return self.take("value")
        word = self.take("word")
        if word in _KEYWORDS:
            raise FilterError(f"`{word}` is a reserved keyword")
        return word

    def parse(self) -> Predicate:
        predicate = self.either()
        if self.at != len(self.tokens):
            raise FilterError(f"unexpected {self.tokens[self.at][1]!r}")
        return predicate

    def either(self) -> Predicate:
        parts = [self.both()]
        while self.peek("word", "OR"):
            self.take("word", "OR")
            parts.append(self.both())
        return lambda d: any(p(d) for p in parts)

    def both(self) -> Predicate:
        parts = [self.negation()]
        while self.peek("word", "AND"):
            self.take("word", "AND")
            parts.append(self.negation())
        return lambda d: all(p(d) for p in parts)

    def negation(self) -> Predicate:
        if self.peek("word", "NOT"):
            self.take("word", "NOT")
            inner = self.negation()
            return lambda d: not inner(d)
        if self.peek("("):
            self.take("(")
            inner = self.either()
            self.take(")")
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        attribute = self.value()
        if attribute not in self.filterable:
            raise FilterError(f"Attribute `{attribute}` is not filterable.")
        if self.peek("word", "IN"):
            self.take("word", "IN")
            self.take("[")
            values: list[str] = []
            while not self.peek("]"):
                values.append(self.value())
                if not self.peek("]"):
                    self.take(",")
            self.take("]")
            return lambda d: any(_equal(v, x) for v in _values(d, attribute) for x in values)
        op = self.take("op")
        literal = self.value()
        return lambda d: any(_compare(v, op, literal) for v in _values(d, attribute))


def _values(doc: Doc, attribute: str) -> list[Any]:
    value = doc.get(attribute)
    return value if isinstance(value, list) else [value]


def _equal(value: Any, literal: str) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        try:
            return float(literal) == value
        except ValueError:
            return False
    # Meilisearch compares strings case-insensitively.
    return str(value).casefold() == literal.casefold()


def _compare(value: Any, op: str, literal: str) -> bool:
    if op == "=":
        return _equal(value, literal)
    if op == "!=":
        return not _equal(value, literal)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    number = float(literal)
    return {">": value > number, ">=": value >= number, "<": value < number, "<=": value <= number}[
        op
    ]


def parse(filter_: str | list[Any] | None, filterable: set[str]) -> Predicate:
    """A predicate over documents; a list is ANDed, a list inside it ORed."""
    if filter_ is None:
        return lambda d: True
    if isinstance(filter_, str):
        return _Parser(filter_, filterable).parse() if filter_.strip() else (lambda d: True)
    parts: list[Predicate] = []
    for item in filter_:
        if isinstance(item, list):
            options = [_Parser(s, filterable).parse() for s in item]
            parts.append(lambda d, options=options: any(o(d) for o in options))
        else:
            parts.append(_Parser(item, filterable).parse())
    return lambda d: all(p(d) for p in parts)

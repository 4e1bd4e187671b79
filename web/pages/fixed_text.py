"""The interface's fixed sentences, translated once per template instead of on every page.

A template writes most of its text as `{{ _("Some words") }}`: a call through Jinja's
context on every render, some 30 in the page frame alone (about a tenth of a logged-in
thread page's CPU). Each interface language has an environment of its own
(`web.pages.view`), so such a call always answers the same there; this extension writes
the answer into the template as it is compiled. Only that exact form is folded: a call
with variables (`_("%(n)s posts", n=n)`), or used inside an expression, stays a call.

The answer is what the call would give at render time (the environment's own `_`, which
returns Markup: the translation as written, `%%` read as `%`), so a page reads the same.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

_SHAPE = ("variable_begin", "name", "lparen", "string", "rparen", "variable_end")


class FixedText(Extension):
    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translate = self.environment.globals["_"]
        held: list[Token] = []
        for token in stream:
            held.append(token)
            if token.type != _SHAPE[len(held) - 1] or (len(held) == 2 and token.value != "_"):
                yield from held[:-1]
                held = [token] if token.type == _SHAPE[0] else []
                if not held:
                    yield token
            elif len(held) == len(_SHAPE):
                yield Token(held[0].lineno, "data", str(translate(held[3].value)))
                held = []
        yield from held

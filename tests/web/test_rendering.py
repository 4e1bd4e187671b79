"""The pages' template environment answers as Jinja's own would, only faster: `a.b` on the
core's dict records, and `_()` from a per-locale cache (`web.pages.view`)."""

from __future__ import annotations

import pytest
from jinja2 import Environment, select_autoescape

from web import i18n
from web.pages import view

TEMPLATES = [
    "{{ _('Log in') }}|{{ _('Search') }}|{{ _('Log in') }}",
    "{{ _('No %(x)s here', x='<b>bold</b>') }}",  # variables escaped into the message
    "{{ _('100%% of it') }}",  # `%%` is a percent sign
    "{{ gettext('Skip to content') }}",
    "{{ p.author.name }}|{{ p.items() | list | length }}|{{ p.missing is undefined }}",
    "{{ p.get('author').name }}|{{ p['body'] }}|{{ q.upper() }}",
]
CONTEXT = {"p": {"author": {"name": "<i>Ama</i>"}, "body": "x", "items": 3}, "q": "abc"}


def _jinja(locale: str) -> Environment:
    env = Environment(autoescape=select_autoescape(default_for_string=True),
                      extensions=["jinja2.ext.i18n"])  # fmt: skip
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_the_environment_renders_as_jinja_does(locale: str) -> None:
    ours = view._env(locale)
    for source in TEMPLATES:
        for _ in range(2):  # the second time from the cache
            expected = _jinja(locale).from_string(source).render(CONTEXT)
            got = ours.from_string(source).render(CONTEXT)
            assert got == expected, source
    assert ours.from_string("{{ _('Log in') }}").render() != "Log in" or locale == "en"

"""`{{ _("...") }}` is translated once, when a template is compiled (`web.pages.fixed_text`),
and a page reads exactly as it did when each was a call on every render."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, select_autoescape
from markupsafe import Markup

from web.pages import view
from web.pages.fixed_text import FixedText

SOURCE = """<p title="{{ _('Preview') }}">{{ _("Posts") }}</p>
{{- _("Reply") -}}
{{ _("Reported (%(count)s)", count=n) }}|{{ _("edited") if n else _("Edit") }}|{{ n }}
{% if n %}{{ _("Quote") }}{% endif %}{{ _ }}
"""


def _environment(locale: str, folded: bool) -> view._Environment:
    base = view._env(locale)
    env = view._Environment(
        loader=DictLoader({"t.html": SOURCE}), autoescape=select_autoescape(["html"])
    )
    env.globals["_"] = base.globals["_"]
    if folded:
        env.add_extension(FixedText)
    return env


@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_a_folded_template_reads_as_the_calls_did(locale):
    for n in (0, 3):
        called = _environment(locale, False).get_template("t.html").render(n=n)
        folded = _environment(locale, True).get_template("t.html").render(n=n)
        assert folded == called
    preview = str(view._env(locale).globals["_"]("Preview"))
    assert f'title="{preview}"' in folded


def test_only_the_bare_form_is_folded():
    env = _environment("fr", True)
    code = env.compile(SOURCE, raw=True)
    # The bare calls became text of the template; the others are still calls.
    for folded in ("Preview", "Posts", "Reply", "Quote"):
        assert f"'{folded}'" not in code
        assert str(env.globals["_"](folded)) in code
    for called in ("Reported (%(count)s)", "edited", "Edit"):
        assert f"'{called}'" in code


def test_a_translation_with_a_percent_sign_reads_as_at_render_time():
    env = _environment("en", True)
    env.globals["_"] = lambda message, **kw: Markup("100%% <b>sure</b>") % kw
    env.loader = DictLoader({"p.html": "{{ _('x') }}"})
    assert env.get_template("p.html").render() == "100% <b>sure</b>"

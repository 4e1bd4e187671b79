"""Snippets: the window around the matched words, escaped, matches in <mark>."""

from __future__ import annotations

from search.snippets import highlight, lexemes


def test_words_are_marked_by_stem_prefix_and_without_accents():
    wanted = lexemes("('lutt') | ('societ') | ('corruption')")
    snippet = highlight("La Société civile veut lutter contre la corruption.", wanted)
    assert snippet == (
        "La <mark>Société</mark> civile veut <mark>lutter</mark> contre la <mark>corruption</mark>."
    )


def test_excluded_lexemes_are_not_marked():
    wanted = lexemes("('audit') & !(('draft'))")
    assert wanted == {"audit"}
    assert "<mark>" not in highlight("A draft law.", wanted)


def test_short_lexemes_match_whole_words_only():
    assert highlight("Use the law, lawyers.", frozenset({"law"})) == (
        "Use the <mark>law</mark>, lawyers."
    )


def test_a_long_text_is_cut_around_the_first_match():
    words = [f"w{n}" for n in range(100)] + ["bribery"] + ["xxxxx"] * 50
    text = " ".join(words)
    snippet = highlight(text, frozenset({"bribery"}))
    assert snippet.startswith("… w86 ") and snippet.endswith(" …")
    assert "<mark>bribery</mark>" in snippet
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 250


def test_text_is_escaped():
    snippet = highlight('<b onclick="x">bribe</b> & co', frozenset({"bribe"}))
    assert snippet == "&lt;b onclick=&quot;x&quot;&gt;<mark>bribe</mark>&lt;/b&gt; &amp; co"


def test_cyrillic_letters_match_their_accented_forms():
    assert highlight("Мы обсуждаем её решение.", frozenset({"ее", "решен"})) == (
        "Мы обсуждаем <mark>её</mark> <mark>решение</mark>."
    )

"""Reading the search box: words, phrases, exclusions, OR; nothing passes as tsquery syntax."""

from __future__ import annotations

import pytest

from search.words import parse, respell


def test_words_phrases_or_and_exclusions_are_told_apart():
    terms = parse('asset "beneficial ownership" OR registry -draft -"press release"')
    assert terms.positive == 'asset "beneficial ownership" OR registry'
    assert terms.excluded == ("draft", "press release")
    assert terms.words == ("asset", "registry")
    assert terms.prefixes == ""  # phrases and OR are not read word by word


def test_plain_words_also_match_by_their_beginning_when_long():
    assert parse("luttent contre corruption").prefixes == "'lutte':* & 'contre' & 'corrupti':*"
    assert parse("law and order").prefixes == ""  # no word long enough: nothing to widen


@pytest.mark.parametrize(
    "typed", ["OR", "OR OR", "-", "--", "-draft", '""', "!!!", "()", "<->", ":*", "&|!"]
)
def test_nothing_to_look_for(typed):
    assert parse(typed).empty


def test_tsquery_syntax_in_words_is_dropped():
    terms = parse("o'brienne\\ a:*b c&d !e f|g (h) <i>")
    assert terms.positive == "o'brienne\\ a b c d e f g h i"
    assert terms.prefixes == "'obrien':* & 'a' & 'b' & 'c' & 'd' & 'e' & 'f' & 'g' & 'h' & 'i'"


def test_unclosed_quote_is_a_phrase_to_the_end():
    assert parse('"public procurement').positive == '"public procurement"'


def test_respelling_keeps_what_was_typed_around_the_corrected_words():
    assert respell('Corruptoin "in customs"', {"corruptoin": "corruption"}) == (
        'corruption "in customs"'
    )


def test_repeated_terms_count_once_and_terms_are_bounded():
    assert parse("audit AUDIT audit -x -x").positive == "audit"
    assert parse("audit AUDIT audit -x -x").excluded == ("x",)
    many = parse(" ".join(f"w{n}" for n in range(100)))
    assert len(many.words) == 32 and many.positive.split()[-1] == "w31"

"""Names: invisible characters refused (joiners kept inside words and emoji), and the key
under which two display names are the same name."""

from __future__ import annotations

import pytest

from forum import names


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("Trans\u202eparency", "U+202E"),  # right-to-left override
        ("Ami\u200bnata", "U+200B"),  # zero-width space
        ("\u2066Aminata\u2069", "U+2066"),  # isolates
        ("Aminata\u2069", "U+2069"),
        ("\ufeffAminata", "U+FEFF"),
        ("Ami\u00adnata", "U+00AD"),  # soft hyphen
        ("Aminata\u200e", "U+200E"),  # left-to-right mark
        ("\u200dAminata", "U+200D"),  # a joiner joins nothing at the start...
        ("Aminata\u200c", "U+200C"),  # ...or the end
        ("Ami \u200dnata", "U+200D"),  # ...or next to a space
        ("Ami\u200d\u200dnata", "U+200D"),  # ...or another joiner
    ],
)
def test_invisible_characters_are_found(value, found):
    assert names.invisible(value) == found


@pytest.mark.parametrize(
    "value",
    [
        "Aminata Diallo",
        "می\u200cخواهم",  # Persian: ZWNJ inside a word
        "क्\u200dष",  # Devanagari: ZWJ after a virama
        "👩\u200d💻 Dev",  # an emoji sequence
        "🏳️\u200d🌈",  # after a variation selector
        "Société civile",
    ],
)
def test_joiners_are_kept_between_visible_characters(value):
    assert names.invisible(value) is None


def test_emails_keep_no_joiner():
    assert names.invisible("a\u200db@example.org", joiners=False) == "U+200D"
    assert names.invisible("ab@example.org", joiners=False) is None


@pytest.mark.parametrize(
    "other",
    [
        "aminata diallo",
        "AMINATA  DIALLO",
        " Amínata Diallo ",
        "Aminata\u00a0Diallo",  # a no-break space
        "Ａｍｉｎａｔａ Ｄｉａｌｌｏ",  # full-width letters
        "Ami\u200dnata Diallo",  # a joiner between letters
    ],
)
def test_names_that_read_the_same_share_a_key(other):
    assert names.key(other) == names.key("Aminata Diallo") == "aminata diallo"


def test_different_names_keep_different_keys():
    assert names.key("Aminata Diallo") != names.key("Aminata Diallo 2")
    assert names.key("Straße") == names.key("STRASSE")
    assert names.key("Олена") != names.key("Olena")  # scripts are not transliterated

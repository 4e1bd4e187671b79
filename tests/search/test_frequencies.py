"""Reading how common a query's words are from the planner's statistics."""

from __future__ import annotations

from pytest import approx

from search.frequencies import Frequencies

STATS = Frequencies(
    size=1000.0,
    shares={"corrupt": 0.4, "corruption": 0.4, "law": 0.1, "lawyer": 0.02, "audit": 0.05},
    unlisted=0.001,
)


def test_a_word_counts_its_share_and_an_unlisted_word_the_floor():
    assert STATS.expected("('law')") == 100.0
    assert STATS.expected("('mbabane')") == 1.0


def test_readings_add_up_and_the_total_is_at_most_every_post():
    assert STATS.expected("('corrupt') | ('corruption')") == 800.0
    assert STATS.expected("('corrupt') | ('corruption') | ('law' | 'lawyer' | 'corrupt')") == 1000.0


def test_all_words_count_as_the_least_common_one_alternatives_as_all():
    assert STATS.expected("('audit' & 'law')") == 50.0
    assert STATS.expected("('audit' <-> 'law')") == 50.0
    assert STATS.expected("('audit' & 'mbabane')") == 1.0
    assert STATS.expected("('audit' | 'law')") == approx(150.0)


def test_a_prefix_counts_every_listed_word_it_begins():
    assert STATS.expected("('law':*)") == approx(121.0)


def test_excluded_words_do_not_count():
    assert STATS.expected("(('law')) & !(('audit'))") == 100.0

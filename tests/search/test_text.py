"""Folding, tokens, typo budgets and licence-window rows, without a database."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from marquee.search import text
from marquee.search.documents import Window
from marquee.search.windows import FOREVER, disjoint_rows, seconds


def test_fold_removes_case_and_accents() -> None:
    assert text.fold("Amélie") == "amelie"
    assert text.fold("STRAßE Øre Æon") == "strasse ore aeon"


def test_syntax_characters_are_separators() -> None:
    assert text.tokens('"star" AND (wars): -empire*') == ["star", "and", "wars", "empire"]
    assert text.query_terms('" : * ( -') == []


def test_numbers_words_and_roman_numerals_share_one_form() -> None:
    assert text.index_text("Rocky II") == "rocky 2"
    assert text.query_terms("toy story two") == ["toy", "story", "2"]


def test_query_is_capped() -> None:
    assert len(text.query_terms("word " * 500)) == 1
    long_query = "a" * 150 + " " + "b" * 100
    assert text.query_terms(long_query) == ["a" * 150, "b" * 49]


def test_typo_budget_grows_with_word_length() -> None:
    assert [text.max_edits(w) for w in ("star", "alien", "godfather")] == [0, 1, 2]


def test_edit_distance_counts_transpositions_once() -> None:
    assert text.edit_distance("godfather", "godfater") == 1
    assert text.edit_distance("redemption", "redmeption") == 1
    assert text.edit_distance("shawshank", "shawshenk") == 1
    assert text.edit_distance("abc", "xyz") == 3


def test_person_matches_prefix_and_typo() -> None:
    assert text.person_matches("Morgan Freeman", ["free"])
    assert text.person_matches("Morgan Freeman", ["morgan", "freman"])
    assert not text.person_matches("Morgan Freeman", ["tom"])


def _at(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=UTC)


def test_worldwide_windows_merge_and_countries_keep_only_the_rest() -> None:
    rows = disjoint_rows(
        [
            Window("*", _at(2000), _at(2010)),
            Window("*", _at(2005), _at(2015)),
            Window("us", _at(2012), None),
            Window("GB", _at(2001), _at(2003)),
        ]
    )
    assert rows == [
        ("*", seconds(_at(2000), default=0), seconds(_at(2015), default=0)),
        ("US", seconds(_at(2015), default=0), FOREVER),
    ]


def test_at_most_one_row_matches_any_viewer() -> None:
    windows = [
        Window("*", _at(2000), _at(2004)),
        Window("FR", _at(2002), _at(2008)),
        Window("FR", _at(2006), _at(2010)),
        Window("*", _at(2009), None),
    ]
    rows = disjoint_rows(windows)
    for year in range(1999, 2030):
        now = seconds(_at(year), default=0)
        for country in ("FR", "DE"):
            matching = [r for r in rows if r[0] in ("*", country) and r[1] <= now < r[2]]
            covered = any(
                w.country in ("*", country)
                and w.starts_at <= _at(year)
                and (w.ends_at is None or _at(year) < w.ends_at)
                for w in windows
            )
            assert len(matching) == (1 if covered else 0)


def test_the_bounded_check_agrees_with_the_full_edit_distance() -> None:
    rng = random.Random(4)
    for _ in range(5000):
        a = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 7)))
        for limit in (0, 1, 2):
            assert text.within_edits(a, b, limit) == (text.edit_distance(a, b) <= limit)


def test_short_words_may_only_swap_two_adjacent_letters() -> None:
    assert text.swaps("wras") == ["rwas", "wars", "wrsa"]
    assert text.swaps("aab") == ["aba"]
    assert text.swaps("ab") == []
    assert text.swaps("alien") == []  # five letters: a swap is one of its edits

"""The embedded engine on large matches: sampled facet counts, distinctive-word candidates."""

from __future__ import annotations

from pathlib import Path

import pytest
import tantivy

from marquee.search.embedded import RERANK_WINDOW, EmbeddedIndex
from marquee.search.embedded_docs import SCHEMA_VERSION
from marquee.search.embedded_facets import SAMPLE_SCALE
from marquee.search.index import SearchFilters, SearchResults
from tests.search.comets import VIEWER, hidden_comets, unsampled_id, visible_comets
from tests.search.conftest import doc

NONE = SearchFilters()


@pytest.fixture
def index(tmp_path: Path) -> EmbeddedIndex:
    """Facets exact up to 3 matches; a word in more than 2 entries is common."""
    return EmbeddedIndex(tmp_path / "search", exact_facets=3, distinctive=2)


def _counts(results: SearchResults, facet: str) -> dict[str, int]:
    return {f.value: f.count for f in results.facets[facet]}


def test_small_matches_count_facets_exactly(index: EmbeddedIndex) -> None:
    index.upsert(visible_comets(2) + visible_comets(1, unsampled_id) + hidden_comets())
    results = index.search("comet", NONE, VIEWER)
    assert results.exact
    assert results.total == 3
    assert _counts(results, "genre") == {"Drama": 3}


def test_matches_beyond_the_first_page_count_facets_in_the_engine(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path)
    index.upsert(visible_comets(RERANK_WINDOW + 5) + hidden_comets())
    for query in ("comet", ""):
        results = index.search(query, NONE, VIEWER)
        assert results.exact, query
        assert _counts(results, "genre") == {"Drama": RERANK_WINDOW + 5}, query
        assert _counts(results, "decade") == {"1990": RERANK_WINDOW + 5}, query


def test_large_matches_count_facets_over_the_visible_sample(index: EmbeddedIndex) -> None:
    many = RERANK_WINDOW + 10  # more than a page reads, so the engine counts the facets
    index.upsert(visible_comets(5) + visible_comets(many, unsampled_id) + hidden_comets())
    for query in ("comet", ""):
        results = index.search(query, NONE, VIEWER)
        assert not results.exact, query
        assert results.total == 5 + many, query  # the total itself stays exact
        assert _counts(results, "genre") == {"Drama": 5 * SAMPLE_SCALE}, query
        assert _counts(results, "language") == {"en": 5 * SAMPLE_SCALE}, query
        assert not {hit.title for hit in results.hits} & {d.title for d in hidden_comets()}


def test_without_a_title_holding_every_word_the_distinctive_words_choose(
    index: EmbeddedIndex,
) -> None:
    common = [doc(f"Night of Love {n}", popularity=100) for n in range(4)]
    index.upsert([*common, doc("Zephyr Rising"), doc("Love Zephyr Night Story")])
    # No title holds "quasar": candidates hold "zephyr" (2 entries), not just "night" or "love".
    results = index.search("night love zephyr quasar", NONE, VIEWER)
    assert {hit.title for hit in results.hits} == {"Zephyr Rising", "Love Zephyr Night Story"}
    assert results.hits[0].title == "Love Zephyr Night Story"
    assert results.total == 2


def test_a_large_partial_match_counts_facets_of_its_candidates_only(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path, distinctive=100)
    comets = visible_comets(RERANK_WINDOW + 5)
    index.upsert(comets + [doc(f"Night {n}", genres=["Comedy"]) for n in range(150)])
    # No title holds both words; "night" (150 entries) only ranks the comets, it adds none.
    results = index.search("comet night", NONE, VIEWER)
    assert results.exact
    assert results.total == len(comets)
    assert _counts(results, "genre") == {"Drama": len(comets)}


def test_with_only_common_words_the_rarest_chooses(index: EmbeddedIndex) -> None:
    index.upsert([doc(f"Night {n}") for n in range(5)] + [doc(f"Love {n}") for n in range(3)])
    results = index.search("night love", NONE, VIEWER)
    assert results.total == 3
    assert all(hit.title.startswith("Love") for hit in results.hits)


def test_a_reader_drops_what_it_decoded_when_another_writer_commits(tmp_path: Path) -> None:
    writer, reader = EmbeddedIndex(tmp_path), EmbeddedIndex(tmp_path)
    zephyr = doc("Zephyr Rising")
    writer.upsert([zephyr])
    assert [hit.title for hit in reader.search("zephyr", NONE, VIEWER).hits] == ["Zephyr Rising"]
    renamed = doc("Zephyr Falling", title_id=zephyr.title_id)
    writer.upsert([renamed])
    assert [hit.title for hit in reader.search("zephyr", NONE, VIEWER).hits] == ["Zephyr Falling"]


def test_a_rebuild_commits_one_segment_where_batches_leave_one_each(tmp_path: Path) -> None:
    index = EmbeddedIndex(tmp_path)
    batches = [visible_comets(3) for _ in range(4)]
    for batch in batches:
        index.upsert(batch)
    assert _segments(tmp_path) == 4
    index.rebuild(batches)
    assert _segments(tmp_path) == 1
    assert index.search("comet", NONE, VIEWER).total == 12


def _segments(path: Path) -> int:
    return int(tantivy.Index.open(str(path / SCHEMA_VERSION)).searcher().num_segments)

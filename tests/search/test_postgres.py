"""The PostgreSQL backend on matches too large to count exactly: estimates, pages, no leaks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from marquee.db import make_engine
from marquee.models import Base
from marquee.search.index import SearchFilters, SearchResults, Sort
from marquee.search.models import SearchEntryRow, SearchWordRow
from marquee.search.postgres import BULK, SAMPLE_SCALE, PostgresIndex
from tests.search.comets import VIEWER, hidden_comets, unsampled_id, visible_comets
from tests.search.conftest import doc

NONE = SearchFilters()


@pytest.fixture
def index(postgresql_url: str) -> Iterator[PostgresIndex]:
    """Exact up to 3 matches; candidate walks of 2 entries."""
    engine = make_engine(postgresql_url)
    tables = [SearchEntryRow.__table__, SearchWordRow.__table__]
    Base.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
    index = PostgresIndex(engine, exact_limit=3, window=2)
    index.clear()
    yield index
    index.clear()
    engine.dispose()


def all_pages(index: PostgresIndex, query: str, sort: Sort = Sort.RELEVANCE) -> list[uuid.UUID]:
    seen: list[uuid.UUID] = []
    for offset in range(0, 100, 3):
        page = index.search(query, NONE, VIEWER, sort, offset, 3).hits
        seen += [hit.title_id for hit in page]
        if len(page) < 3:
            return seen
    raise AssertionError("pages never ended")


def test_small_matches_are_counted_exactly(index: PostgresIndex) -> None:
    index.upsert(visible_comets(3) + hidden_comets())
    results = index.search("comet", NONE, VIEWER)
    assert results.exact
    assert results.total == 3


def test_large_matches_are_estimated_from_visible_sampled_entries(index: PostgresIndex) -> None:
    index.upsert(visible_comets(6) + visible_comets(10, unsampled_id) + hidden_comets())
    for query in ("comet", ""):
        results = index.search(query, NONE, VIEWER)
        assert not results.exact, query
        assert results.total == 6 * SAMPLE_SCALE, query
        assert _counts(results, "genre") == {"Drama": 6 * SAMPLE_SCALE}, query
        assert _counts(results, "language") == {"en": 6 * SAMPLE_SCALE}, query
        assert not {hit.title for hit in results.hits} & {d.title for d in hidden_comets()}


def test_an_estimate_never_falls_below_what_the_probe_counted(index: PostgresIndex) -> None:
    index.upsert(visible_comets(5, unsampled_id))
    results = index.search("comet", NONE, VIEWER)
    assert not results.exact
    assert results.total == 4  # more than the exact limit of 3, none of them sampled
    assert _counts(results, "genre") == {}


def test_large_match_pages_cover_every_visible_hit_once(index: PostgresIndex) -> None:
    visible = visible_comets(4) + visible_comets(7, unsampled_id)
    index.upsert(visible + hidden_comets())
    expected = {d.title_id for d in visible}
    for query, sort in (("comet", Sort.RELEVANCE), ("comet", Sort.NEWEST), ("", Sort.POPULAR)):
        seen = all_pages(index, query, sort)
        assert len(seen) == len(set(seen)), (query, sort)
        assert set(seen) == expected, (query, sort)


def test_titles_starting_with_the_query_rank_first_among_many_popular_matches(
    index: PostgresIndex,
) -> None:
    popular = [doc(f"Night of Love {n}", popularity=100 + n) for n in range(12)]
    index.upsert([*popular, doc("Love Story", popularity=0)])
    results = index.search("love", NONE, VIEWER)
    assert not results.exact
    assert results.hits[0].title == "Love Story"
    # Typed with a typo, the title is still a candidate: ranges follow the corrected words.
    typo = index.search("lovve", NONE, VIEWER, limit=5)
    assert not typo.exact
    assert "Love Story" in [hit.title for hit in typo.hits]


def test_large_matches_are_filtered_and_never_suggest_hidden_titles(index: PostgresIndex) -> None:
    index.upsert(visible_comets(8) + hidden_comets())
    assert index.search("comet", SearchFilters(genre="Secret"), VIEWER).total == 0
    suggestions = index.suggest("come", VIEWER)
    assert 0 < len(suggestions) <= 10
    assert all(s.text.startswith("Comet ") and s.text[6:].isdigit() for s in suggestions)


def test_a_misspelt_short_word_does_not_sink_the_others(index: PostgresIndex) -> None:
    index.upsert([doc("James and the Giant Peach"), doc("Giant"), doc("Peach Pit")])
    results = index.search("jams and the giant peach", NONE, VIEWER)
    assert results.hits[0].title == "James and the Giant Peach"
    assert results.total == 1


def test_a_bulk_write_merges_its_index_entries_and_is_searchable(index: PostgresIndex) -> None:
    """Bulk writes merge each text index's pending list (a wrong index name would fail)."""
    index.upsert([doc(f"Bulk {n}") for n in range(BULK)])
    assert index.search("bulk 117", NONE, VIEWER).hits[0].title == "Bulk 117"


def _counts(results: SearchResults, facet: str) -> dict[str, int]:
    return {f.value: f.count for f in results.facets[facet]}

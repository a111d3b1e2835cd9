"""The shared suite every search backend passes: matching, ranking, filters, facets, pages."""

from __future__ import annotations

import pytest

from marquee.audience import Audience
from marquee.search.index import Index, SearchFilters, Sort
from tests.search.conftest import doc

VIEWER = Audience(country="GB", max_maturity=5)
NONE = SearchFilters()


@pytest.fixture
def catalogue(index: Index) -> Index:
    index.upsert(
        [
            doc(
                "The Godfather",
                people=["Francis Ford Coppola", "Marlon Brando"],
                genres=["Crime", "Drama"],
                year=1972,
                popularity=40,
                synopsis="The aging patriarch of an organized crime dynasty hands over his empire.",
            ),
            doc("The Godfather: Part II", genres=["Crime", "Drama"], year=1974, popularity=5),
            doc("Amélie", language="fr", year=2001, genres=["Comedy", "Romance"]),
            doc("The Shawshank Redemption", year=1994, people=["Morgan Freeman"]),
            doc("Toy Story 2", year=1999, genres=["Animation"], kind="movie"),
            doc("Rocky II", year=1979, genres=["Drama"]),
            doc("Star Wars", year=1977, genres=["Sci-Fi"], popularity=30),
            doc("Star Trek", year=1979, genres=["Sci-Fi"], kind="series", popularity=1),
            doc("Runner", year=2010, synopsis="Two brothers keep running from the past."),
        ]
    )
    return index


def titles(index: Index, query: str, filters: SearchFilters = NONE, **kw: object) -> list[str]:
    results = index.search(query, filters, VIEWER, **kw)  # type: ignore[arg-type]
    return [hit.title for hit in results.hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("godf", "The Godfather"),
        ("godfater", "The Godfather"),
        ("GODFATHER", "The Godfather"),
        ("shawshenk redemtion", "The Shawshank Redemption"),
        ("amelie", "Amélie"),
        ("AMÉLIE", "Amélie"),
        ("toy story two", "Toy Story 2"),
        ("rocky 2", "Rocky II"),
        ("godfather part ii", "The Godfather: Part II"),
        ("brando", "The Godfather"),
        ("freeman", "The Shawshank Redemption"),
        ("sta war", "Star Wars"),
        ("star wras", "Star Wars"),
        ("satr wars", "Star Wars"),
        ("rokcy 2", "Rocky II"),
    ],
)
def test_finds_through_prefixes_typos_accents_numbers_and_people(
    catalogue: Index, query: str, expected: str
) -> None:
    assert titles(catalogue, query)[0] == expected


def test_short_words_get_no_typo_tolerance_but_a_swap(catalogue: Index) -> None:
    assert titles(catalogue, "wxrs") == []
    assert titles(catalogue, "trak") == []
    assert titles(catalogue, "wras") == ["Star Wars"]
    assert titles(catalogue, "tsar trek") == ["Star Trek"]


def test_a_short_word_that_exists_gets_no_swapped_forms(index: Index) -> None:
    index.upsert([doc("Form"), doc("From Here")])
    assert titles(index, "from") == ["From Here"]
    assert titles(index, "form") == ["Form"]
    assert titles(index, "fomr") == ["Form"]


def test_synopsis_is_stemmed(catalogue: Index) -> None:
    assert "Runner" in titles(catalogue, "runs")
    assert "The Godfather" in titles(catalogue, "organised empires")


@pytest.mark.parametrize(
    "query", ['"', ":", "*", "(", "AND", "-", 'star" AND (wars:* -trek', "))((**::"]
)
def test_syntax_characters_are_searched_as_text(catalogue: Index, query: str) -> None:
    results = catalogue.search(query, NONE, VIEWER)
    assert results.total >= 0
    if query.startswith("star"):
        assert results.hits[0].title == "Star Wars"


def test_empty_query_returns_popular_titles_first(catalogue: Index) -> None:
    results = catalogue.search("", NONE, VIEWER)
    assert results.total == 9
    assert [h.title for h in results.hits[:3]] == [
        "The Godfather",
        "Star Wars",
        "The Godfather: Part II",
    ]


def test_popularity_breaks_ties(index: Index) -> None:
    index.upsert([doc("Twin Peaks", popularity=0), doc("Twin Peaks", popularity=500)])
    hits = index.search("twin peaks", NONE, VIEWER).hits
    assert [h.title for h in hits] == ["Twin Peaks", "Twin Peaks"]
    assert hits[0].score > hits[1].score


def test_title_outranks_people_and_synopsis(index: Index) -> None:
    index.upsert(
        [
            doc("Quiet Days", synopsis="A film about Gattaca and its makers.", popularity=90),
            doc("Unrelated", people=["Gattaca Jones"], popularity=90),
            doc("Gattaca"),
        ]
    )
    assert titles(index, "gattaca")[0] == "Gattaca"


def test_filters(catalogue: Index) -> None:
    assert set(titles(catalogue, "", SearchFilters(genre="Crime"))) == {
        "The Godfather",
        "The Godfather: Part II",
    }
    assert titles(catalogue, "star", SearchFilters(kind="series")) == ["Star Trek"]
    assert titles(catalogue, "", SearchFilters(language="fr")) == ["Amélie"]
    decade = SearchFilters(year_from=1970, year_to=1979)
    assert len(titles(catalogue, "", decade, limit=50)) == 5


def test_sort_newest(catalogue: Index) -> None:
    assert titles(catalogue, "", sort=Sort.NEWEST)[:2] == ["Runner", "Amélie"]


def test_facets_count_the_matching_titles(catalogue: Index) -> None:
    facets = catalogue.search("", NONE, VIEWER).facets
    genres = {f.value: f.count for f in facets["genre"]}
    assert genres["Drama"] == 5
    assert genres["Crime"] == 2
    decades = {f.value: f.count for f in facets["decade"]}
    assert decades == {"1970": 5, "1990": 2, "2000": 1, "2010": 1}
    assert {f.value: f.count for f in facets["type"]} == {"movie": 8, "series": 1}
    assert {f.value: f.count for f in facets["language"]} == {"en": 8, "fr": 1}
    star = catalogue.search("star", NONE, VIEWER).facets
    assert {f.value: f.count for f in star["genre"]} == {"Sci-Fi": 2}


def test_pages_cover_every_hit_once(catalogue: Index) -> None:
    seen = []
    for offset in range(0, 9, 2):
        page = catalogue.search("", NONE, VIEWER, Sort.RELEVANCE, offset, 2)
        assert page.total == 9
        seen += [hit.title_id for hit in page.hits]
    assert len(seen) == len(set(seen)) == 9


def test_upsert_replaces_and_delete_removes(catalogue: Index) -> None:
    star = catalogue.search("star wars", NONE, VIEWER).hits[0]
    catalogue.upsert([doc("A New Hope", title_id=star.title_id)])
    assert "Star Wars" not in titles(catalogue, "star wars")
    assert titles(catalogue, "new hope") == ["A New Hope"]
    catalogue.delete([star.title_id])
    assert titles(catalogue, "new hope") == []
    catalogue.clear()
    assert catalogue.count() == 0


def test_suggest_titles_and_people(catalogue: Index) -> None:
    titles_ = catalogue.suggest("god", VIEWER)
    assert [s.text for s in titles_][:2] == ["The Godfather", "The Godfather: Part II"]
    assert all(s.kind == "title" for s in titles_)
    people = catalogue.suggest("marl", VIEWER)
    assert ("Marlon Brando", "person") in [(s.text, s.kind) for s in people]
    assert catalogue.suggest("", VIEWER) == []


def test_suggest_returns_at_most_ten(index: Index) -> None:
    index.upsert([doc(f"Alpha {n}") for n in range(15)])
    assert len(index.suggest("alp", VIEWER)) == 10


def test_titles_starting_with_the_query_come_first(index: Index) -> None:
    index.upsert(
        [
            doc("Meet", popularity=50),
            doc("Men Meet Me"),
            doc("Meet Me in St. Louis"),
            doc("Siege", popularity=50),
            doc("Under Siege 2: Dark Territory"),
        ]
    )
    assert titles(index, "meet me")[0] == "Meet Me in St. Louis"
    assert titles(index, "under siege 2")[0] == "Under Siege 2: Dark Territory"


def test_a_rebuild_replaces_every_entry_at_once(catalogue: Index) -> None:
    fresh = [[doc("Fresh Start")], [doc("Fresh Air"), doc("Fresh Prince", published=False)]]
    assert catalogue.rebuild(iter(fresh)) == 3
    assert titles(catalogue, "star wars") == []
    assert sorted(titles(catalogue, "fresh")) == ["Fresh Air", "Fresh Start"]

"""The hard rule on every backend: a hidden title never shows, not even as a facet count."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.audience import Audience
from marquee.catalog.models import PublishState, Title
from marquee.catalog.visibility import visible_to
from marquee.db import utcnow
from marquee.maturity import Maturity
from marquee.search import service
from marquee.search.documents import Window
from marquee.search.index import Index, SearchFilters
from tests.catalog.factories import make_genre, make_title
from tests.search.conftest import EVER, doc

NONE = SearchFilters()
STATES = [PublishState.PUBLISHED] * 2 + [PublishState.DRAFT, PublishState.UNPUBLISHED]
NOW = utcnow()
GB_ADULT = Audience(country="GB", max_maturity=Maturity.ADULTS)


@pytest.fixture
def mixed(index: Index) -> Index:
    """One visible "Zephyr" title and one hidden "Zephyr" for each way a title can be hidden."""
    index.upsert(
        [
            doc("Zephyr Visible", genres=["Drama"]),
            doc("Zephyr Draft", published=False, genres=["Secret"], people=["Hidden Person"]),
            doc("Zephyr Abroad", windows=[Window("US", EVER)], genres=["Secret"]),
            doc("Zephyr Soon", windows=[Window("*", NOW + timedelta(days=2))], genres=["Secret"]),
            doc(
                "Zephyr Gone",
                windows=[Window("*", EVER, NOW - timedelta(days=1))],
                genres=["Secret"],
            ),
            doc("Zephyr Adult", maturity_level=Maturity.ADULTS, genres=["Secret"], language="de"),
        ]
    )
    return index


KIDS_GB = Audience(country="GB", max_maturity=Maturity.ALL)


def test_hidden_titles_never_match(mixed: Index) -> None:
    viewer = Audience(country="GB", max_maturity=Maturity.MATURE)
    for query in ("zephyr", "", "draft", "abroad", "soon", "gone", "adult", "hidden person"):
        results = mixed.search(query, NONE, viewer)
        names = {hit.title for hit in results.hits}
        assert names <= {"Zephyr Visible"}, query
        assert results.total == len(names), query


def test_hidden_titles_are_not_counted_in_facets(mixed: Index) -> None:
    viewer = Audience(country="GB", max_maturity=Maturity.MATURE)
    facets = mixed.search("zephyr", NONE, viewer).facets
    assert {f.value for f in facets["genre"]} == {"Drama"}
    assert {f.value for f in facets["language"]} == {"en"}
    assert mixed.search("", SearchFilters(genre="Secret"), viewer).total == 0


def test_hidden_titles_are_never_suggested(mixed: Index) -> None:
    viewer = Audience(country="GB", max_maturity=Maturity.MATURE)
    assert [s.text for s in mixed.suggest("zeph", viewer)] == ["Zephyr Visible"]
    assert mixed.suggest("hidden", viewer) == []


def test_each_rule_admits_the_right_viewer(mixed: Index) -> None:
    us = Audience(country="US", max_maturity=Maturity.MATURE)
    assert {h.title for h in mixed.search("zephyr", NONE, us).hits} == {
        "Zephyr Visible",
        "Zephyr Abroad",
    }
    assert "Zephyr Adult" in {h.title for h in mixed.search("zephyr", NONE, GB_ADULT).hits}
    later = Audience(country="GB", max_maturity=Maturity.MATURE, at=NOW + timedelta(days=3))
    assert "Zephyr Soon" in {h.title for h in mixed.search("zephyr", NONE, later).hits}
    earlier = Audience(country="GB", max_maturity=Maturity.MATURE, at=NOW - timedelta(days=3))
    assert "Zephyr Gone" in {h.title for h in mixed.search("zephyr", NONE, earlier).hits}
    assert mixed.search("zephyr", NONE, KIDS_GB).total == 0


def _all_ids(index: Index, audience: Audience) -> set[object]:
    seen: set[object] = set()
    offset = 0
    while True:
        page = index.search("", NONE, audience, offset=offset, limit=100)
        seen |= {hit.title_id for hit in page.hits}
        offset += 100
        if offset >= page.total:
            assert len(seen) == page.total
            return seen


def test_search_agrees_with_the_catalogue_rule(db: Session, index: Index) -> None:
    """Random titles and windows: search admits exactly what the catalogue's own rule admits."""
    rng = random.Random(6)
    genre = make_genre(db, "Drama")
    ratings = ["G", "PG", "PG-13", "R", "NC-17"]
    for n in range(60):
        windows = []
        for _ in range(rng.randint(0, 3)):
            start = NOW + timedelta(days=rng.randint(-30, 10))
            end = start + timedelta(days=rng.randint(1, 40)) if rng.random() < 0.6 else None
            windows.append((rng.choice(["*", "GB", "US", "FR"]), start, end))
        make_title(
            db,
            f"Random {n}",
            rating=rng.choice(ratings),
            windows=windows,
            genres=[genre],
            state=rng.choice(STATES),
        )
    ids = list(db.scalars(select(Title.id)))
    service.reindex_titles(session=db, index=index, title_ids=ids)
    sizes: list[int] = []
    for country in ("GB", "US", "FR", "JP"):
        for ceiling in (Maturity.ALL, Maturity.TEENS, Maturity.ADULTS):
            audience = Audience(country=country, max_maturity=ceiling, at=utcnow())
            expected = set(db.scalars(select(Title.id).where(visible_to(audience))))
            assert _all_ids(index, audience) == expected, (country, ceiling)
            sizes.append(len(expected))
    assert min(sizes) < max(sizes)
    assert 0 < max(sizes) < 60

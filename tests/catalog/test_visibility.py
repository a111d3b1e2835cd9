"""THE rule: viewers see only published titles available in their country now, within their ceiling."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from marquee.audience import Audience
from marquee.catalog import browse
from marquee.catalog.browse import TitleFilters
from marquee.catalog.models import Episode, PublishState, Season, TitleKind
from marquee.errors import NotFound
from marquee.maturity import Maturity
from marquee.pagination import PageParams
from tests.catalog.factories import LONG_AGO, days, make_genre, make_title

US_ADULT = Audience(country="US")
ALL = PageParams(offset=0, limit=100)


@pytest.fixture
def catalogue(db: Session) -> dict[str, uuid.UUID]:
    drama = make_genre(db, "Drama")
    horror = make_genre(db, "Horror")
    titles = {
        "visible": make_title(db, "Visible", genres=[drama]),
        "draft": make_title(db, "Draft", state=PublishState.DRAFT, genres=[drama]),
        "processing": make_title(db, "Processing", state=PublishState.PROCESSING),
        "unpublished": make_title(db, "Gone", state=PublishState.UNPUBLISHED, genres=[drama]),
        "gb_only": make_title(db, "British", windows=[("GB", LONG_AGO, None)], genres=[drama]),
        "not_yet": make_title(db, "Soon", windows=[("*", days(3), None)], genres=[horror]),
        "ended": make_title(db, "Ended", windows=[("US", LONG_AGO, days(-1))], genres=[horror]),
        "no_window": make_title(db, "Unlicensed", windows=[]),
        "r_rated": make_title(db, "Scary", rating="R", genres=[horror]),
        "us_window": make_title(db, "American", windows=[("US", days(-1), days(1))]),
    }
    db.commit()
    return {key: title.id for key, title in titles.items()}


def _visible(db: Session, audience: Audience) -> set[str]:
    items, total = browse.list_titles(
        session=db, audience=audience, filters=TitleFilters(), params=ALL
    )
    assert total == len(items)
    return {title.name for title in items}


def test_adult_in_us_sees_only_published_licensed_titles(
    db: Session, catalogue: dict[str, uuid.UUID]
) -> None:
    assert _visible(db, US_ADULT) == {"Visible", "Scary", "American"}


def test_region_decides(db: Session, catalogue: dict[str, uuid.UUID]) -> None:
    assert _visible(db, Audience(country="GB")) == {"Visible", "Scary", "British"}
    assert _visible(db, Audience(country="gb")) == {"Visible", "Scary", "British"}


def test_windows_are_checked_at_the_audience_moment(
    db: Session, catalogue: dict[str, uuid.UUID]
) -> None:
    in_a_week = Audience(country="US", at=days(7))
    assert _visible(db, in_a_week) == {"Visible", "Scary", "Soon"}
    two_days_ago = Audience(country="US", at=days(-2))
    assert _visible(db, two_days_ago) == {"Visible", "Scary", "Ended"}


def test_maturity_ceiling_hides_higher_ratings(
    db: Session, catalogue: dict[str, uuid.UUID]
) -> None:
    kids = Audience(country="US", max_maturity=Maturity.ALL)
    assert _visible(db, kids) == set()  # PG is above the kids ceiling G
    parental = Audience(country="US", max_maturity=Maturity.PARENTAL)
    assert _visible(db, parental) == {"Visible", "American"}


def test_details_of_hidden_titles_are_not_found(
    db: Session, catalogue: dict[str, uuid.UUID]
) -> None:
    kids = Audience(country="US", max_maturity=Maturity.PARENTAL)
    assert browse.get_title(session=db, audience=kids, title_id=catalogue["visible"]).name
    hidden = ["draft", "processing", "unpublished", "gb_only", "not_yet", "ended", "r_rated"]
    for key in [*hidden, "no_window"]:
        with pytest.raises(NotFound) as info:
            browse.get_title(session=db, audience=kids, title_id=catalogue[key])
        assert info.value.code == "title_not_found"
    with pytest.raises(NotFound):
        browse.get_title(session=db, audience=kids, title_id=uuid.uuid4())


def test_genre_counts_exclude_hidden_titles(db: Session, catalogue: dict[str, uuid.UUID]) -> None:
    counts = {g.name: n for g, n in browse.genre_counts(session=db, audience=US_ADULT)}
    assert counts == {"Drama": 1, "Horror": 1}
    gb = {g.name: n for g, n in browse.genre_counts(session=db, audience=Audience(country="GB"))}
    assert gb == {"Drama": 2, "Horror": 1}
    kids = Audience(country="US", max_maturity=Maturity.PARENTAL)
    assert {g.name: n for g, n in browse.genre_counts(session=db, audience=kids)} == {"Drama": 1}


def test_filters_and_totals_respect_the_rule(db: Session, catalogue: dict[str, uuid.UUID]) -> None:
    filters = TitleFilters(genre="drama")
    items, total = browse.list_titles(session=db, audience=US_ADULT, filters=filters, params=ALL)
    assert (total, [t.name for t in items]) == (1, ["Visible"])
    page = PageParams(offset=0, limit=1)
    items, total = browse.list_titles(
        session=db, audience=US_ADULT, filters=TitleFilters(), params=page
    )
    assert (total, len(items)) == (3, 1)


def test_episodes_follow_their_series(db: Session) -> None:
    shown = make_title(db, "Shown", kind=TitleKind.SERIES)
    hidden = make_title(db, "Late", kind=TitleKind.SERIES, windows=[("*", days(2), None)])
    episodes = {}
    for title in (shown, hidden):
        season = Season(title_id=title.id, number=1)
        db.add(season)
        db.flush()
        episode = Episode(season_id=season.id, title_id=title.id, number=1, name="Pilot")
        db.add(episode)
        db.flush()
        episodes[title.name] = episode.id
    found = browse.get_episode(session=db, audience=US_ADULT, episode_id=episodes["Shown"])
    assert found.title_id == shown.id
    for episode_id in (episodes["Late"], uuid.uuid4()):
        with pytest.raises(NotFound) as info:
            browse.get_episode(session=db, audience=US_ADULT, episode_id=episode_id)
        assert info.value.code == "episode_not_found"

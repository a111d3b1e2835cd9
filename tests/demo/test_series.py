"""The made-up demo series: created once through the editor services, visible as intended."""

from __future__ import annotations

from sqlalchemy.orm import Session

from marquee.audience import Audience
from marquee.catalog import browse
from marquee.catalog.browse import TitleFilters
from marquee.catalog.models import TitleKind
from marquee.demo.series import ensure_demo_series
from marquee.maturity import Maturity
from marquee.pagination import PageParams

SERIES_ONLY = TitleFilters(kind=TitleKind.SERIES)
ALL = PageParams(offset=0, limit=10)


def test_demo_series_are_created_once_and_fully_formed(db: Session) -> None:
    assert ensure_demo_series(session=db) == 2
    db.commit()
    assert ensure_demo_series(session=db) == 0
    items, total = browse.list_titles(
        session=db, audience=Audience(country="JP"), filters=SERIES_ONLY, params=ALL
    )
    assert total == 2
    projectionist = next(t for t in items if t.slug == "the-night-projectionist")
    detail = browse.get_title(
        session=db, audience=Audience(country="JP"), title_id=projectionist.id
    )
    assert [len(season.episodes) for season in detail.seasons] == [3, 3]
    first = detail.seasons[0].episodes[0]
    assert (first.name, first.intro_start_seconds, first.intro_end_seconds) == ("Last Reel", 20, 80)
    assert [(c.role.value, c.person.name) for c in detail.credits][-1] == (
        "director",
        "Ines Calloway",
    )
    assert [g.name for g in detail.genres] == ["Drama", "Mystery"]


def test_only_the_kids_series_reaches_a_little_kids_profile(db: Session) -> None:
    ensure_demo_series(session=db)
    db.commit()
    little = Audience(country="US", max_maturity=Maturity.LITTLE_KIDS)
    items, _ = browse.list_titles(session=db, audience=little, filters=SERIES_ONLY, params=ALL)
    assert [t.name for t in items] == ["Little Lanterns"]

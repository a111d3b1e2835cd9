"""Catalogue test data built straight in the database."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marquee.catalog.models import WORLDWIDE, Availability, Genre, PublishState, Title, TitleKind
from marquee.catalog.service import sort_name
from marquee.db import utcnow
from marquee.maturity import level

_counter = itertools.count(1)
LONG_AGO = datetime(2000, 1, 1, tzinfo=utcnow().tzinfo)


def make_genre(session: Session, name: str) -> Genre:
    genre = Genre(slug=name.lower().replace(" ", "-"), name=name)
    session.add(genre)
    session.flush()
    return genre


def make_title(
    session: Session,
    name: str | None = None,
    *,
    state: PublishState = PublishState.PUBLISHED,
    rating: str = "PG",
    windows: list[tuple[str, datetime, datetime | None]] | None = None,
    genres: list[Genre] | None = None,
    year: int | None = 2000,
    kind: TitleKind = TitleKind.MOVIE,
    published_at: datetime | None = None,
) -> Title:
    """A title, published and available worldwide since long ago unless told otherwise."""
    n = next(_counter)
    name = name or f"Title {n}"
    title = Title(
        kind=kind,
        slug=f"t-{n}",
        name=name,
        sort_name=sort_name(name),
        release_year=year,
        maturity_rating=rating,
        maturity_level=int(level(rating)),
        state=state,
        published_at=published_at or (utcnow() if state is PublishState.PUBLISHED else None),
        genres=genres or [],
    )
    session.add(title)
    session.flush()
    for country, starts, ends in windows if windows is not None else [(WORLDWIDE, LONG_AGO, None)]:
        session.add(
            Availability(title_id=title.id, country=country, starts_at=starts, ends_at=ends)
        )
    session.flush()
    return title


def days(n: int) -> datetime:
    return utcnow() + timedelta(days=n)

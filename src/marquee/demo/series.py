"""Two small demo series, so the demo shows seasons, episodes, credits and a kids title.

MovieLens holds only movies; these are made up for the demo and go through the
same editor services (and validation) as titles created in the admin API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.catalog import episodes, people, service
from marquee.catalog.importer import ensure_genres
from marquee.catalog.models import WORLDWIDE, CreditRole, Title, TitleKind
from marquee.catalog.schemas import (
    AvailabilityCreate,
    CreditCreate,
    EpisodeCreate,
    PersonCreate,
    SeasonCreate,
    TitleCreate,
)
from marquee.catalog.state import TitleEvent


@dataclass(frozen=True)
class DemoSeries:
    slug: str
    name: str
    synopsis: str
    rating: str
    year: int
    genres: tuple[str, ...]
    seasons: tuple[tuple[str, ...], ...]  # episode names, season by season
    minutes: int
    cast: tuple[tuple[str, str], ...]  # (person, character)
    director: str


SERIES = (
    DemoSeries(
        slug="the-night-projectionist",
        name="The Night Projectionist",
        synopsis="A small-town cinema shows one extra film after midnight, and nobody booked it.",
        rating="TV-14",
        year=2024,
        genres=("Drama", "Mystery"),
        seasons=(
            ("Last Reel", "The Booth", "Intermission"),
            ("Double Feature", "Splice", "Houselights"),
        ),
        minutes=44,
        cast=(("Maren Holt", "Ada Quill"), ("Tobias Reyne", "Sheriff Dunn")),
        director="Ines Calloway",
    ),
    DemoSeries(
        slug="little-lanterns",
        name="Little Lanterns",
        synopsis="Three paper lanterns light up a different corner of the night sky each episode.",
        rating="TV-Y",
        year=2025,
        genres=("Animation", "Children's"),
        seasons=(("The Moon Is Late", "Cloud Bridge", "Firefly Parade", "Morning Comes"),),
        minutes=11,
        cast=(("Pip Arden", "Glimmer"),),
        director="Sol Varga",
    ),
)
LICENSED_SINCE = datetime(2024, 1, 1, tzinfo=UTC)


def _credits(session: Session, title: Title, series: DemoSeries) -> None:
    lineup: list[tuple[str, CreditRole, str | None]] = [
        (name, CreditRole.CAST, character) for name, character in series.cast
    ]
    lineup.append((series.director, CreditRole.DIRECTOR, None))
    for order, (name, role, character) in enumerate(lineup):
        person = people.create_person(session=session, data=PersonCreate(name=name))
        credit = CreditCreate(person_id=person.id, role=role, character=character, order=order)
        people.add_credit(session=session, title_id=title.id, data=credit)


def _episodes(session: Session, title: Title, series: DemoSeries) -> None:
    for season_number, names in enumerate(series.seasons, start=1):
        season = SeasonCreate(number=season_number, name=f"Season {season_number}")
        episodes.create_season(session=session, title_id=title.id, data=season)
        for number, name in enumerate(names, start=1):
            episode = EpisodeCreate(
                number=number,
                name=name,
                runtime_minutes=series.minutes,
                intro_start_seconds=20,
                intro_end_seconds=80,
                credits_start_seconds=series.minutes * 60 - 90,
            )
            episodes.create_episode(
                session=session, title_id=title.id, season=season_number, data=episode
            )


def _create(session: Session, series: DemoSeries) -> None:
    genre_ids = ensure_genres(session=session, names=series.genres)
    data = TitleCreate(
        kind=TitleKind.SERIES,
        slug=series.slug,
        name=series.name,
        synopsis=series.synopsis,
        release_year=series.year,
        runtime_minutes=series.minutes,
        maturity_rating=series.rating,
        original_language="en",
        external_ids={"marquee_demo": series.slug},
        genre_ids=[genre_ids[name] for name in series.genres],
    )
    title = service.create_title(session=session, data=data)
    _credits(session, title, series)
    _episodes(session, title, series)
    window = AvailabilityCreate(country=WORLDWIDE, starts_at=LICENSED_SINCE)
    service.add_window(session=session, title_id=title.id, data=window)
    service.apply_event(session=session, title_id=title.id, event=TitleEvent.PUBLISH)


def ensure_demo_series(*, session: Session) -> int:
    """Create the demo series missing from the catalogue; returns how many were added."""
    slugs = [series.slug for series in SERIES]
    existing = set(session.scalars(select(Title.slug).where(Title.slug.in_(slugs))))
    added = 0
    for series in SERIES:
        if series.slug not in existing:
            _create(session, series)
            added += 1
    return added

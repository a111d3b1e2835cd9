"""MovieLens-100K in RecBole atomic files: parsing, and the demo's maturity and licence choices.

The atomic files are tab-separated with a typed header (`item_id:token`, ...).
MovieLens carries no ratings board labels and no territories, so the demo
derives both deterministically from each movie's id and genres; that keeps
kids and region filtering visible in the demo and every import identical.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from marquee.catalog.models import WORLDWIDE


@dataclass(frozen=True)
class Movie:
    item_id: int
    name: str
    year: int | None
    genres: tuple[str, ...]


@dataclass(frozen=True)
class Rating:
    user_id: int
    item_id: int
    rating: float
    timestamp: int


@dataclass(frozen=True)
class Window:
    country: str
    starts_at: datetime
    ends_at: datetime | None


SOURCE = "movielens"  # the key of a title's external id
LICENSED_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>The|A|An|La|Le|Les|Il|Das|Die|El|L')$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        header = [column.split(":", 1)[0] for column in handle.readline().rstrip("\n").split("\t")]
        for line in handle:
            values = line.rstrip("\n").split("\t")
            if len(values) == len(header):
                yield dict(zip(header, values, strict=True))


def display_name(raw: str) -> str:
    """MovieLens lists "Ice Storm, The"; viewers read "The Ice Storm"."""
    match = _TRAILING_ARTICLE.match(raw.strip())
    if match is None:
        return raw.strip()
    article = match["article"]
    return f"{article}{match['rest']}" if article.endswith("'") else f"{article} {match['rest']}"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_SLUG.sub("-", ascii_text.lower().replace("'", "")).strip("-") or "title"


def read_movies(path: Path) -> list[Movie]:
    movies = []
    for row in _rows(path):
        year = row.get("release_year", "")
        genres = tuple(g for g in row.get("class", "").split() if g != "unknown")
        movies.append(
            Movie(
                item_id=int(row["item_id"]),
                name=display_name(row["movie_title"]),
                year=int(year) if year.isdigit() else None,
                genres=genres,
            )
        )
    return movies


def read_ratings(path: Path) -> Iterator[Rating]:
    for row in _rows(path):
        yield Rating(
            user_id=int(row["user_id"]),
            item_id=int(row["item_id"]),
            rating=float(row["rating"]),
            timestamp=int(float(row["timestamp"])),
        )


def read_user_ids(path: Path) -> list[int]:
    return [int(row["user_id"]) for row in _rows(path)]


def maturity_rating(movie: Movie) -> str:
    """A plausible label from the genres; the id spreads titles across neighbouring labels."""
    genres = set(movie.genres)
    family = "G" if movie.item_id % 3 else "PG"
    if "Children's" in genres:
        return family
    if genres & {"Horror", "Crime", "Thriller"}:
        return "NC-17" if movie.item_id % 10 == 0 else "R"
    if "Animation" in genres:
        return family
    if genres & {"Documentary", "Musical"}:
        return "PG"
    return "PG" if movie.item_id % 4 == 0 else "PG-13"


def availability(movie: Movie, *, today: datetime) -> list[Window]:
    """Most titles are worldwide; one in ten is regional; one in ten is out of its window."""
    bucket = movie.item_id % 20
    if bucket in (13, 14):
        return [Window("US", LICENSED_SINCE, None)]
    if bucket == 15:
        return [Window("GB", LICENSED_SINCE, None), Window("FR", LICENSED_SINCE, None)]
    if bucket == 16:
        return [Window("US", LICENSED_SINCE, None), Window("CA", LICENSED_SINCE, None)]
    midnight = today.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == 18:  # licensed, but not yet
        return [Window(WORLDWIDE, midnight + timedelta(days=60), None)]
    if bucket == 19:  # the licence has run out
        return [Window(WORLDWIDE, LICENSED_SINCE, midnight - timedelta(days=30))]
    return [Window(WORLDWIDE, LICENSED_SINCE, None)]


def genre_slug(name: str) -> str:
    return slugify(name)

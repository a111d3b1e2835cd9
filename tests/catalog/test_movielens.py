"""Parsing MovieLens atomic files and the demo's deterministic ratings and licence windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from marquee.catalog import movielens
from marquee.catalog.movielens import Movie, Window, availability, maturity_rating

MINI = Path(__file__).parent / "fixtures" / "ml-mini"
TODAY = datetime(2026, 6, 15, 13, 30, tzinfo=UTC)
MIDNIGHT = datetime(2026, 6, 15, tzinfo=UTC)


def _movie(item_id: int, *genres: str) -> Movie:
    return Movie(item_id=item_id, name="M", year=1995, genres=genres)


def test_reads_movies_with_typed_headers() -> None:
    movies = {m.item_id: m for m in movielens.read_movies(MINI / "ml-100k.item")}
    assert len(movies) == 14
    assert movies[1] == Movie(1, "Toy Story", 1995, ("Animation", "Children's", "Comedy"))
    assert movies[3].name == "The Ice Storm"
    assert movies[1359].name == "L'Appartement"
    assert movies[1358].name == "The Deadly Cure"
    assert movies[267].year is None
    assert movies[267].genres == ()


def test_reads_ratings_and_users() -> None:
    ratings = list(movielens.read_ratings(MINI / "ml-100k.inter"))
    assert len(ratings) == 9
    assert ratings[0] == movielens.Rating(user_id=1, item_id=1, rating=5.0, timestamp=874965758)
    assert movielens.read_user_ids(MINI / "ml-100k.user") == [1, 2, 3]


def test_display_names_and_slugs() -> None:
    assert movielens.display_name("Usual Suspects, The") == "The Usual Suspects"
    assert movielens.display_name("Mis\u00e9rables, Les") == "Les Mis\u00e9rables"
    assert movielens.display_name("Rock, Paper") == "Rock, Paper"
    assert movielens.slugify("Mr. Holland's Opus") == "mr-hollands-opus"
    assert movielens.slugify("Mis\u00e9rables!") == "miserables"
    assert movielens.slugify("???") == "title"


def test_maturity_follows_genres() -> None:
    assert maturity_rating(_movie(1, "Animation")) == "G"
    assert maturity_rating(_movie(3, "Children's")) == "PG"
    assert maturity_rating(_movie(2, "Horror")) == "R"
    assert maturity_rating(_movie(10, "Crime")) == "NC-17"
    assert maturity_rating(_movie(5, "Documentary")) == "PG"
    assert maturity_rating(_movie(5, "Drama")) == "PG-13"
    assert maturity_rating(_movie(8, "Drama")) == "PG"
    assert maturity_rating(_movie(1, "Children's", "Horror")) == "G"
    assert maturity_rating(_movie(1, "Animation", "Thriller")) == "R"


def test_availability_buckets() -> None:
    since = movielens.LICENSED_SINCE
    assert availability(_movie(1), today=TODAY) == [Window("*", since, None)]
    assert availability(_movie(13), today=TODAY) == [Window("US", since, None)]
    assert [w.country for w in availability(_movie(15), today=TODAY)] == ["GB", "FR"]
    assert [w.country for w in availability(_movie(36), today=TODAY)] == ["US", "CA"]
    future = availability(_movie(18), today=TODAY)
    assert future == [Window("*", MIDNIGHT + timedelta(days=60), None)]
    ended = availability(_movie(39), today=TODAY)
    assert ended == [Window("*", since, MIDNIGHT - timedelta(days=30))]


def test_most_titles_are_worldwide() -> None:
    windows = [availability(_movie(i), today=TODAY) for i in range(1, 1001)]
    worldwide = sum(1 for w in windows if w == [Window("*", movielens.LICENSED_SINCE, None)])
    assert worldwide == 700

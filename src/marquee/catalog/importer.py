"""Bulk import of MovieLens movies as published titles; re-running it adds nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from marquee.catalog.models import (
    Availability,
    Genre,
    PublishState,
    Title,
    TitleKind,
    title_genres,
)
from marquee.catalog.movielens import (
    SOURCE,
    Movie,
    availability,
    genre_slug,
    maturity_rating,
    slugify,
)
from marquee.catalog.service import sort_name
from marquee.db import utcnow
from marquee.maturity import level

CHUNK = 2000


def chunked(
    rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert_rows(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Core executemany in chunks: thousands of rows without building ORM objects."""
    for chunk in chunked(rows):
        session.execute(insert(table), list(chunk))


def imported_titles(*, session: Session) -> dict[int, uuid.UUID]:
    """MovieLens item id → title id, for titles already imported."""
    mapping = {}
    for title_id, external in session.execute(select(Title.id, Title.external_ids)):
        item = (external or {}).get(SOURCE)
        if isinstance(item, int):
            mapping[item] = title_id
    return mapping


def ensure_genres(*, session: Session, names: Iterable[str]) -> dict[str, uuid.UUID]:
    """Genre name → id, creating the genres that do not exist yet."""
    existing = {slug: gid for gid, slug in session.execute(select(Genre.id, Genre.slug))}
    wanted = {genre_slug(name): name for name in names}
    missing: list[dict[str, Any]] = [
        {"id": uuid.uuid4(), "slug": slug, "name": name}
        for slug, name in sorted(wanted.items())
        if slug not in existing
    ]
    insert_rows(session, Genre, missing)
    existing.update({row["slug"]: row["id"] for row in missing})
    return {name: existing[slug] for slug, name in wanted.items()}


def _slugs(session: Session, movies: Sequence[Movie]) -> dict[int, str]:
    used = set(session.scalars(select(Title.slug)))
    slugs = {}
    for movie in movies:
        base = slugify(movie.name) + (f"-{movie.year}" if movie.year else "")
        slug = base[:180] if base[:180] not in used else f"{base[:180]}-ml{movie.item_id}"
        used.add(slug)
        slugs[movie.item_id] = slug
    return slugs


def _title_row(movie: Movie, slug: str, now: datetime) -> dict[str, Any]:
    rating = maturity_rating(movie)
    # Spread "date added" by release year so the "newest" row has an order to show.
    added = datetime(movie.year or 1990, 1, 1, tzinfo=UTC) + timedelta(minutes=movie.item_id)
    return {
        "id": uuid.uuid4(),
        "kind": TitleKind.MOVIE,
        "slug": slug,
        "name": movie.name[:300],
        "sort_name": sort_name(movie.name),
        "synopsis": "",
        "release_year": movie.year,
        "maturity_rating": rating,
        "maturity_level": int(level(rating)),
        "state": PublishState.PUBLISHED,
        "published_at": min(added, now),
        "external_ids": {SOURCE: movie.item_id},
        "created_at": now,
        "updated_at": now,
    }


def import_movies(
    *, session: Session, movies: Sequence[Movie], today: datetime | None = None
) -> tuple[dict[int, uuid.UUID], int]:
    """Insert the movies not imported yet; returns item id → title id for all, and how many are new."""
    now = today or utcnow()
    known = imported_titles(session=session)
    fresh = [movie for movie in movies if movie.item_id not in known]
    if not fresh:
        return known, 0
    genre_ids = ensure_genres(session=session, names={g for m in fresh for g in m.genres})
    slugs = _slugs(session, fresh)
    titles = [_title_row(movie, slugs[movie.item_id], now) for movie in fresh]
    links, windows = [], []
    for movie, row in zip(fresh, titles, strict=True):
        links += [{"title_id": row["id"], "genre_id": genre_ids[g]} for g in set(movie.genres)]
        windows += [
            {"id": uuid.uuid4(), "title_id": row["id"], **vars(window)}
            for window in availability(movie, today=now)
        ]
    insert_rows(session, Title, titles)
    insert_rows(session, title_genres, links)
    insert_rows(session, Availability, windows)
    known.update({movie.item_id: row["id"] for movie, row in zip(fresh, titles, strict=True)})
    return known, len(fresh)

"""Editor rules for titles, genres, licence windows and publish transitions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from marquee.catalog.browse import title_not_found
from marquee.catalog.errors import (
    AvailabilityNotFound,
    GenreExists,
    GenreNotFound,
    SlugTaken,
    UnknownGenre,
)
from marquee.catalog.models import (
    Availability,
    Credit,
    Genre,
    PublishState,
    Season,
    Title,
)
from marquee.catalog.schemas import AvailabilityCreate, GenreCreate, TitleCreate
from marquee.catalog.state import TitleEvent, next_state
from marquee.db import utcnow
from marquee.maturity import level
from marquee.pagination import PageParams

_ARTICLES = ("the ", "a ", "an ")


def sort_name(name: str) -> str:
    """The key titles sort by: lower case, without a leading English article."""
    # Leading quotes and punctuation ("'Til There Was You") should not decide the order.
    key = name.strip().lower().lstrip("'\"¡¿.…-_ ")
    for article in _ARTICLES:
        if key.startswith(article) and len(key) > len(article):
            return key[len(article) :][:300]
    return key[:300]


def get_title(*, session: Session, title_id: uuid.UUID) -> Title:
    """Any title, whatever its state, with everything an editor manages."""
    query = (
        select(Title)
        .where(Title.id == title_id)
        .options(
            selectinload(Title.genres),
            selectinload(Title.credits).joinedload(Credit.person),
            selectinload(Title.seasons).selectinload(Season.episodes),
            selectinload(Title.availability),
        )
    )
    title = session.scalar(query)
    if title is None:
        raise title_not_found()
    return title


def list_titles(
    *, session: Session, params: PageParams, state: PublishState | None, q: str | None
) -> tuple[list[Title], int]:
    query = select(Title)
    if state is not None:
        query = query.where(Title.state == state)
    if q:
        pattern = f"%{q.lower()}%"
        query = query.where(or_(func.lower(Title.name).like(pattern), Title.slug.like(pattern)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Title.updated_at.desc(), Title.id).offset(params.offset)
    rows = session.scalars(page.limit(params.limit).options(selectinload(Title.genres)))
    return list(rows), total


def _ensure_slug_free(session: Session, slug: str, exclude: uuid.UUID | None = None) -> None:
    query = select(Title.id).where(Title.slug == slug)
    if exclude is not None:
        query = query.where(Title.id != exclude)
    if session.scalar(query) is not None:
        raise SlugTaken(f"Another title already uses the slug {slug!r}.")


def _genres(session: Session, ids: list[uuid.UUID]) -> list[Genre]:
    wanted = set(ids)
    found = list(session.scalars(select(Genre).where(Genre.id.in_(wanted)))) if wanted else []
    if len(found) != len(wanted):
        raise UnknownGenre("One or more genres do not exist.")
    return found


def create_title(*, session: Session, data: TitleCreate) -> Title:
    _ensure_slug_free(session, data.slug)
    fields = data.model_dump(exclude={"genre_ids"})
    title = Title(
        **fields,
        sort_name=sort_name(data.name),
        maturity_level=int(level(data.maturity_rating)),
        state=PublishState.DRAFT,
        genres=_genres(session, data.genre_ids),
    )
    session.add(title)
    _flush_slug(session, data.slug)
    return get_title(session=session, title_id=title.id)


def _flush_slug(session: Session, slug: str) -> None:
    """Flush; a concurrent writer that took the slug first still gets a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        raise SlugTaken(f"Another title already uses the slug {slug!r}.") from None


def update_title(*, session: Session, title_id: uuid.UUID, changes: dict[str, Any]) -> Title:
    title = get_title(session=session, title_id=title_id)
    if changes.get("slug") is not None:
        _ensure_slug_free(session, changes["slug"], exclude=title.id)
    if "genre_ids" in changes:
        title.genres = _genres(session, changes.pop("genre_ids"))
    if "name" in changes:
        title.sort_name = sort_name(changes["name"])
    if "maturity_rating" in changes:
        title.maturity_level = int(level(changes["maturity_rating"]))
    for key, value in changes.items():
        setattr(title, key, value)
    title.updated_at = utcnow()
    _flush_slug(session, title.slug)
    return title


def delete_title(*, session: Session, title_id: uuid.UUID) -> None:
    session.delete(get_title(session=session, title_id=title_id))
    session.flush()


def apply_event(*, session: Session, title_id: uuid.UUID, event: TitleEvent) -> Title:
    """Move a title through its lifecycle; ingest and editors both come through here."""
    title = get_title(session=session, title_id=title_id)
    title.state = next_state(title.state, event)
    if title.state is PublishState.PUBLISHED and title.published_at is None:
        title.published_at = utcnow()
    title.updated_at = utcnow()
    session.flush()
    return title


def list_genres(*, session: Session) -> list[Genre]:
    return list(session.scalars(select(Genre).order_by(Genre.name)))


def create_genre(*, session: Session, data: GenreCreate) -> Genre:
    clash = select(Genre.id).where(or_(Genre.slug == data.slug, Genre.name == data.name))
    if session.scalar(clash) is not None:
        raise GenreExists("A genre with this slug or name exists.")
    genre = Genre(slug=data.slug, name=data.name)
    session.add(genre)
    session.flush()
    return genre


def update_genre(*, session: Session, genre_id: uuid.UUID, changes: dict[str, Any]) -> Genre:
    genre = get_genre(session=session, genre_id=genre_id)
    clash = select(Genre.id).where(
        Genre.id != genre.id,
        or_(Genre.slug == changes.get("slug"), Genre.name == changes.get("name")),
    )
    if session.scalar(clash) is not None:
        raise GenreExists("A genre with this slug or name exists.")
    for key, value in changes.items():
        setattr(genre, key, value)
    session.flush()
    return genre


def get_genre(*, session: Session, genre_id: uuid.UUID) -> Genre:
    genre = session.get(Genre, genre_id)
    if genre is None:
        raise GenreNotFound("No such genre.")
    return genre


def delete_genre(*, session: Session, genre_id: uuid.UUID) -> None:
    session.delete(get_genre(session=session, genre_id=genre_id))
    session.flush()


def add_window(*, session: Session, title_id: uuid.UUID, data: AvailabilityCreate) -> Availability:
    title = get_title(session=session, title_id=title_id)
    window = Availability(
        title_id=title.id, country=data.country, starts_at=data.starts_at, ends_at=data.ends_at
    )
    session.add(window)
    session.flush()
    return window


def delete_window(*, session: Session, title_id: uuid.UUID, window_id: uuid.UUID) -> None:
    window = session.get(Availability, window_id)
    if window is None or window.title_id != title_id:
        raise AvailabilityNotFound("No such availability window.")
    session.delete(window)
    session.flush()

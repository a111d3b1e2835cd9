"""What the search index holds for one title, and how it is built from the catalogue tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from marquee.catalog.models import Credit, PublishState, Title
from marquee.db import utcnow
from marquee.events.models import Event
from marquee.events.schemas import EventKind

# A play is counted once, when it starts (the log's own kind, so the two never drift apart).
PLAY_KINDS = (EventKind.PLAY_START.value,)
POPULARITY_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """A licence window: shown in `country` ("*" = everywhere) from `starts_at` until `ends_at`."""

    country: str
    starts_at: datetime
    ends_at: datetime | None = None


@dataclass
class SearchDocument:
    title_id: uuid.UUID
    kind: str
    title: str
    original_title: str = ""
    people: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    synopsis: str = ""
    year: int | None = None
    language: str | None = None
    maturity_level: int = 0
    published: bool = False
    windows: list[Window] = field(default_factory=list)
    popularity: int = 0

    @property
    def decade(self) -> int | None:
        return None if self.year is None else self.year // 10 * 10


def _popularity(
    session: Session, title_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, int]:
    if not title_ids:
        return {}
    rows = session.execute(
        select(Event.title_id, func.count())
        .where(
            Event.title_id.in_(title_ids),
            Event.kind.in_(PLAY_KINDS),
            Event.occurred_at >= now - POPULARITY_WINDOW,
        )
        .group_by(Event.title_id)
    ).all()
    return {title_id: int(count) for title_id, count in rows if title_id is not None}


def _people(title: Title) -> list[str]:
    # Directors first, then the cast in billing order: the names a viewer is most likely to type.
    ordered = sorted(title.credits, key=lambda c: (c.role != "director", c.order))
    return list(dict.fromkeys(credit.person.name for credit in ordered))


def _document(title: Title, popularity: int) -> SearchDocument:
    return SearchDocument(
        title_id=title.id,
        kind=str(title.kind.value),
        title=title.name,
        original_title="",
        people=_people(title),
        genres=[genre.name for genre in title.genres],
        synopsis=title.synopsis or "",
        year=title.release_year,
        language=title.original_language,
        maturity_level=title.maturity_level,
        published=title.state == PublishState.PUBLISHED,
        windows=[Window(w.country, w.starts_at, w.ends_at) for w in title.availability],
        popularity=popularity,
    )


def documents_for_titles(
    session: Session, title_ids: Iterable[uuid.UUID], *, now: datetime | None = None
) -> dict[uuid.UUID, SearchDocument]:
    """Documents for the titles that still exist; a missing id is simply absent from the result."""
    ids = list(dict.fromkeys(title_ids))
    if not ids:
        return {}
    titles = session.scalars(
        select(Title)
        .where(Title.id.in_(ids))
        .options(
            selectinload(Title.genres),
            selectinload(Title.availability),
            selectinload(Title.credits).joinedload(Credit.person),
        )
    ).all()
    plays = _popularity(session, ids, now or utcnow())
    return {title.id: _document(title, plays.get(title.id, 0)) for title in titles}


def document_for_title(session: Session, title_id: uuid.UUID) -> SearchDocument | None:
    """The document for one title, or None when the title no longer exists."""
    return documents_for_titles(session, [title_id]).get(title_id)


def all_title_ids(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Title.id).order_by(Title.id)))


def batched(ids: Sequence[uuid.UUID], size: int) -> Iterable[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]

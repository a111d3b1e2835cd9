"""What an audience may see, held in memory for a few seconds so that home rows need few queries.

A snapshot is built per (country, maturity ceiling) with one query over the visible catalogue and
refreshed after `ttl` seconds. Rows are assembled from it in Python; the titles finally shown are
checked once more against the database (`visible_to`), so a stale snapshot can hide a title for a
few seconds but can never show one that has just become hidden.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marquee.audience import Audience
from marquee.catalog.models import Genre, Title, title_genres
from marquee.catalog.visibility import visible_to
from marquee.events import analytics
from marquee.recommend.tables import TitlePopularity


@dataclass(frozen=True)
class Card:
    id: uuid.UUID
    name: str
    release_year: int | None
    maturity_rating: str
    poster: str | None
    genres: tuple[str, ...]


@dataclass
class Snapshot:
    cards: dict[uuid.UUID, Card] = field(default_factory=dict)
    popular: list[uuid.UUID] = field(default_factory=list)
    newest: list[uuid.UUID] = field(default_factory=list)
    by_genre: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    genre_names: dict[str, str] = field(default_factory=dict)
    trending: list[uuid.UUID] = field(default_factory=list)
    top10: list[uuid.UUID] = field(default_factory=list)
    built_at: float = 0.0


def build(session: Session, audience: Audience) -> Snapshot:
    rows = session.execute(
        select(
            Title.id,
            Title.name,
            Title.release_year,
            Title.maturity_rating,
            Title.poster,
            Title.published_at,
            TitlePopularity.score,
        )
        .outerjoin(TitlePopularity, TitlePopularity.title_id == Title.id)
        .where(visible_to(audience))
    ).all()
    genres: dict[uuid.UUID, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    query = select(title_genres.c.title_id, Genre.slug, Genre.name).join(
        Genre, Genre.id == title_genres.c.genre_id
    )
    for title_id, slug, name in session.execute(query):
        genres[title_id].append(slug)
        names[slug] = name
    snap = Snapshot(genre_names=names, built_at=time.monotonic())
    for tid, name, year, rating, poster, _, _ in rows:
        snap.cards[tid] = Card(tid, name, year, rating, poster, tuple(sorted(genres.get(tid, ()))))
    snap.popular = [r[0] for r in sorted(rows, key=lambda r: (-(r[6] or 0.0), r[1]))]
    snap.newest = [
        r[0]
        for r in sorted(
            rows, key=lambda r: (-(r[2] or 0), -(r[5].timestamp() if r[5] else 0), r[1])
        )
    ]
    by_genre: dict[str, list[uuid.UUID]] = defaultdict(list)
    for tid in snap.popular:
        for slug in snap.cards[tid].genres:
            by_genre[slug].append(tid)
    snap.by_genre = dict(by_genre)
    snap.trending = [
        t.title_id for t in analytics.trending(session=session, country=None, limit=200)
    ]
    top = analytics.top_titles(session=session, days=7, country=audience.country, limit=50)
    snap.top10 = [t.title_id for t in top]
    return snap


class SnapshotCache:
    """Snapshots per audience; a stale one is served while a background thread rebuilds it.

    The cache owns those threads: `close()` (the runtime's) stops new rebuilds and joins the
    running ones, so none still holds a database connection when the engine goes.
    """

    def __init__(
        self, ttl_seconds: float = 30.0, factory: sessionmaker[Session] | None = None
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.factory = factory
        self._snapshots: dict[tuple[str, int], Snapshot] = {}
        self._refreshing: set[tuple[str, int]] = set()
        self._threads: set[threading.Thread] = set()
        self._closed = False
        self._lock = threading.Lock()

    def get(self, session: Session, audience: Audience) -> Snapshot:
        key = (audience.country, audience.max_maturity)
        with self._lock:
            snap = self._snapshots.get(key)
        if snap is None or (self.factory is None and self._stale(snap)):
            snap = build(session, audience)
            with self._lock:
                self._snapshots[key] = snap
        elif self._stale(snap):
            self._refresh_in_background(key, audience)
        return snap

    def _stale(self, snap: Snapshot) -> bool:
        return time.monotonic() - snap.built_at > self.ttl_seconds

    def _refresh_in_background(self, key: tuple[str, int], audience: Audience) -> None:
        with self._lock:
            if key in self._refreshing or self._closed:
                return
            self._refreshing.add(key)
            thread = threading.Thread(
                target=self._refresh, args=(key, audience), name="home-snapshot", daemon=True
            )
            self._threads.add(thread)
        thread.start()

    def _refresh(self, key: tuple[str, int], audience: Audience) -> None:
        assert self.factory is not None
        try:
            with self.factory() as session:
                fresh = build(
                    session, Audience(country=audience.country, max_maturity=audience.max_maturity)
                )
            with self._lock:
                self._snapshots[key] = fresh
        finally:
            with self._lock:
                self._refreshing.discard(key)
                self._threads.discard(threading.current_thread())

    def running(self) -> int:
        """Rebuilds still running in the background."""
        with self._lock:
            return sum(thread.is_alive() for thread in self._threads)

    def close(self, timeout: float = 60.0) -> None:
        """Start no more rebuilds and wait for the running ones to finish."""
        with self._lock:
            self._closed = True
            running = list(self._threads)
        for thread in running:
            thread.join(timeout)

    def clear(self) -> None:
        with self._lock:
            self._snapshots.clear()


def still_visible(session: Session, audience: Audience, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    return set(session.scalars(select(Title.id).where(visible_to(audience), Title.id.in_(ids))))

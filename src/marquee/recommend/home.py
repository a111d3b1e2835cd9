"""Home rows for a profile: personal rows from the models, re-ranked on its latest events."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marquee.audience import Audience
from marquee.catalog.models import Genre, Title, title_genres
from marquee.catalog.visibility import visible_to
from marquee.events import analytics
from marquee.events import service as events
from marquee.events.models import Event
from marquee.recommend import sources
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.schemas import Home, HomeRow, HomeTitle
from marquee.recommend.sources import CandidateSource, Scored
from marquee.recommend.tables import TitlePopularity

log = logging.getLogger("marquee.recommend")
ROW = 20
BECAUSE_ROW = 10
OVERFETCH = 120
ENGAGED = ("complete", "progress", "play_start", "rating", "thumbs_up", "my_list_add")


@dataclass
class History:
    """What the profile's latest events say about its taste and its unfinished titles."""

    recent: list[uuid.UUID] = field(default_factory=list)
    finished: set[uuid.UUID] = field(default_factory=set)
    disliked: set[uuid.UUID] = field(default_factory=set)
    unfinished: dict[uuid.UUID, float] = field(default_factory=dict)

    @classmethod
    def from_events(cls, latest: Sequence[Event]) -> History:
        history = cls()
        judged: set[uuid.UUID] = set()
        for event in latest:  # newest first
            title = event.title_id
            if title is None:
                continue
            if event.kind in ("thumbs_up", "thumbs_down") and title not in judged:
                judged.add(title)
                if event.kind == "thumbs_down":
                    history.disliked.add(title)
            if event.kind == "complete":
                history.finished.add(title)
            if (
                event.kind == "progress"
                and title not in history.finished
                and title not in history.unfinished
            ):
                history.unfinished[title] = _fraction(event)
            if event.kind in ENGAGED and title not in history.recent:
                history.recent.append(title)
        history.unfinished = {t: f for t, f in history.unfinished.items() if f < 0.95}
        return history

    @property
    def excluded(self) -> set[uuid.UUID]:
        return self.finished | self.disliked


def _fraction(event: Event) -> float:
    payload = event.payload or {}
    duration = float(payload.get("duration") or 0)
    return float(payload.get("position", 0)) / duration if duration > 0 else 0.0


@dataclass
class Builder:
    session: Session
    audience: Audience
    history: History
    seen: set[uuid.UUID] = field(default_factory=set)
    rows: list[HomeRow] = field(default_factory=list)

    def visible(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Title]:
        if not ids:
            return {}
        query = (
            select(Title)
            .where(visible_to(self.audience), Title.id.in_(list(ids)))
            .options(selectinload(Title.genres))
        )
        return {title.id: title for title in self.session.scalars(query)}

    def add(
        self, key: str, name: str, reason: str, ids: Iterable[uuid.UUID], limit: int = ROW
    ) -> bool:
        """Append a row of the first `limit` visible, unseen, not excluded titles; False if none."""
        wanted = [
            t for t in dict.fromkeys(ids) if t not in self.seen and t not in self.history.excluded
        ]
        titles = self.visible(wanted[: limit * 4])
        chosen = [titles[t] for t in wanted if t in titles][:limit]
        if not chosen:
            return False
        self.seen.update(t.id for t in chosen)
        items = [
            _item(t, self.history.unfinished.get(t.id) if key == "continue" else None)
            for t in chosen
        ]
        self.rows.append(HomeRow(key=key, title=name, reason=reason, items=items))
        return True


def _item(title: Title, progress: float | None) -> HomeTitle:
    return HomeTitle(
        id=title.id,
        name=title.name,
        release_year=title.release_year,
        maturity_rating=title.maturity_rating,
        genres=[g.name for g in title.genres],
        poster=title.poster,
        progress=round(progress, 3) if progress is not None else None,
    )


def _ids(scored: Scored) -> list[uuid.UUID]:
    return [title for title, _ in scored]


def rerank(picks: Scored, near_recent: Scored, weight: float = 0.5) -> list[uuid.UUID]:
    """Blend precomputed picks with similarity to what the profile engaged with just now."""
    top = max((s for _, s in picks), default=1.0) or 1.0
    near = max((s for _, s in near_recent), default=1.0) or 1.0
    blended: dict[uuid.UUID, float] = {t: s / top for t, s in picks}
    for title, score in near_recent:
        blended[title] = blended.get(title, 0.0) + weight * score / near
    return [t for t, _ in sorted(blended.items(), key=lambda kv: (-kv[1], str(kv[0])))]


@dataclass(frozen=True)
class ModelScores:
    picks: Scored
    near_recent: Scored
    because: list[tuple[uuid.UUID, Scored]]


def model_scores(
    session: Session, source: CandidateSource, profile_id: uuid.UUID, recent: list[uuid.UUID]
) -> ModelScores:
    """Everything serving asks the models, in one call that the circuit breaker can time."""
    return ModelScores(
        picks=source.picks(session, profile_id, OVERFETCH),
        near_recent=source.similar(session, recent[:5], OVERFETCH),
        because=[(title, source.similar(session, [title], OVERFETCH)) for title in recent[:3]],
    )


def _personal_rows(b: Builder, scores: ModelScores) -> None:
    # "Because you watched" claims its titles first so that the broad top picks, shown above it,
    # do not swallow every neighbour of the anchor title.
    anchors = b.visible([title for title, _ in scores.because])
    for title, similar in scores.because:  # the latest title whose neighbours are left to show
        anchor = anchors.get(title)
        reason = f"similar to {anchor.name}" if anchor else ""
        if anchor and b.add(
            "because", f"Because you watched {anchor.name}", reason, _ids(similar), BECAUSE_ROW
        ):
            break
    if scores.picks or scores.near_recent:
        b.add(
            "top_picks", "Top picks for you", "personal", rerank(scores.picks, scores.near_recent)
        )
    keys = [row.key for row in b.rows]
    if "because" in keys and "top_picks" in keys:
        i, j = keys.index("because"), keys.index("top_picks")
        b.rows[i], b.rows[j] = b.rows[j], b.rows[i]


def _popular(session: Session) -> list[uuid.UUID]:
    return _ids(sources.popularity(session, OVERFETCH * 2))


def _genre_rows(b: Builder, popular: list[uuid.UUID], count: int = 3) -> None:
    anchors = b.visible(b.history.recent[:20] or popular[:20])
    tally: dict[str, int] = {}
    for title in anchors.values():
        for genre in title.genres:
            tally[genre.slug] = tally.get(genre.slug, 0) + 1
    for slug in sorted(tally, key=lambda s: (-tally[s], s))[:count]:
        query = (
            select(Title.id, Genre.name)
            .join(title_genres, title_genres.c.title_id == Title.id)
            .join(Genre, Genre.id == title_genres.c.genre_id)
            .outerjoin(TitlePopularity, TitlePopularity.title_id == Title.id)
            .where(Genre.slug == slug, visible_to(b.audience))
            .order_by(TitlePopularity.score.desc().nulls_last(), Title.sort_name)
            .limit(OVERFETCH)
        )
        found = b.session.execute(query).all()
        if found:
            b.add(
                f"genre:{slug}", found[0][1], f"you watch {found[0][1]}", [row[0] for row in found]
            )


def _new_releases(b: Builder) -> list[uuid.UUID]:
    query = (
        select(Title.id)
        .where(visible_to(b.audience))
        .order_by(
            Title.release_year.desc().nulls_last(), Title.published_at.desc().nulls_last(), Title.id
        )
        .limit(OVERFETCH)
    )
    return list(b.session.scalars(query))


def build_home(
    *,
    session: Session,
    profile_id: uuid.UUID,
    audience: Audience,
    source: CandidateSource,
    breaker: CircuitBreaker,
) -> Home:
    history = History.from_events(events.recent_for_profile(session=session, profile_id=profile_id))
    b = Builder(session=session, audience=audience, history=history)
    b.add("continue", "Continue watching", "unfinished", list(history.unfinished))
    popular = _popular(session)
    degraded = False
    try:
        scores = breaker.call(lambda: model_scores(session, source, profile_id, history.recent))
    except Exception as exc:  # an open circuit or a failing model: degrade, never error
        log.warning("home rows degraded to popularity: %s", exc)
        session.rollback()
        degraded = True
    else:
        _personal_rows(b, scores)
    if not any(row.key == "top_picks" for row in b.rows):
        b.add("top_picks", "Top picks for you", "popular", popular)
    trending = _ids(
        [
            (t.title_id, t.score)
            for t in analytics.trending(session=session, country=None, limit=OVERFETCH)
        ]
    )
    b.add("trending", "Trending now", "trending" if trending else "popular", trending or popular)
    top10 = [
        t.title_id
        for t in analytics.top_titles(session=session, days=7, country=audience.country, limit=50)
    ]
    b.add(
        "top10",
        f"Top 10 in {audience.country}",
        "most watched this week" if top10 else "popular",
        top10 or popular,
        limit=10,
    )
    b.add("new", "New releases", "newest", _new_releases(b))
    _genre_rows(b, popular)
    return Home(profile_id=profile_id, country=audience.country, degraded=degraded, rows=b.rows)

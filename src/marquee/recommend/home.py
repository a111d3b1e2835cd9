"""Home rows for a profile: personal rows from the models, re-ranked on its latest events."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from marquee.audience import Audience
from marquee.events import service as events
from marquee.events.schemas import EventKind
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.schemas import Home, HomeRow, HomeTitle
from marquee.recommend.snapshot import Card, Snapshot, SnapshotCache, still_visible
from marquee.recommend.sources import CandidateSource, Scored

log = logging.getLogger("marquee.recommend")
ROW = 20
BECAUSE_ROW = 10
OVERFETCH = 120
ENGAGED = frozenset(
    {
        EventKind.COMPLETE,
        EventKind.PROGRESS,
        EventKind.PLAY_START,
        EventKind.RATING,
        EventKind.THUMBS_UP,
        EventKind.MY_LIST_ADD,
    }
)


@dataclass
class History:
    """What the profile's latest events say about its taste and its unfinished titles."""

    recent: list[uuid.UUID] = field(default_factory=list)
    finished: set[uuid.UUID] = field(default_factory=set)
    disliked: set[uuid.UUID] = field(default_factory=set)
    unfinished: dict[uuid.UUID, float] = field(default_factory=dict)

    @classmethod
    def from_events(cls, latest: Sequence[events.RecentEvent]) -> History:
        history = cls()
        judged: set[uuid.UUID] = set()
        engaged: set[uuid.UUID] = set()
        for event in latest:  # newest first
            title = event.title_id
            if title is None:
                continue
            if event.kind in (EventKind.THUMBS_UP, EventKind.THUMBS_DOWN) and title not in judged:
                judged.add(title)
                if event.kind == EventKind.THUMBS_DOWN:
                    history.disliked.add(title)
            if event.kind == EventKind.COMPLETE:
                history.finished.add(title)
            unfinished = history.unfinished
            if (
                event.kind == EventKind.PROGRESS
                and title not in history.finished
                and title not in unfinished
            ):
                unfinished[title] = _fraction(event)
            if event.kind in ENGAGED and title not in engaged:
                engaged.add(title)
                history.recent.append(title)
        history.unfinished = {t: f for t, f in history.unfinished.items() if f < 0.95}
        return history

    @property
    def excluded(self) -> set[uuid.UUID]:
        return self.finished | self.disliked


def _fraction(event: events.RecentEvent) -> float:
    duration = event.duration or 0.0
    return (event.position or 0.0) / duration if duration > 0 else 0.0


@dataclass
class Builder:
    snap: Snapshot
    history: History
    seen: set[uuid.UUID] = field(default_factory=set)
    rows: list[HomeRow] = field(default_factory=list)

    def add(
        self, key: str, name: str, reason: str, ids: Iterable[uuid.UUID], limit: int = ROW
    ) -> bool:
        """Append a row of the first `limit` visible, unseen, not excluded titles; False if none."""
        cards = self.snap.cards
        chosen: list[Card] = []
        for title in ids:
            if title in cards and title not in self.seen and title not in self.history.excluded:
                chosen.append(cards[title])
                self.seen.add(title)
                if len(chosen) == limit:
                    break
        if not chosen:
            return False
        progress = self.history.unfinished if key == "continue" else {}
        items = [_item(card, progress.get(card.id)) for card in chosen]
        self.rows.append(HomeRow(key=key, title=name, reason=reason, items=items))
        return True

    def keep_only(self, allowed: set[uuid.UUID]) -> None:
        for row in self.rows:
            row.items = [item for item in row.items if item.id in allowed]
        self.rows = [row for row in self.rows if row.items]


def _item(card: Card, progress: float | None) -> HomeTitle:
    return HomeTitle(
        id=card.id,
        name=card.name,
        release_year=card.release_year,
        maturity_rating=card.maturity_rating,
        genres=list(card.genres),
        poster=card.poster,
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
    for title, similar in scores.because:  # the latest title whose neighbours are left to show
        anchor = b.snap.cards.get(title)
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


def _genre_rows(b: Builder, count: int = 3) -> None:
    personal = bool(b.history.recent)
    anchors = [
        b.snap.cards[t] for t in (b.history.recent[:20] or b.snap.popular[:20]) if t in b.snap.cards
    ]
    tally: dict[str, int] = {}
    for card in anchors:
        for slug in card.genres:
            tally[slug] = tally.get(slug, 0) + 1
    for slug in sorted(tally, key=lambda s: (-tally[s], s))[:count]:
        name = b.snap.genre_names.get(slug, slug)
        reason = f"you watch {name}" if personal else f"popular in {name}"
        b.add(f"genre:{slug}", name, reason, b.snap.by_genre.get(slug, []))


def build_home(
    *,
    session: Session,
    profile_id: uuid.UUID,
    audience: Audience,
    source: CandidateSource,
    breaker: CircuitBreaker,
    snapshots: SnapshotCache,
) -> Home:
    history = History.from_events(events.recent_rows(session=session, profile_id=profile_id))
    snap = snapshots.get(session, audience)
    b = Builder(snap=snap, history=history)
    b.add("continue", "Continue watching", "unfinished", list(history.unfinished))
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
        b.add("top_picks", "Top picks for you", "popular", snap.popular)
    b.add(
        "trending",
        "Trending now",
        "trending" if snap.trending else "popular",
        snap.trending or snap.popular,
    )
    top10 = "most watched this week" if snap.top10 else "popular"
    b.add("top10", f"Top 10 in {audience.country}", top10, snap.top10 or snap.popular, limit=10)
    b.add("new", "New releases", "newest", snap.newest)
    _genre_rows(b)
    # The snapshot may be seconds old: whatever is shown is checked against the catalogue now.
    b.keep_only(still_visible(session, audience, {i.id for row in b.rows for i in row.items}))
    return Home(profile_id=profile_id, country=audience.country, degraded=degraded, rows=b.rows)


def recheck(home: Home, *, session: Session, audience: Audience) -> Home:
    """A cached page minus anything that stopped being visible since (unpublished, window ended)."""
    shown = {item.id for row in home.rows for item in row.items}
    allowed = still_visible(session, audience, shown)
    if allowed == shown:
        return home
    rows = [
        row.model_copy(update={"items": [i for i in row.items if i.id in allowed]})
        for row in home.rows
    ]
    return home.model_copy(update={"rows": [row for row in rows if row.items]})

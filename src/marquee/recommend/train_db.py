"""Training from the event log: candidates per profile, title neighbours and popularity."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from marquee.events.models import Event
from marquee.events.schemas import EventKind
from marquee.recommend.algorithms import EASE, ItemKNN
from marquee.recommend.data import Interactions, RawLog, encode
from marquee.recommend.evaluate import top_k
from marquee.recommend.tables import ModelRun, RecCandidate, SimilarTitle, TitlePopularity

MODEL_NAME = "EASE+ItemKNN"
CANDIDATES = 100
NEIGHBOURS = 20
BATCH = 1000
# EASE inverts a dense items x items matrix: past a few thousand items it is fitted on the
# most-engaged ones only (the long tail still gets neighbours from the sparse item-kNN).
MAX_EASE_ITEMS = 4000
# How strongly each kind of event says "this profile likes this title" (ratings carry their own).
CONFIDENCE: dict[str, float] = {
    EventKind.COMPLETE: 5.0,
    EventKind.THUMBS_UP: 5.0,
    EventKind.MY_LIST_ADD: 3.0,
    EventKind.PLAY_START: 2.0,
    EventKind.PROGRESS: 2.0,
}


# A retraining on a history this much smaller than the last run's keeps the last model: a
# history that shrinks that fast has lost data (a retention or an import gone wrong), and a
# model fitted on the remains would empty the home rows. Honest decline (old events ageing
# out a day at a time) stays well above it between two runs.
MIN_HISTORY_FRACTION = 0.1


@dataclass(frozen=True)
class TrainSummary:
    profiles: int
    titles: int
    interactions: int
    seconds: float


def _confidence(kind: str, payload: dict[str, Any]) -> float | None:
    if kind == EventKind.RATING:
        return float(payload.get("rating", 3.0))
    return CONFIDENCE.get(kind)


def load_log(session: Session) -> tuple[Interactions, set[tuple[str, str]]] | None:
    """Positive interactions from the events, and the (profile, title) pairs thumbed down."""
    users: list[str] = []
    items: list[str] = []
    ratings: list[float] = []
    stamps: list[float] = []
    disliked: set[tuple[str, str]] = set()
    query = select(
        Event.profile_id, Event.title_id, Event.kind, Event.payload, Event.occurred_at
    ).where(Event.title_id.is_not(None))
    for profile_id, title_id, kind, payload, occurred_at in session.execute(query):
        if kind == EventKind.THUMBS_DOWN:
            disliked.add((str(profile_id), str(title_id)))
            continue
        value = _confidence(kind, payload or {})
        if value is None:
            continue
        users.append(str(profile_id))
        items.append(str(title_id))
        ratings.append(value)
        stamps.append(occurred_at.timestamp())
    if not users:
        return None
    (log,) = encode(RawLog(users, items, np.asarray(ratings), np.asarray(stamps)))
    keep = np.array([(u, i) not in disliked for u, i in zip(users, items, strict=True)], dtype=bool)
    return log.subset(keep), disliked


def _candidate_rows(log: Interactions, ease: EASE) -> list[dict[str, Any]]:
    seen = log.matrix()
    rows: list[dict[str, Any]] = []
    k = min(CANDIDATES, log.n_items)
    for start in range(0, log.n_users, BATCH):
        users = np.arange(start, min(start + BATCH, log.n_users))
        scores = ease.scores(users)
        picks = top_k(scores, seen[users], k)
        for offset, user in enumerate(users):
            profile = uuid.UUID(log.user_ids[user])
            for item in picks[offset]:
                score = float(scores[offset, item])
                if np.isfinite(score) and score > 0:
                    rows.append(
                        {
                            "profile_id": profile,
                            "title_id": uuid.UUID(log.item_ids[item]),
                            "score": score,
                        }
                    )
    return rows


def _neighbour_rows(log: Interactions, knn: ItemKNN) -> list[dict[str, Any]]:
    # knn.similarity is stored transposed (column j holds item j's neighbours).
    by_source = knn.similarity.T.tocsr()
    rows: list[dict[str, Any]] = []
    for item in range(log.n_items):
        start, end = by_source.indptr[item], by_source.indptr[item + 1]
        cols, vals = by_source.indices[start:end], by_source.data[start:end]
        for j in np.argsort(-vals)[:NEIGHBOURS]:
            rows.append(
                {
                    "title_id": uuid.UUID(log.item_ids[item]),
                    "similar_id": uuid.UUID(log.item_ids[cols[j]]),
                    "score": float(vals[j]),
                }
            )
    return rows


def _head(log: Interactions, limit: int) -> Interactions:
    """The log restricted to its `limit` most-engaged items, re-coded."""
    counts = np.bincount(log.item, minlength=log.n_items)
    if log.n_items <= limit:
        return log
    keep = np.zeros(log.n_items, dtype=bool)
    keep[np.argsort(-counts, kind="stable")[:limit]] = True
    mask = keep[log.item]
    raw = RawLog(
        [log.user_ids[u] for u in log.user[mask]],
        [log.item_ids[i] for i in log.item[mask]],
        log.rating[mask],
        log.timestamp[mask],
    )
    (head,) = encode(raw)
    return head


def _replace(session: Session, table: type[Any], rows: list[dict[str, Any]]) -> None:
    session.execute(delete(table))
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])


def too_small(session: Session, interactions: int) -> bool:
    """Whether a history of `interactions` is too small to replace the last fitted model."""
    last = session.scalar(select(ModelRun.interactions).order_by(ModelRun.id.desc()).limit(1))
    return last is not None and interactions < last * MIN_HISTORY_FRACTION


def train(*, session: Session, lam: float = 250.0) -> TrainSummary | None:
    """Fit on every event and replace the serving tables in this transaction.

    Returns None, leaving the last model in place, when there is no history or too little of
    it (`too_small`).
    """
    started = time.perf_counter()
    loaded = load_log(session)
    if loaded is None:
        return None
    log, _ = loaded
    if too_small(session, len(log)):
        return None
    head = _head(log, MAX_EASE_ITEMS)
    ease, knn = EASE(lam=lam), ItemKNN(k=50)
    ease.fit(head)
    knn.fit(log)
    popularity = np.asarray(log.matrix().sum(axis=0)).ravel()
    _replace(session, RecCandidate, _candidate_rows(head, ease))
    _replace(session, SimilarTitle, _neighbour_rows(log, knn))
    _replace(
        session,
        TitlePopularity,
        [
            {"title_id": uuid.UUID(t), "score": float(p)}
            for t, p in zip(log.item_ids, popularity, strict=True)
        ],
    )
    seconds = time.perf_counter() - started
    summary = TrainSummary(log.n_users, log.n_items, len(log), round(seconds, 2))
    session.add(
        ModelRun(
            model=MODEL_NAME,
            profiles=summary.profiles,
            titles=summary.titles,
            interactions=summary.interactions,
            seconds=summary.seconds,
        )
    )
    session.flush()
    return summary

"""Where serving finds model output: the tables training wrote (a protocol, so it can be swapped)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.recommend.tables import RecCandidate, SimilarTitle, TitlePopularity

Scored = list[tuple[uuid.UUID, float]]


class CandidateSource(Protocol):
    def picks(self, session: Session, profile_id: uuid.UUID, limit: int) -> Scored: ...

    def similar(self, session: Session, title_ids: Sequence[uuid.UUID], limit: int) -> Scored: ...


class TableSource:
    """Precomputed candidates and neighbours from the last training run."""

    def picks(self, session: Session, profile_id: uuid.UUID, limit: int) -> Scored:
        query = (
            select(RecCandidate.title_id, RecCandidate.score)
            .where(RecCandidate.profile_id == profile_id)
            .order_by(RecCandidate.score.desc())
            .limit(limit)
        )
        return [(t, float(s)) for t, s in session.execute(query)]

    def similar(self, session: Session, title_ids: Sequence[uuid.UUID], limit: int) -> Scored:
        if not title_ids:
            return []
        query = select(SimilarTitle.similar_id, SimilarTitle.score).where(
            SimilarTitle.title_id.in_(title_ids)
        )
        totals: dict[uuid.UUID, float] = {}
        for similar_id, score in session.execute(query):
            totals[similar_id] = totals.get(similar_id, 0.0) + float(score)
        return sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]


def popularity(session: Session, limit: int) -> Scored:
    query = select(TitlePopularity.title_id, TitlePopularity.score).order_by(
        TitlePopularity.score.desc(), TitlePopularity.title_id
    )
    return [(t, float(s)) for t, s in session.execute(query.limit(limit))]

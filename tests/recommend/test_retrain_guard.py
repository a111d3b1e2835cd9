"""Retraining never swaps the serving model for one fitted on an empty or gutted history."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.events import service
from marquee.events.models import Event
from marquee.events.schemas import Complete, Rating
from marquee.jobs.registry import JobContext, JobKind
from marquee.recommend import tasks, train_db
from marquee.recommend.tables import ModelRun, RecCandidate, SimilarTitle
from marquee.runtime import Runtime


def _history(factory: sessionmaker[Session], people: int, titles: list[uuid.UUID]) -> None:
    ratings: list[Rating] = []
    for _ in range(people):
        profile = uuid.uuid4()
        ratings += [Rating(profile_id=profile, title_id=title, rating=4.0) for title in titles]
    with transaction(factory) as session:
        service.append(session=session, events=ratings, country="US")


def _serving(session: Session) -> tuple[int, int, int]:
    return (
        int(session.scalar(select(func.count()).select_from(ModelRun)) or 0),
        int(session.scalar(select(func.count()).select_from(RecCandidate)) or 0),
        int(session.scalar(select(func.count()).select_from(SimilarTitle)) or 0),
    )


def _retrain(settings: Settings, factory: sessionmaker[Session]) -> dict[str, object]:
    # The handler on a worker's runtime of its own, as `marquee worker` runs it.
    with Runtime.running(settings) as runtime:
        ctx = JobContext(
            job_id=uuid.uuid4(),
            kind=JobKind.RECS_TRAIN,
            key="test",
            payload={},
            attempt=1,
            runtime=runtime,
        )
        return dict(tasks.retrain(ctx) or {})


def test_a_gutted_history_keeps_the_last_model(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    titles = [uuid.uuid4() for _ in range(4)]
    _history(session_factory, people=30, titles=titles)
    first = _retrain(settings, session_factory)
    assert first["interactions"] == 120
    with transaction(session_factory) as session:
        before = _serving(session)
        assert before[0] == 1
        assert before[1] > 0
        # What the 400-day prune did to the demo: the history gone, a handful of new events.
        session.execute(delete(Event))
        profile = uuid.uuid4()
        service.append(
            session=session,
            events=[Complete(profile_id=profile, title_id=t) for t in titles[:2]],
            country="US",
        )
    assert _retrain(settings, session_factory) == {"skipped": "history empty or too small"}
    with transaction(session_factory) as session:
        assert _serving(session) == before
        session.execute(delete(Event))
    assert _retrain(settings, session_factory) == {"skipped": "history empty or too small"}
    with transaction(session_factory) as session:
        assert _serving(session) == before


def test_a_history_that_grew_or_aged_a_little_is_retrained(
    session_factory: sessionmaker[Session],
) -> None:
    titles = [uuid.uuid4() for _ in range(3)]
    _history(session_factory, people=10, titles=titles)
    with transaction(session_factory) as session:
        assert train_db.train(session=session) is not None
        oldest = session.scalars(select(Event.id).order_by(Event.id).limit(6)).all()
        session.execute(delete(Event).where(Event.id.in_(oldest)))  # a fifth ages out
    with transaction(session_factory) as session:
        summary = train_db.train(session=session)
        assert summary is not None
        assert summary.interactions == 24
        assert session.scalar(select(func.count()).select_from(ModelRun)) == 2

"""Periodic jobs: queued once per period however many workers are idle, and their handlers run."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.events.aggregates import TitleDailyStat
from marquee.events.models import Event
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobKind, load_registry, module_names
from marquee.jobs.schedule import enqueue_due, period_key
from marquee.jobs.worker import Worker
from marquee.recommend.tables import ModelRun
from marquee.runtime import Runtime


def test_period_keys_change_once_per_period() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert period_key("k", 60, start) == period_key("k", 60, start + timedelta(seconds=59))
    assert period_key("k", 60, start) != period_key("k", 60, start + timedelta(seconds=60))


def test_due_jobs_are_queued_once(session_factory: sessionmaker[Session]) -> None:
    now = utcnow()
    for _ in range(3):  # three idle workers in the same minute
        with transaction(session_factory) as session:
            enqueue_due(session=session, periodic=[("a", 60), ("b", 3600)], now=now)
    with transaction(session_factory) as session:
        assert sorted(session.scalars(select(Job.kind))) == ["a", "b"]


def test_the_default_registry_schedules_retraining_and_aggregation(settings: Settings) -> None:
    registry = load_registry(module_names(settings))
    kinds = {kind for kind, _ in registry.periodic}
    assert {JobKind.RECS_TRAIN, JobKind.EVENTS_AGGREGATE, JobKind.EVENTS_PRUNE} <= kinds
    assert all(registry.get(kind) is not None for kind in kinds)


def test_an_idle_worker_queues_and_runs_them(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    title, profile, now = uuid.uuid4(), uuid.uuid4(), utcnow()
    with transaction(session_factory) as session:
        session.execute(
            insert(Event),
            [
                {
                    "profile_id": profile,
                    "title_id": title,
                    "kind": kind,
                    "occurred_at": now,
                    "recorded_at": now - timedelta(minutes=1),
                    "payload": {"watched_seconds": 60},
                }
                for kind in ("play_start", "complete")
            ],
        )
    fast = settings.model_copy(update={"job_poll_seconds": 0.01})
    worker = Worker(runtime=make_runtime(fast))
    assert worker.run_once() is False
    worker._schedule()
    ran = worker.run(once=True)
    assert ran == 5  # aggregate, prune events, retrain, expire idle sessions, prune jobs
    with transaction(session_factory) as session:
        assert set(session.scalars(select(Job.state))) == {JobState.SUCCEEDED}
        stat = session.scalar(select(TitleDailyStat).where(TitleDailyStat.title_id == title))
        assert stat is not None
        assert (stat.plays, stat.completes) == (1, 1)
        assert session.scalar(select(ModelRun.interactions)) == 2  # both events are positives

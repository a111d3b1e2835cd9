"""Finished jobs are pruned past their retention, by the periodic `jobs_prune` job, time-travelled."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.jobs import service
from marquee.jobs import tasks as job_tasks
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobContext, JobKind
from marquee.runtime import Runtime


def _finish(factory: sessionmaker[Session], kind: str, outcome: JobState) -> uuid.UUID:
    """A job taken by a worker and ended as `outcome` (running: left mid-way)."""
    with transaction(factory) as session:
        job = service.enqueue(session=session, kind=kind, payload={}, key=f"{kind}:{uuid.uuid4()}")
        if outcome is JobState.QUEUED:
            return job.id
        claimed = service.claim(session=session, worker_id="w", kinds=[kind], lease_seconds=60)
        assert claimed is not None
        assert claimed.id == job.id
        if outcome is JobState.SUCCEEDED:
            service.complete(session=session, job_id=job.id, worker_id="w")
        elif outcome in (JobState.FAILED, JobState.DEAD):
            service.fail(
                session=session,
                job_id=job.id,
                worker_id="w",
                error="boom",
                permanent=outcome is JobState.DEAD,
            )
        return job.id


def _prune(settings: Settings, now: datetime) -> dict[str, object]:
    """The handler as an idle worker runs it, on a runtime whose clock says `now`."""
    runtime = Runtime.from_settings(settings, clock=lambda: now)
    try:
        ctx = JobContext(
            job_id=uuid.uuid4(),
            kind=JobKind.JOBS_PRUNE,
            key="prune",
            payload={},
            attempt=1,
            runtime=runtime,
        )
        return job_tasks.prune_jobs(ctx)
    finally:
        runtime.close()


def _left(factory: sessionmaker[Session]) -> set[uuid.UUID]:
    with transaction(factory) as session:
        return set(session.scalars(select(Job.id)))


def test_finished_jobs_go_after_their_retention_and_unfinished_ones_stay(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    assert settings.job_retention_days == 7
    done = [
        _finish(session_factory, JobKind.SEARCH_REINDEX, JobState.SUCCEEDED),
        _finish(session_factory, JobKind.INGEST, JobState.DEAD),
    ]
    pending = [
        _finish(session_factory, "test.queued", JobState.QUEUED),
        _finish(session_factory, "test.waiting", JobState.FAILED),
        _finish(session_factory, "test.running", JobState.RUNNING),
    ]
    now = utcnow()

    assert _prune(settings, now + timedelta(days=6))["removed"] == 0
    assert _left(session_factory) == {*done, *pending}

    assert _prune(settings, now + timedelta(days=7, hours=1))["removed"] == 2
    assert _left(session_factory) == set(pending)


def test_a_backlog_goes_in_batches(
    settings: Settings, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_tasks, "PRUNE_BATCH", 2)
    for _ in range(5):
        _finish(session_factory, JobKind.SEARCH_REINDEX, JobState.SUCCEEDED)
    assert _prune(settings, utcnow() + timedelta(days=8))["removed"] == 5
    assert _left(session_factory) == set()


def test_no_job_goes_before_its_period_key_could_be_queued_again(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    """With a retention shorter than a day, today's daily job must stay: its key names the day,
    and deleting it would let idle workers queue (and run) it a second time."""
    short = settings.model_copy(update={"job_retention_days": 0.01})  # about 15 minutes
    daily = _finish(session_factory, JobKind.EVENTS_PRUNE, JobState.SUCCEEDED)
    now = utcnow()
    assert _prune(short, now + timedelta(hours=2))["removed"] == 0
    assert _left(session_factory) == {daily}
    assert _prune(short, now + timedelta(hours=25))["removed"] == 1


def test_every_worker_schedules_the_prune(settings: Settings) -> None:
    with Runtime.running(settings) as runtime:
        assert (JobKind.JOBS_PRUNE, job_tasks.PRUNE_EVERY_SECONDS) in runtime.registry.periodic
        assert runtime.registry.get(JobKind.JOBS_PRUNE) is not None

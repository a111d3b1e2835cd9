"""What the worker writes about a job survives a database that blinks: progress, outcomes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import make_sessionmaker, transaction
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import Handler, JobContext, JobSpec, Registry
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from tests.services import free_port


class Blinking:
    """A session factory whose next `failures` sessions talk to a database that is not
    there (a real refused connection), as during a PostgreSQL restart."""

    def __init__(self, real: sessionmaker[Session], away: sessionmaker[Session]) -> None:
        self.real, self.away = real, away
        self.failures = 0
        self.refused = 0

    def __call__(self) -> Session:
        if self.failures > 0:
            self.failures -= 1
            self.refused += 1
            return self.away()
        return self.real()


@pytest.fixture
def away() -> Iterator[Engine]:
    # Nothing listens on this port: every connection is refused by the kernel.
    engine = create_engine(
        f"postgresql+psycopg://marquee@127.0.0.1:{free_port()}/marquee",
        connect_args={"connect_timeout": 2},
    )
    yield engine
    engine.dispose()


@pytest.fixture
def blinking(session_factory: sessionmaker[Session], away: Engine) -> Blinking:
    return Blinking(session_factory, make_sessionmaker(away))


@pytest.fixture
def runtime(settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Runtime:
    # A long lease: no heartbeat runs during these short jobs to take a refused session.
    slow_beats = settings.model_copy(update={"job_lease_seconds": 60, "job_poll_seconds": 0.05})
    return make_runtime(slow_beats)


def _worker(runtime: Runtime, blinking: Blinking, kind: str, handler: Handler) -> Worker:
    worker = Worker(
        runtime=runtime,
        registry=Registry([JobSpec(kind=kind, handler=handler, attempts=3)]),
        worker_id="blinking-worker",
    )
    # What the worker itself writes about its jobs goes through the blinking database.
    worker.session_factory = blinking  # type: ignore[assignment]
    worker.outcomes.session_factory = blinking  # type: ignore[assignment]
    worker.outcomes.delays = (0.05,) * 5
    return worker


def _run(worker: Worker, factory: sessionmaker[Session], kind: str) -> Job:
    with transaction(factory) as session:
        job = service.enqueue(session=session, kind=kind, payload={}, key=f"{kind}-1")
    assert worker.run(once=True) == 1
    with transaction(factory) as session:
        return service.get_job(session=session, job_id=job.id)


def test_a_progress_report_the_database_refuses_is_skipped_not_the_jobs_end(
    runtime: Runtime,
    blinking: Blinking,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(ctx: JobContext) -> dict[str, Any]:
        ctx.progress("encode", 10)
        blinking.failures = 1
        ctx.progress("artwork", 80)  # the database is away for this one
        ctx.progress("upload", 90)
        return {"done": True}

    worker = _worker(runtime, blinking, "test.reports", handler)
    with caplog.at_level(logging.WARNING, logger="marquee.jobs"):
        job = _run(worker, session_factory, "test.reports")
    assert blinking.refused == 1
    assert (job.state, job.attempts, job.result) == (JobState.SUCCEEDED, 1, {"done": True})
    assert "progress report skipped" in caplog.messages


def test_a_failure_is_recorded_through_a_blip_not_left_to_the_lease(
    runtime: Runtime, blinking: Blinking, session_factory: sessionmaker[Session]
) -> None:
    def handler(ctx: JobContext) -> None:
        blinking.failures = 3
        raise RuntimeError("the object store timed out")

    job = _run(_worker(runtime, blinking, "test.fails", handler), session_factory, "test.fails")
    assert blinking.refused == 3
    assert (job.state, job.attempts, job.lease_owner) == (JobState.FAILED, 1, None)
    assert job.last_error is not None
    assert "the object store timed out" in job.last_error


def test_a_success_is_recorded_through_a_blip(
    runtime: Runtime, blinking: Blinking, session_factory: sessionmaker[Session]
) -> None:
    def handler(ctx: JobContext) -> dict[str, Any]:
        blinking.failures = 2
        return {"version": "v1"}

    job = _run(
        _worker(runtime, blinking, "test.succeeds", handler), session_factory, "test.succeeds"
    )
    assert blinking.refused == 2
    assert (job.state, job.result) == (JobState.SUCCEEDED, {"version": "v1"})


def test_an_outage_longer_than_the_retries_leaves_the_job_to_its_lease(
    runtime: Runtime, blinking: Blinking, session_factory: sessionmaker[Session]
) -> None:
    def handler(ctx: JobContext) -> None:
        blinking.failures = 100
        raise RuntimeError("boom")

    worker = _worker(runtime, blinking, "test.long_outage", handler)
    with transaction(session_factory) as session:
        job = service.enqueue(session=session, kind="test.long_outage", payload={}, key="lo-1")
    with pytest.raises(Exception, match="connection"):
        worker.run(once=True)
    assert blinking.refused == len(worker.outcomes.delays) + 1
    blinking.failures = 0
    with transaction(session_factory) as session:
        stuck = service.get_job(session=session, job_id=job.id)
    # Still leased: another worker takes it over when the lease lapses.
    assert (stuck.state, stuck.lease_owner) == (JobState.RUNNING, "blinking-worker")

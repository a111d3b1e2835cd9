"""The worker loop in-process: outcomes, retries, dead jobs, timeouts, hand-backs and the registry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobSpec, Registry, load_registry, module_names
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from tests.jobs import handlers


@pytest.fixture
def worker(settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Worker:
    fast = settings.model_copy(update={"job_lease_seconds": 0.6, "job_poll_seconds": 0.05})
    return Worker(
        runtime=make_runtime(fast), registry=Registry(handlers.JOBS), worker_id="test-worker"
    )


def _enqueue(factory: sessionmaker[Session], kind: str, payload: dict[str, object]) -> Job:
    with transaction(factory) as session:
        return service.enqueue(session=session, kind=kind, payload=payload, key=f"{kind}-1")


def _job(factory: sessionmaker[Session], job: Job) -> Job:
    with transaction(factory) as session:
        return service.get_job(session=session, job_id=job.id)


def test_a_job_runs_to_success_with_progress(worker: Worker, tmp_path: Path) -> None:
    payload = {"seconds": 0.2, "out": str(tmp_path / "out"), "log": str(tmp_path / "log"), "kib": 4}
    job = _enqueue(worker.session_factory, "test.slow_write", payload)
    assert worker.run(once=True) == 1
    done = _job(worker.session_factory, job)
    assert done.state == JobState.SUCCEEDED
    assert (done.stage, done.percent, done.attempts) == ("step 10/10", 100.0, 1)
    assert done.result is not None
    assert "pid" in done.result
    assert (tmp_path / "out" / "result" / "output.bin").stat().st_size == 4096


def test_transient_failures_are_retried_until_success(worker: Worker) -> None:
    job = _enqueue(worker.session_factory, "test.flaky", {"succeed_on": 3})
    assert worker.run(once=True) == 3
    done = _job(worker.session_factory, job)
    assert done.state == JobState.SUCCEEDED
    assert done.attempts == 3
    assert done.result == {"attempt": 3}
    assert done.last_error is not None
    assert "transient failure on attempt 2" in done.last_error


def test_out_of_attempts_the_job_is_dead_and_the_failure_handler_runs(worker: Worker) -> None:
    job = _enqueue(worker.session_factory, "test.flaky", {"succeed_on": 99})
    assert worker.run(once=True) == 3
    dead = _job(worker.session_factory, job)
    assert dead.state == JobState.DEAD
    assert dead.attempts == 3
    assert dead.last_error is not None
    assert dead.last_error.startswith("RuntimeError: transient failure on attempt 3")
    assert dead.stage == f"failed: {dead.last_error}"


def test_bad_input_goes_dead_at_once_and_the_worker_carries_on(worker: Worker) -> None:
    bad = _enqueue(worker.session_factory, "test.bad_input", {})
    good = _enqueue(worker.session_factory, "test.flaky", {"succeed_on": 1})
    assert worker.run(once=True) == 2
    dead = _job(worker.session_factory, bad)
    assert (dead.state, dead.attempts) == (JobState.DEAD, 1)
    assert dead.last_error == "the file is not a video: no video stream found"
    assert _job(worker.session_factory, good).state == JobState.SUCCEEDED


def test_a_handler_over_its_timeout_is_recorded_as_timed_out(worker: Worker) -> None:
    job = _enqueue(worker.session_factory, "test.stubborn", {"seconds": 0.8})
    assert worker.run(once=True) == 1
    dead = _job(worker.session_factory, job)
    assert dead.state == JobState.DEAD
    assert dead.last_error == "timed out after 0.3 s"


def test_stopping_hands_a_cooperative_job_back(worker: Worker, tmp_path: Path) -> None:
    job = _enqueue(worker.session_factory, "test.polite", {"log": str(tmp_path / "log")})
    runner = threading.Thread(target=worker.run)
    runner.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "log").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.request_stop()
    runner.join(timeout=10)
    assert not runner.is_alive()
    back = _job(worker.session_factory, job)
    assert (back.state, back.attempts, back.lease_owner) == (JobState.QUEUED, 0, None)


def test_a_job_abandoned_too_often_is_buried(worker: Worker) -> None:
    with transaction(worker.session_factory) as session:
        job = service.enqueue(
            session=session, kind="test.flaky", payload={"succeed_on": 1}, key="k", max_attempts=1
        )
        job.attempts = 1
        job.state = JobState.RUNNING
        job.lease_owner = "crashed-worker"
        job.lease_expires_at = job.run_after
    assert worker.run(once=True) == 1
    dead = _job(worker.session_factory, job)
    assert dead.state == JobState.DEAD
    assert dead.last_error is not None
    assert dead.last_error.startswith("gave up after")


def test_registry_loads_job_modules_from_settings(settings: Settings) -> None:
    configured = settings.model_copy(update={"job_modules": " tests.jobs.handlers , "})
    assert module_names(configured)[-1] == "tests.jobs.handlers"
    registry = load_registry(module_names(configured))
    assert "test.slow_write" in registry.kinds
    spec = registry.get("test.flaky")
    assert spec is not None
    assert spec.attempts == 3
    with pytest.raises(ValueError, match="twice"):
        Registry([*handlers.JOBS, handlers.JOBS[0]])
    with pytest.raises(ValueError, match="attempts"):
        Registry([JobSpec(kind="x", handler=handlers.flaky, attempts=0)])


def test_the_loop_survives_a_database_outage(worker: Worker) -> None:
    job = _enqueue(worker.session_factory, "test.flaky", {"succeed_on": 1})
    real = worker.session_factory
    calls = {"n": 0}

    def flaky_factory() -> Session:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("connect", {}, Exception("database is away"))
        return real()

    worker.session_factory = flaky_factory  # type: ignore[assignment]
    assert worker.run(max_jobs=1) == 1
    assert calls["n"] > 2
    worker.session_factory = real
    assert _job(real, job).state == JobState.SUCCEEDED

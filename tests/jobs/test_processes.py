"""Real `marquee worker` processes sharing one database: SIGKILL recovery and graceful SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from marquee.storage.local import LocalStore
from tests.jobs.spawning import Spawn, wait_for, worker_processes

LEASE_SECONDS = 1.5


@pytest.fixture
def spawn(db_url: str, tmp_path: Path) -> Iterator[Spawn]:
    with worker_processes(
        db_url, tmp_path, modules="tests.jobs.handlers", lease_seconds=LEASE_SECONDS
    ) as start:
        yield start


def _get(factory: sessionmaker[Session], job_id: object) -> Job:
    with transaction(factory) as session:
        return service.get_job(session=session, job_id=job_id)  # type: ignore[arg-type]


def test_a_sigkilled_workers_job_is_finished_once_by_another(
    spawn: Spawn, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    workers = {proc.pid: proc for proc in (spawn(), spawn())}
    log, out = tmp_path / "runs.log", tmp_path / "out"
    with transaction(session_factory) as session:
        job = service.enqueue(
            session=session,
            kind="test.slow_write",
            payload={"seconds": 3, "out": str(out), "log": str(log), "kib": 2048},
            key="slow-1",
        )
    wait_for(lambda: log.exists() and _get(session_factory, job.id).percent > 0, 30, "a start")
    owner = _get(session_factory, job.id).lease_owner
    assert owner is not None
    victim = int(owner.split(":")[1])
    assert victim in workers
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait(timeout=10)
    # Nothing partial: the killed run stored no output.
    assert not LocalStore(out).exists("result/output.bin")

    wait_for(lambda: _get(session_factory, job.id).state == JobState.SUCCEEDED, 30, "success")
    done = _get(session_factory, job.id)
    (survivor,) = (pid for pid in workers if pid != victim)
    assert done.result == {"pid": survivor}
    assert done.attempts == 2
    assert done.lease_owner is None
    runs = log.read_text()
    starts = [line for line in log.read_text().splitlines() if line.startswith("start")]
    finishes = [line for line in log.read_text().splitlines() if line.startswith("finish")]
    assert starts == [f"start {victim} 1", f"start {survivor} 2"], runs
    assert finishes == [f"finish {survivor} 2"]
    assert list(LocalStore(out).list("result/")) == ["result/output.bin"]
    assert LocalStore(out).stat("result/output.bin").size == 2048 * 1024

    workers[survivor].send_signal(signal.SIGTERM)
    assert workers[survivor].wait(timeout=15) == 0


def test_sigterm_hands_a_running_job_back_and_exits(
    spawn: Spawn, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    proc = spawn()
    log = tmp_path / "polite.log"
    with transaction(session_factory) as session:
        job = service.enqueue(
            session=session, kind="test.polite", payload={"log": str(log)}, key="polite-1"
        )
    wait_for(log.exists, 30, "the job to start")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    back = _get(session_factory, job.id)
    assert (back.state, back.attempts, back.lease_owner) == (JobState.QUEUED, 0, None)

"""Sweeping `var/work`: leftovers of killed workers go, directories of live attempts stay."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.ingest import workdirs
from marquee.jobs import service
from marquee.jobs.registry import Registry
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime


def _running_job(factory: sessionmaker[Session], lease_seconds: float = 60) -> uuid.UUID:
    """A job claimed twice (its first worker died), so its live attempt is the second."""
    with transaction(factory) as session:
        job = service.enqueue(session=session, kind="ingest", payload={}, key=str(uuid.uuid4()))
        job_id = job.id
    for worker in ("dead-worker", "live-worker"):
        with transaction(factory) as session:
            claimed = service.claim(
                session=session, worker_id=worker, kinds=["ingest"], lease_seconds=-1
            )
            assert claimed is not None
    with transaction(factory) as session:
        service.heartbeat(
            session=session, job_id=job_id, worker_id="live-worker", lease_seconds=lease_seconds
        )
    return job_id


def _leftover(settings: Settings, name: str, age: float) -> Path:
    path = workdirs.work_root(settings) / name
    (path / "package").mkdir(parents=True)
    (path / "source").write_bytes(b"\0" * 1024)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_the_sweep_keeps_live_attempts_and_recent_directories(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    live_job = _running_job(session_factory)
    old = settings.job_lease_seconds * 3
    held = _leftover(settings, f"ingest-{live_job}-2-abc", old)
    earlier_attempt = _leftover(settings, f"ingest-{live_job}-1-abc", old)
    unknown_job = _leftover(settings, f"ingest-{uuid.uuid4()}-1-abc", old)
    unnamed = _leftover(settings, "ingest-abc123", old)
    fresh = _leftover(settings, f"ingest-{uuid.uuid4()}-1-abc", 1)
    foreign = _leftover(settings, "uploads-cache", old)

    assert workdirs.sweep(settings, session_factory) == 3

    assert [p.exists() for p in (held, fresh, foreign)] == [True, True, True]
    assert [p.exists() for p in (earlier_attempt, unknown_job, unnamed)] == [False] * 3
    assert workdirs.sweep(settings, session_factory) == 0


def test_a_lapsed_lease_frees_the_directory(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    job_id = _running_job(session_factory, lease_seconds=-1)
    path = _leftover(settings, f"ingest-{job_id}-2-abc", settings.job_lease_seconds * 3)
    assert workdirs.sweep(settings, session_factory) == 1
    assert not path.exists()


def test_a_work_directory_names_its_attempt_and_goes_when_it_ends(settings: Settings) -> None:
    job_id = uuid.uuid4()
    with workdirs.work_dir(settings, job_id, 3) as work:
        assert work.parent == workdirs.work_root(settings)
        assert work.name.startswith(f"ingest-{job_id}-3-")
        (work / "source").write_bytes(b"x")
    assert not work.exists()


def test_a_worker_sweeps_at_start(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    path = _leftover(settings, f"ingest-{uuid.uuid4()}-1-abc", settings.job_lease_seconds * 3)
    worker = Worker(runtime=make_runtime(settings), kinds=["ingest"])
    assert worker.run(once=True) == 0
    assert not path.exists()


def test_an_idle_worker_repeats_its_housekeeping(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    rounds: list[float] = []
    registry = Registry([], housekeeping=[(lambda s, f: rounds.append(time.monotonic()), 0.05)])
    fast = settings.model_copy(update={"job_poll_seconds": 0.02})
    worker = Worker(runtime=make_runtime(fast), registry=registry)
    thread = threading.Thread(target=worker.run)
    thread.start()
    time.sleep(0.5)
    worker.request_stop()
    thread.join(timeout=5)
    assert 2 <= len(rounds) <= 11  # at start, then at most once per 0.05 s
    assert min(b - a for a, b in itertools.pairwise(rounds)) >= 0.05

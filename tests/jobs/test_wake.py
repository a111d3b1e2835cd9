"""An idle worker asks the queue rarely, and still starts a new job at once: the database
tells it (PostgreSQL NOTIFY, SQLite's data version), on both backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.registry import JobContext, JobSpec, Registry
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime

# Far longer than the test: a job started sooner was woken for, not polled for.
POLL_SECONDS = 30.0
# Woken, not polled: well inside the poll interval, with room for a busy machine (a quiet
# one starts the job within ~0.1 s, which the test prints).
WOKEN_WITHIN = POLL_SECONDS / 3


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records when the worker runs its claim query (the real one runs as ever)."""
    calls: list[float] = []
    claim = service.claim

    def counted(**kwargs: Any) -> Any:
        calls.append(time.monotonic())
        return claim(**kwargs)

    monkeypatch.setattr(service, "claim", counted)
    return calls


def _wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_an_idle_worker_sleeps_until_a_job_is_committed(
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_runtime: Callable[[Settings], Runtime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[float] = []

    def handler(ctx: JobContext) -> None:
        started.append(time.monotonic())

    slow = settings.model_copy(update={"job_poll_seconds": POLL_SECONDS})
    registry = Registry([JobSpec(kind="test.wake", handler=handler)])
    worker = Worker(runtime=make_runtime(slow), registry=registry)
    claims = _counting(monkeypatch)
    thread = threading.Thread(target=worker.run, name="idle-worker")
    thread.start()
    try:
        assert _wait_for(lambda: claims, 10), "the worker never looked at the queue"
        time.sleep(1.5)
        assert len(claims) == 1, "an idle worker asked again with nothing committed"
        for n in range(3):
            with transaction(session_factory) as session:  # another connection, as another process
                service.enqueue(session=session, kind="test.wake", payload={}, key=f"wake-{n}")
            queued = time.monotonic()
            assert _wait_for(lambda n=n: len(started) > n, WOKEN_WITHIN), f"job {n} not started"
            print(f"job {n} started {started[n] - queued:.3f} s after its commit")
            assert started[n] - queued < WOKEN_WITHIN
    finally:
        worker.request_stop()
        thread.join(timeout=10)
    assert not thread.is_alive()

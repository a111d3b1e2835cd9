"""Job and queue metrics: a real worker's own /metrics, and the queue as the API reports it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from tests.delivery.support import open_session, publish
from tests.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A private network's setting: /metrics without the bearer token.
    return settings.model_copy(update={"metrics_public": True})


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _enqueue(factory: sessionmaker[Session], kind: str, key: str, **payload: object) -> Job:
    with transaction(factory) as session:
        return service.enqueue(session=session, kind=kind, payload=dict(payload), key=key)


def _state(factory: sessionmaker[Session], job: Job) -> JobState:
    with transaction(factory) as session:
        return service.get_job(session=session, job_id=job.id).state


def test_a_worker_serves_its_job_outcomes_on_its_own_port(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARQUEE_ENV": "test",
        "MARQUEE_DATABASE_URL": db_url,
        "MARQUEE_VAR_DIR": str(tmp_path / "var"),
        "MARQUEE_JOB_MODULES": "tests.jobs.handlers",
        "MARQUEE_JOB_POLL_SECONDS": "0.1",
        "MARQUEE_WORKER_METRICS_PORT": str(port),
    }
    dead = _enqueue(session_factory, "test.bad_input", "bad-1")
    retried = _enqueue(session_factory, "test.flaky", "flaky-1", succeed_on=2)
    kinds = "test.bad_input,test.flaky"
    proc = subprocess.Popen(
        [sys.executable, "-m", "marquee.cli", "worker", "--kinds", kinds],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        deadline = time.monotonic() + 60
        while _state(session_factory, retried) != JobState.SUCCEEDED:
            assert time.monotonic() < deadline, "the jobs did not finish"
            time.sleep(0.1)
        assert _state(session_factory, dead) == JobState.DEAD
        page = samples(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert page[("marquee_worker_up", ())] == 1
    assert page[("marquee_worker_busy", ())] == 0
    finished = "marquee_jobs_finished_total"
    assert page[(finished, (("kind", "test.bad_input"), ("outcome", "dead")))] == 1
    assert page[(finished, (("kind", "test.flaky"), ("outcome", "failed")))] == 1
    assert page[(finished, (("kind", "test.flaky"), ("outcome", "succeeded")))] == 1
    count = "marquee_job_duration_seconds_count"
    assert page[(count, (("kind", "test.flaky"), ("outcome", "succeeded")))] == 1
    with socket.socket() as probe:  # the listener went away with the worker
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_api_reports_queue_depth_age_lapsed_leases_and_stream_slots(
    app: FastAPI, client: TestClient, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    published = publish(app, package)
    open_session(app, published)
    open_session(app, published)
    open_session(app, published, stopped=True)
    for n in range(3):
        _enqueue(session_factory, "ingest", f"ingest-{n}")
    _enqueue(session_factory, "recs_train", "recs-1")
    with transaction(session_factory) as session:
        running = service.claim(
            session=session, worker_id="gone", kinds=["recs_train"], lease_seconds=30
        )
        assert running is not None
        # Its worker stopped renewing long ago and nobody has taken it over yet.
        session.execute(
            update(Job)
            .where(Job.id == running.id)
            .values(lease_expires_at=utcnow().replace(year=2000))
        )
    time.sleep(0.05)
    page = samples(client.get("/metrics").text)
    depth = "marquee_job_queue_depth"
    assert page[(depth, (("kind", "ingest"), ("state", "waiting")))] == 3
    assert page[(depth, (("kind", "recs_train"), ("state", "running")))] == 1
    assert page[("marquee_job_queue_oldest_seconds", (("kind", "ingest"),))] > 0
    assert page[("marquee_job_leases_expired", (("kind", "recs_train"),))] == 1
    assert page[("marquee_stream_slots_in_use", ())] == 2

"""Ingest jobs keep their work, with real `marquee worker` processes: a retry after kill -9
or a hand-back after SIGTERM encodes only the chunks not finished, and SIGTERM during the
upload finishes the upload and publishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from marquee.catalog.models import PublishState
from marquee.config import Settings
from marquee.db import transaction
from marquee.ingest import publish
from marquee.ingest.chunks import RECORD_SUFFIX
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from marquee.storage import keys
from tests.ingest.slow_store import SLOW_UPLOAD
from tests.ingest.test_tasks import job_of, new_title, title_of, upload, versions_of
from tests.media import sources as media
from tests.support import ApiUser, signup_with_role

ROOT = Path(__file__).resolve().parents[2]
CHUNK_SECONDS = 4.0  # one 4 s segment per chunk
CLIP_SECONDS = 24
LEASE_SECONDS = 1.5  # short, so that a killed worker's job is taken again soon


class Spawn(Protocol):
    def __call__(
        self, kinds: str, *, lease_seconds: float = LEASE_SECONDS, ready: bool = False
    ) -> subprocess.Popen[bytes]: ...


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 s of 480x270 with audio: six chunks of a two-rung ladder."""
    path = tmp_path_factory.mktemp("resume-media") / "long.mp4"
    return media.make_clip(path, size="480x270", seconds=CLIP_SECONDS)


@pytest.fixture
def editor(client: TestClient, app: FastAPI) -> ApiUser:
    return signup_with_role(client, app, Role.EDITOR)


@pytest.fixture
def spawn(app: FastAPI, tmp_path: Path) -> Iterator[Spawn]:
    """Starts `marquee worker --kinds K` on the app's database and store; with `ready`,
    returns once the worker says it is taking jobs."""
    settings: Settings = app.state.runtime.settings
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARQUEE_ENV": "test",
        "MARQUEE_DATABASE_URL": settings.resolved_database_url,
        "MARQUEE_VAR_DIR": str(settings.var_dir),
        "MARQUEE_LADDER": "fixed",
        "MARQUEE_ENCODE_CHUNK_SECONDS": str(CHUNK_SECONDS),
        "MARQUEE_JOB_MODULES": "tests.ingest.slow_store",
        "MARQUEE_JOB_POLL_SECONDS": "0.1",
        "MARQUEE_JSON_LOGS": "false",
    }
    started: list[subprocess.Popen[bytes]] = []

    def start(
        kinds: str, *, lease_seconds: float = LEASE_SECONDS, ready: bool = False
    ) -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker-{len(started)}.out"
        with log.open("wb") as output:
            proc = subprocess.Popen(
                [sys.executable, "-m", "marquee.cli", "worker", "--kinds", kinds],
                env={**env, "MARQUEE_JOB_LEASE_SECONDS": str(lease_seconds)},
                cwd=tmp_path,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(proc)
        if ready:
            _wait(
                lambda: proc.poll() is not None or b"worker ready" in log.read_bytes(),
                120,
                f"the {kinds} worker to start",
            )
            assert proc.poll() is None, log.read_text(errors="replace")
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def worker_logs(tmp_path: Path) -> str:
    """What every worker `spawn` started in this test printed, to show beside a failure."""
    return "\n".join(
        f"{log.name}:\n{log.read_text(errors='replace')}"
        for log in sorted(tmp_path.glob("worker-*.out"))
    )


def _wait(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _job(app: FastAPI, job_id: uuid.UUID) -> Job:
    return job_of(app, {"job_id": str(job_id)})


def _kept_chunks(app: FastAPI, job_id: uuid.UUID) -> list[str]:
    """The chunks a job has kept whole: those with their size-and-checksum record."""
    listed = app.state.runtime.store.list(keys.ingest_job_prefix(job_id))
    return [key for key in listed if key.endswith(RECORD_SUFFIX)]


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_the_next_attempt_encodes_only_the_chunks_not_finished(
    client: TestClient,
    app: FastAPI,
    editor: ApiUser,
    long_clip: Path,
    spawn: Spawn,
    tmp_path: Path,
    stop: signal.Signals,
) -> None:
    title_id = new_title(app)
    status = upload(client, editor, long_clip.read_bytes(), title_id=str(title_id))
    job_id = uuid.UUID(status["job_id"])
    first = spawn("ingest")
    _wait(lambda: len(_kept_chunks(app, job_id)) >= 2, 180, "two finished chunks")
    first.send_signal(stop)
    first.wait(timeout=30)
    kept = len(_kept_chunks(app, job_id))
    assert 2 <= kept < CLIP_SECONDS / CHUNK_SECONDS, "the encode was not stopped mid-way"
    assert versions_of(app, title_id) == []
    if stop is signal.SIGTERM:
        back = _job(app, job_id)
        assert (first.returncode, back.state, back.attempts) == (0, JobState.QUEUED, 0)

    second = spawn("ingest")
    _wait(lambda: _job(app, job_id).state is JobState.SUCCEEDED, 240, "the retried job")
    second.send_signal(signal.SIGTERM)
    done = _job(app, job_id)
    assert done.result is not None
    total = round(CLIP_SECONDS / CHUNK_SECONDS)
    # No worker took chunk jobs (`--kinds ingest`): the job encoded every missing chunk.
    assert done.result["chunks"] == {"reused": kept, "encoded": total - kept, "elsewhere": 0}
    (version,) = versions_of(app, title_id)
    assert title_of(app, title_id).current_version_id == version.id
    assert version.duration_seconds == pytest.approx(CLIP_SECONDS, abs=0.1)
    # Published: the kept chunks are of no further use.
    assert list(app.state.runtime.store.list(keys.ingest_job_prefix(job_id))) == []


def test_sigterm_during_the_upload_finishes_it_and_publishes(
    client: TestClient,
    app: FastAPI,
    editor: ApiUser,
    long_clip: Path,
    spawn: Spawn,
) -> None:
    title_id = new_title(app, PublishState.PUBLISHED)
    status = upload(client, editor, long_clip.read_bytes(), title_id=str(title_id))
    ingest = job_of(app, status)
    with transaction(app.state.runtime.sessionmaker) as session:
        job = service.enqueue(
            session=session,
            kind=SLOW_UPLOAD,
            payload=dict(ingest.payload),
            key=f"slow-{ingest.key}",
        )
    worker = spawn(SLOW_UPLOAD)
    _wait(lambda: _job(app, job.id).stage == "upload", 240, "the upload stage")
    version_id = publish.version_id_for(job.key)
    prefix = keys.version_prefix(version_id)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0
    done = _job(app, job.id)
    assert (done.state, done.attempts) == (JobState.SUCCEEDED, 1)
    assert title_of(app, title_id).current_version_id == version_id
    (version,) = versions_of(app, title_id)
    stored = set(app.state.runtime.store.list(prefix))
    assert version.hls_master in stored
    assert version.dash_manifest in stored
    assert len(stored) > 10  # manifests, init and media segments of every track, artwork

"""An ingest's chunks are jobs any `marquee worker` takes, with real worker processes: a
second worker encodes some of the chunks, and killing it mid-chunk costs only that chunk."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from marquee.db import transaction
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobKind
from marquee.storage import keys
from tests.ingest.test_resume import (
    CHUNK_SECONDS,
    CLIP_SECONDS,
    Spawn,
    _job,
    _wait,
    editor,
    long_clip,
    spawn,
    worker_logs,
)
from tests.ingest.test_tasks import assert_plays, new_title, upload, versions_of
from tests.support import ApiUser

__all__ = ["editor", "long_clip", "spawn"]
TOTAL = round(CLIP_SECONDS / CHUNK_SECONDS)
# Long enough that no lease lapses on a busy machine while its worker is alive: only the
# worker these tests kill loses a chunk (and its lease, shorter, lapses soon after).
LEASE_SECONDS = 10.0
KILLED_LEASE_SECONDS = 4.0


def _start_ingest(
    client: TestClient,
    app: FastAPI,
    editor: ApiUser,
    clip: Path,
    spawn: Spawn,
    helper_lease: float,
) -> tuple[subprocess.Popen[bytes], uuid.UUID, uuid.UUID]:
    """A chunk-only worker taking jobs, then an upload and a worker for its ingest: the
    helper, the title and the ingest job."""
    helper = spawn(JobKind.ENCODE_CHUNK, lease_seconds=helper_lease, ready=True)
    title_id = new_title(app)
    status = upload(client, editor, clip.read_bytes(), title_id=str(title_id))
    spawn(JobKind.INGEST, lease_seconds=LEASE_SECONDS)
    return helper, title_id, uuid.UUID(status["job_id"])


def _chunk_jobs(app: FastAPI, ingest_id: uuid.UUID) -> list[Job]:
    with transaction(app.state.runtime.sessionmaker) as session:
        found = session.scalars(
            select(Job).where(
                Job.kind == JobKind.ENCODE_CHUNK, Job.key.like(f"chunk:{ingest_id}:%")
            )
        ).all()
        session.expunge_all()
        return sorted(found, key=lambda job: int(job.key.rsplit(":", 1)[1]))


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (FFmpeg, when a worker is encoding)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _freeze_mid_chunk(app: FastAPI, ingest_id: uuid.UUID, helper: int) -> Job:
    """Stop the helper's FFmpeg while it encodes a chunk; the chunk job it holds."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        for child in _children(helper):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGSTOP)
        held = [
            job
            for job in _chunk_jobs(app, ingest_id)
            if job.state is JobState.RUNNING and not (job.lease_owner or "").startswith("ingest:")
        ]
        if held and _children(helper):
            (job,) = held
            return job
        for child in _children(helper):  # caught between chunks: let it go on
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError("the helper never encoded a chunk")


def _finished(app: FastAPI, job_id: uuid.UUID, title_id: uuid.UUID) -> Job:
    done = _job(app, job_id)
    assert done.state is JobState.SUCCEEDED, done.last_error
    assert done.result is not None
    (version,) = versions_of(app, title_id)
    assert version.duration_seconds == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert_plays(app, version)
    assert list(app.state.runtime.store.list(keys.ingest_job_prefix(job_id))) == []
    return done


def test_a_second_worker_encodes_chunks_of_the_same_ingest(
    client: TestClient,
    app: FastAPI,
    editor: ApiUser,
    long_clip: Path,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    helper, title_id, job_id = _start_ingest(
        client, app, editor, long_clip, spawn, helper_lease=LEASE_SECONDS
    )
    _wait(lambda: _job(app, job_id).state is JobState.SUCCEEDED, 300, "the ingest")
    helper.send_signal(signal.SIGTERM)
    done = _finished(app, job_id, title_id)
    chunks = done.result["chunks"] if done.result else {}
    chunk_jobs = _chunk_jobs(app, job_id)
    logs = worker_logs(tmp_path)
    assert len(chunk_jobs) == TOTAL
    assert all(job.state is JobState.SUCCEEDED and job.attempts == 1 for job in chunk_jobs), logs
    by_helper = [job for job in chunk_jobs if job.result and job.result.get("encoded")]
    # Every chunk encoded once: by the ingest job itself or by the other worker.
    assert chunks["encoded"] + len(by_helper) == TOTAL, (chunks, logs)
    assert chunks["elsewhere"] == len(by_helper) >= 1, (chunks, logs)


def test_a_worker_killed_mid_chunk_costs_only_that_chunk(
    client: TestClient,
    app: FastAPI,
    editor: ApiUser,
    long_clip: Path,
    spawn: Spawn,
    tmp_path: Path,
) -> None:
    helper, title_id, job_id = _start_ingest(
        client, app, editor, long_clip, spawn, helper_lease=KILLED_LEASE_SECONDS
    )

    killed = _freeze_mid_chunk(app, job_id, helper.pid)
    helper.kill()  # its FFmpeg dies with it, and the chunk's lease lapses
    helper.wait(timeout=30)
    _wait(lambda: _job(app, job_id).state is JobState.SUCCEEDED, 300, "the ingest")
    done = _finished(app, job_id, title_id)
    chunks = done.result["chunks"] if done.result else {}
    after = {job.key: job for job in _chunk_jobs(app, job_id)}
    logs = worker_logs(tmp_path)
    assert all(job.state is JobState.SUCCEEDED for job in after.values())
    # The killed chunk was taken again (by the ingest job, the one worker left) ...
    assert after[killed.key].attempts == 2, logs
    assert after[killed.key].result in (None, {})
    # ... and no other chunk was encoded twice.
    assert all(job.attempts == 1 for key, job in after.items() if key != killed.key), logs
    by_helper = [job for job in after.values() if job.result and job.result.get("encoded")]
    assert chunks["encoded"] + len(by_helper) == TOTAL, (chunks, logs)

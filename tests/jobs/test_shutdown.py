"""A worker's FFmpeg under SIGTERM and SIGKILL, with real `marquee worker` processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction
from marquee.jobs import service
from marquee.jobs.models import Job, JobState
from tests.jobs.spawning import Spawn, wait_for, worker_processes


@pytest.fixture
def spawn(db_url: str, tmp_path: Path) -> Iterator[Spawn]:
    with worker_processes(
        db_url,
        tmp_path,
        modules="tests.jobs.tools",
        lease_seconds=30,
        kinds="test.long_encode,test.encode_then_publish",
    ) as start:
        yield start


def _children(parent: int) -> list[int]:
    """Live (not zombie) processes whose parent is `parent`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_bytes().rsplit(b")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != b"Z" and int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def _enqueue(factory: sessionmaker[Session], kind: str, payload: dict[str, object]) -> Job:
    with transaction(factory) as session:
        return service.enqueue(session=session, kind=kind, payload=payload, key=f"{kind}-1")


def _get(factory: sessionmaker[Session], job: Job) -> Job:
    with transaction(factory) as session:
        return service.get_job(session=session, job_id=job.id)


def _encoders(parent: int) -> list[int]:
    """The worker's encoders (FFmpeg is also run briefly to check its version)."""
    found = []
    for pid in _children(parent):
        with contextlib.suppress(OSError):
            if b"testsrc2" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


def _encoder_of(proc: subprocess.Popen[bytes]) -> int:
    """The FFmpeg encode the worker runs, once it has started it (however loaded the machine)."""
    wait_for(lambda: _encoders(proc.pid), 120, "the worker to start its encoder")
    encoders = _encoders(proc.pid)
    assert len(encoders) == 1, encoders
    return encoders[0]


def test_a_worker_killed_mid_encode_takes_its_ffmpeg_with_it(
    spawn: Spawn, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    proc = spawn()
    job = _enqueue(session_factory, "test.long_encode", {"log": str(tmp_path / "log")})
    encoder = _encoder_of(proc)
    assert _get(session_factory, job).state == JobState.RUNNING
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: not _alive(encoder), 5, "the orphaned FFmpeg to die")


def test_sigterm_mid_encode_stops_it_at_once_and_hands_the_job_back(
    spawn: Spawn, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    proc = spawn()
    job = _enqueue(session_factory, "test.long_encode", {"log": str(tmp_path / "log")})
    encoder = _encoder_of(proc)
    asked = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert time.monotonic() - asked < 10  # not the ten minutes the encode would take
    assert not _alive(encoder)
    back = _get(session_factory, job)
    assert (back.state, back.attempts, back.lease_owner) == (JobState.QUEUED, 0, None)
    assert back.last_error is None
    assert "finish" not in (tmp_path / "log").read_text()


def test_sigterm_after_the_encode_lets_the_job_finish_and_records_it(
    spawn: Spawn, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    log = tmp_path / "log"
    proc = spawn()
    job = _enqueue(
        session_factory, "test.encode_then_publish", {"log": str(log), "publish_seconds": 2}
    )
    wait_for(lambda: log.exists() and "encoded" in log.read_text(), 60, "the encode to end")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "published" in log.read_text()
    done = _get(session_factory, job)
    assert (done.state, done.attempts, done.result) == (JobState.SUCCEEDED, 1, {"published": True})

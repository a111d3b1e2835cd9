"""Search follows the catalogue whichever process changes it: the API served by uvicorn and
`marquee worker` run as separate processes, as in `marquee demo`, on both backends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from marquee.audience import Audience
from marquee.catalog.models import PublishState
from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs import service as jobs
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobKind
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from marquee.search.index import SearchFilters
from tests.catalog.factories import make_title
from tests.search.handlers import PUBLISH_TITLE
from tests.support import PASSWORD, unique_email

ROOT = Path(__file__).resolve().parents[2]
SEARCHABLE_WITHIN = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(db_url: str, settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARQUEE_ENV": "test",
        "MARQUEE_DATABASE_URL": db_url,
        "MARQUEE_VAR_DIR": str(settings.var_dir),
        "MARQUEE_JOB_MODULES": "tests.search.handlers",
        "MARQUEE_JSON_LOGS": "false",
        "MARQUEE_LOG_LEVEL": "WARNING",
    }


Spawn = Callable[[str, list[str]], subprocess.Popen[bytes]]


@pytest.fixture
def spawn(env: dict[str, str], tmp_path: Path) -> Iterator[Spawn]:
    """Starts processes with the test's settings; each is stopped and waited for at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, args: list[str]) -> subprocess.Popen[bytes]:
        # A file, not a pipe: a full pipe buffer would stall a chatty process.
        with (tmp_path / f"{name}.out").open("wb") as output:
            proc = subprocess.Popen(
                [sys.executable, *args], env=env, cwd=tmp_path, stdout=output, stderr=output
            )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _serve(spawn: Spawn, tmp_path: Path) -> str:
    port = _free_port()
    args = ["-m", "uvicorn", "marquee.app:create_app", "--factory", "--host", "127.0.0.1"]
    proc = spawn("api", [*args, "--port", str(port), "--log-level", "warning"])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "api.out").read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the API did not start")


def _viewer(base: str) -> tuple[dict[str, str], str]:
    body = {"email": unique_email(), "password": PASSWORD}
    reply = httpx.post(f"{base}/api/v1/auth/register", json=body, timeout=10)
    assert reply.status_code == 201, reply.text
    headers = {"Authorization": f"Bearer {reply.json()['tokens']['access_token']}"}
    profiles = httpx.get(f"{base}/api/v1/me/profiles", headers=headers, timeout=10)
    return headers, profiles.json()["items"][0]["id"]


def _finished(factory: sessionmaker[Session], job_id: uuid.UUID, timeout: float) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(factory) as session:
            job = jobs.get_job(session=session, job_id=job_id)
        if job.state in (JobState.SUCCEEDED, JobState.DEAD):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def test_a_title_the_worker_publishes_is_searchable_in_the_api_within_2_s(
    spawn: Spawn, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    base = _serve(spawn, tmp_path)
    spawn("worker", ["-m", "marquee.cli", "worker"])
    headers, profile_id = _viewer(base)
    with transaction(session_factory) as session:
        title = make_title(session, "Quixotic Lighthouse", state=PublishState.DRAFT)
        title_id = title.id
        job = jobs.enqueue(
            session=session, kind=PUBLISH_TITLE, payload={"title_id": str(title_id)}, key="pub-1"
        )
    params = {"profile_id": profile_id, "q": "quixotic lighthouse"}
    assert httpx.get(f"{base}/api/v1/search", params=params, headers=headers).json()["total"] == 0

    published = _finished(session_factory, job.id, timeout=60)
    assert published.state is JobState.SUCCEEDED, published.last_error
    assert published.result is not None
    found_at = None
    while time.time() - published.result["published_at"] < 10:
        reply = httpx.get(f"{base}/api/v1/search", params=params, headers=headers, timeout=5)
        assert reply.status_code == 200, reply.text
        if [item["id"] for item in reply.json()["items"]] == [str(title_id)]:
            found_at = time.time()
            break
        time.sleep(0.05)
    assert found_at is not None, (tmp_path / "worker.out").read_text()
    delay = found_at - published.result["published_at"]
    print(f"searchable {delay:.2f} s after the worker's commit")
    assert delay <= SEARCHABLE_WITHIN, delay


def test_the_reindex_is_queued_with_the_change_and_survives_the_process(
    settings: Settings, make_runtime: Callable[[Settings], Runtime]
) -> None:
    """The change and its re-index job commit together (or not at all), so a process that
    stops right after the commit leaves the job for any worker to apply later."""
    api = make_runtime(settings)
    with transaction(api.sessionmaker) as session:
        kept = make_title(session, "Lantern Harbour")

    def failing_request() -> None:
        with transaction(api.sessionmaker) as session:
            make_title(session, "Rolled Back Title")
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        failing_request()
    with transaction(api.sessionmaker) as session:
        queued = list(session.scalars(select(Job).where(Job.kind == JobKind.SEARCH_REINDEX)))
    assert [job.payload["titles"] for job in queued] == [[str(kept.id)]]
    api.close()  # the process that made the change is gone; nothing was indexed by it

    later = make_runtime(settings)
    assert Worker(runtime=later, kinds=[JobKind.SEARCH_REINDEX]).run(once=True) == 1
    results = later.index.search("lantern harbour", SearchFilters(), Audience(country="US"))
    assert [hit.title_id for hit in results.hits] == [kept.id]

"""The ingest job end to end: uploads in, worker runs, versions published atomically or not at all."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from marquee.accounts.models import Role
from marquee.app import create_app
from marquee.catalog.models import PublishState, Title
from marquee.config import Settings
from marquee.db import transaction
from marquee.ingest import publish, tasks, workdirs
from marquee.jobs.models import Job, JobState
from marquee.jobs.registry import JobContext, JobInterrupted, JobKind
from marquee.jobs.worker import Worker
from marquee.storage import keys, make_store
from marquee.storage.base import read_all
from marquee.storage.s3 import S3Store
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion, VersionState
from tests.catalog.factories import make_title
from tests.media import sources as media
from tests.media.sources import ffmpeg_client
from tests.media.test_package import CLIENT_PROBE_NOISE
from tests.support import ApiUser, signup_with_role

UPLOADS = "/api/v1/admin/uploads/"
OCTETS = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s of 480x270 with audio: a two-rung ladder that encodes in about a second."""
    path = tmp_path_factory.mktemp("ingest-media") / "short.mp4"
    return media.make_clip(path, size="480x270", seconds=4)


@pytest.fixture
def editor(client: TestClient, app: FastAPI) -> ApiUser:
    return signup_with_role(client, app, Role.EDITOR)


def new_title(
    app: FastAPI, state: PublishState = PublishState.DRAFT, *, encrypted: bool = False
) -> uuid.UUID:
    """A title whose media is clear unless asked, so FFmpeg can play it back without keys."""
    with transaction(app.state.runtime.sessionmaker) as session:
        title = make_title(session, state=state)
        title.encrypted = encrypted
        return title.id


def upload(client: TestClient, editor: ApiUser, body: bytes, **meta: str) -> dict[str, str]:
    """A whole file in one creation-with-upload request; returns the upload's status."""
    pairs = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    headers = {**OCTETS, **editor.headers, "Upload-Length": str(len(body))}
    headers["Upload-Metadata"] = pairs
    created = client.post(UPLOADS, headers=headers, content=body)
    assert created.status_code == 201, created.text
    status: dict[str, str] = client.get(created.headers["Location"], headers=editor.headers).json()
    assert status["state"] == "complete"
    return status


def make_worker(app: FastAPI) -> Worker:
    return Worker(runtime=app.state.runtime, kinds=[JobKind.INGEST])


def job_of(app: FastAPI, status: dict[str, str]) -> Job:
    with transaction(app.state.runtime.sessionmaker) as session:
        job = session.get(Job, uuid.UUID(status["job_id"]))
        assert job is not None
        session.expunge(job)
        return job


def title_of(app: FastAPI, title_id: uuid.UUID) -> Title:
    with transaction(app.state.runtime.sessionmaker) as session:
        title = session.get(Title, title_id)
        assert title is not None
        session.expunge(title)
        return title


def versions_of(app: FastAPI, title_id: uuid.UUID) -> list[MediaVersion]:
    with transaction(app.state.runtime.sessionmaker) as session:
        rows = versions.list_versions(session=session, title_id=title_id)
        session.expunge_all()
        return rows


def assert_plays(app: FastAPI, version: MediaVersion) -> None:
    """FFmpeg, as a client, decodes every rendition through both manifests from the store."""
    root = app.state.runtime.settings.resolved_media_dir
    for key in (version.hls_master, version.dash_manifest):
        for index, rendition in enumerate(version.renditions):
            frames, errors = ffmpeg_client(root / key, f"0:v:{index}", "0:a:0")
            expected = round(version.duration_seconds * rendition.frame_rate)
            assert abs(frames - expected) <= 1, (key, index, frames, expected)
            assert [e for e in errors if not CLIENT_PROBE_NOISE.match(e)] == []


def test_a_completed_upload_becomes_the_titles_playable_version(
    client: TestClient, app: FastAPI, editor: ApiUser, short_clip: Path, tmp_path: Path
) -> None:
    title_id = new_title(app)
    upload(
        client,
        editor,
        media.SRT.encode(),
        title_id=str(title_id),
        kind="subtitle",
        language="en",
    )
    status = upload(client, editor, short_clip.read_bytes(), title_id=str(title_id))

    assert make_worker(app).run(once=True) == 1

    job = job_of(app, status)
    assert (job.state, job.stage, job.percent) == (JobState.SUCCEEDED, "publish", 100.0)
    (version,) = versions_of(app, title_id)
    title = title_of(app, title_id)
    assert (title.current_version_id, title.state) == (version.id, PublishState.PUBLISHED)
    assert version.state is VersionState.READY
    assert version.id == publish.version_id_for(job.key)
    assert [(r.name, r.height) for r in version.renditions] == [("240p", 240)]
    assert [(s.language, s.forced) for s in version.subtitle_tracks] == [("en", False)]
    store = app.state.runtime.store
    assert read_all(store, version.hls_master).startswith(b"#EXTM3U")
    assert b"<MPD" in read_all(store, version.dash_manifest)
    assert version.artwork.poster is not None
    assert store.exists(version.artwork.poster)
    assert all(store.exists(key) for key in version.artwork.sprites)
    assert any(key.endswith(".vtt") and "subs" in key for key in store.list(version.prefix))
    # The 240p rendition's files, linked into its lane for an edge beside the store.
    lane = keys.lane_prefix(version.id) + "v240/"
    assert any(key.endswith(".m4s") for key in store.list(lane))
    assert_plays(app, version)


def test_re_encoding_switches_versions_and_collects_the_old_one(
    client: TestClient, app: FastAPI, editor: ApiUser, short_clip: Path
) -> None:
    title_id = new_title(app, PublishState.PUBLISHED)
    upload(client, editor, short_clip.read_bytes(), title_id=str(title_id))
    assert make_worker(app).run(once=True) == 1
    (first,) = versions_of(app, title_id)
    old_keys = list(app.state.runtime.store.list(first.prefix))
    assert len(old_keys) > 5

    status = upload(client, editor, short_clip.read_bytes(), title_id=str(title_id))
    assert make_worker(app).run(once=True) == 1

    second, retired = versions_of(app, title_id)
    assert second.id != first.id
    assert retired.id == first.id
    assert (second.state, retired.state) == (VersionState.READY, VersionState.RETIRED)
    assert retired.retired_at is not None
    title = title_of(app, title_id)
    assert (title.current_version_id, title.state) == (second.id, PublishState.PUBLISHED)
    assert list(app.state.runtime.store.list(first.prefix)) == []
    assert list(app.state.runtime.store.list(keys.lane_prefix(first.id))) == []
    assert list(app.state.runtime.store.list(keys.lane_prefix(second.id)))
    assert app.state.runtime.store.exists(second.hls_master)
    assert second.upload_id == uuid.UUID(status["id"])


def test_bad_media_ends_dead_with_a_reason_and_the_worker_goes_on(
    client: TestClient, app: FastAPI, editor: ApiUser, short_clip: Path
) -> None:
    bad_title, good_title = new_title(app), new_title(app)
    bad = upload(client, editor, b"this is a text file, not a film\n" * 50, title_id=str(bad_title))
    good = upload(client, editor, short_clip.read_bytes(), title_id=str(good_title))

    assert make_worker(app).run(once=True) == 2

    dead = job_of(app, bad)
    assert dead.state is JobState.DEAD
    assert dead.attempts == 1
    assert dead.last_error is not None
    assert "not a media file" in dead.last_error
    assert versions_of(app, bad_title) == []
    failed = title_of(app, bad_title)
    assert (failed.state, failed.current_version_id) == (PublishState.DRAFT, None)
    assert job_of(app, good).state is JobState.SUCCEEDED
    assert title_of(app, good_title).state is PublishState.PUBLISHED
    seen = client.get(f"/api/v1/admin/jobs/{dead.id}", headers=editor.headers).json()
    assert (seen["state"], seen["last_error"]) == ("dead", dead.last_error)
    admin = client.get(f"/api/v1/admin/titles/{bad_title}", headers=editor.headers).json()
    assert admin["state"] == "draft"
    assert admin["processing_error"] == f"{dead.last_error} (job {dead.id})"
    good_admin = client.get(f"/api/v1/admin/titles/{good_title}", headers=editor.headers)
    assert good_admin.json()["processing_error"] is None


def test_a_job_stopped_mid_way_publishes_nothing_and_a_re_run_is_harmless(
    client: TestClient, app: FastAPI, editor: ApiUser, short_clip: Path
) -> None:
    title_id = new_title(app, PublishState.PUBLISHED)
    status = upload(client, editor, short_clip.read_bytes(), title_id=str(title_id))
    job = job_of(app, status)
    stopping, abandoned, interrupt = threading.Event(), threading.Event(), [True]

    def report(stage: str, percent: float) -> None:
        if stage.startswith("encode") and interrupt:
            # What a lost lease does to a running handler: even a finished encode is left.
            abandoned.set()
            stopping.set()

    ctx = JobContext(
        job_id=job.id,
        kind=job.kind,
        key=job.key,
        payload=dict(job.payload),
        attempt=1,
        runtime=app.state.runtime,
        report=report,
        stopping=stopping,
        abandoned=abandoned,
    )
    with pytest.raises(JobInterrupted):
        tasks.run_ingest(ctx)
    version_id = publish.version_id_for(job.key)
    assert versions_of(app, title_id) == []
    assert title_of(app, title_id).current_version_id is None
    assert list(app.state.runtime.store.list(keys.version_prefix(version_id))) == []

    interrupt.clear()
    stopping.clear()
    abandoned.clear()
    first = tasks.run_ingest(ctx)
    assert first["version_id"] == str(version_id)
    again = tasks.run_ingest(ctx)
    assert again == {"version_id": str(version_id), "rerun": True}
    with transaction(app.state.runtime.sessionmaker) as session:
        assert session.scalar(select(func.count()).select_from(MediaVersion)) == 1
    assert title_of(app, title_id).current_version_id == version_id


def test_a_worker_killed_mid_encode_publishes_nothing_and_another_finishes(
    client: TestClient, app: FastAPI, editor: ApiUser, clip: Path, tmp_path: Path
) -> None:
    settings: Settings = app.state.runtime.settings
    title_id = new_title(app)
    status = upload(client, editor, clip.read_bytes(), title_id=str(title_id))
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "MARQUEE_ENV": "test",
        "MARQUEE_DATABASE_URL": settings.resolved_database_url,
        "MARQUEE_VAR_DIR": str(settings.var_dir),
        "MARQUEE_JOB_LEASE_SECONDS": "1.5",
        "MARQUEE_JOB_POLL_SECONDS": "0.1",
        "MARQUEE_JSON_LOGS": "false",
    }
    with (tmp_path / "worker.out").open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "marquee.cli", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not job_of(app, status).stage.startswith("encode"):
            assert time.monotonic() < deadline, "encoding never began"
            assert worker.poll() is None, (tmp_path / "worker.out").read_text()
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=10)

    assert job_of(app, status).state is JobState.RUNNING
    assert versions_of(app, title_id) == []
    assert title_of(app, title_id).current_version_id is None
    version_id = publish.version_id_for(job_of(app, status).key)
    assert not app.state.runtime.store.exists(keys.manifest_hls(version_id))

    time.sleep(1.6)  # the dead worker's lease runs out
    assert make_worker(app).run(once=True) == 1
    job = job_of(app, status)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 2)
    (version,) = versions_of(app, title_id)
    assert title_of(app, title_id).current_version_id == version.id == version_id
    # The killed worker's scratch files stay behind until a sweep finds them stale.
    (leftover,) = workdirs.work_root(settings).glob(f"ingest-{job.id}-1-*")
    later = time.time() + settings.job_lease_seconds + 1
    assert workdirs.sweep(settings, app.state.runtime.sessionmaker, now=later) == 1
    assert not leftover.exists()


def test_versions_publish_to_and_are_collected_from_an_s3_store(
    settings: Settings, s3_endpoint: str, short_clip: Path
) -> None:
    s3_settings = settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_endpoint_url": s3_endpoint,
            "s3_bucket": f"versions-{uuid.uuid4().hex[:12]}",
            "s3_access_key": "testing",
            "s3_secret_key": SecretStr("testing"),
        }
    )
    store = make_store(s3_settings)
    assert isinstance(store, S3Store)
    store.ensure_bucket()
    s3_app = create_app(s3_settings)
    try:
        with TestClient(s3_app) as client:
            editor = signup_with_role(client, s3_app, Role.EDITOR)
            title_id = new_title(s3_app, PublishState.PUBLISHED)
            for _ in range(2):
                upload(client, editor, short_clip.read_bytes(), title_id=str(title_id))
                assert make_worker(s3_app).run(once=True) == 1
        current, retired = versions_of(s3_app, title_id)
        assert title_of(s3_app, title_id).current_version_id == current.id
        assert read_all(store, current.hls_master).startswith(b"#EXTM3U")
        assert b"<MPD" in read_all(store, current.dash_manifest)
        assert len(list(store.list(current.prefix))) > 5
        assert list(store.list(retired.prefix)) == []
    finally:
        s3_app.state.runtime.close()

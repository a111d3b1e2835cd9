"""Big Buck Bunny from a twice-interrupted tuspy upload to HLS and DASH that FFmpeg plays back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tusclient import client as tus_client
from tusclient.uploader import Uploader

from marquee.accounts.models import Role
from marquee.catalog.models import PublishState
from marquee.config import Settings
from marquee.db import transaction
from marquee.ingest import publish
from marquee.jobs.models import JobState
from marquee.storage import keys
from tests.catalog.factories import make_title
from tests.ingest.test_tasks import assert_plays, job_of, make_worker, title_of, versions_of
from tests.services import free_port, serve_app
from tests.support import signup_with_role

KIB = 1024


class Sha256Uploader(Uploader):
    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"upload_part_bytes": 256 * KIB})


def _tus_upload_interrupted_twice(base: str, token: str, source: Path, title_id: str) -> str:
    tus = tus_client.TusClient(
        f"{base}/api/v1/admin/uploads/", headers={"Authorization": f"Bearer {token}"}
    )
    meta = {"title_id": title_id, "filename": source.name, "filetype": "video/mp4"}
    first = Sha256Uploader(
        file_path=str(source), client=tus, chunk_size=128 * KIB, metadata=meta, upload_checksum=True
    )
    first.upload(stop_at=300 * KIB)  # the link drops the first time...
    url = first.url
    assert url is not None
    second = Sha256Uploader(
        file_path=str(source), client=tus, url=url, chunk_size=128 * KIB, upload_checksum=True
    )
    assert second.offset == first.offset
    second.upload(stop_at=700 * KIB)  # ...and a second time
    last = Sha256Uploader(
        file_path=str(source), client=tus, url=url, chunk_size=192 * KIB, upload_checksum=True
    )
    assert 700 * KIB <= last.offset < source.stat().st_size
    last.upload()
    return url


def test_big_buck_bunny_uploaded_with_interruptions_plays_as_hls_and_dash(
    client: TestClient, app: FastAPI, big_buck_bunny: Path
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        title = make_title(session, state=PublishState.DRAFT)
        title.encrypted = False  # FFmpeg plays it back below without a licence
        title_id = title.id
    with serve_app(app, free_port()) as base:
        url = _tus_upload_interrupted_twice(
            base, editor.access_token, big_buck_bunny, str(title_id)
        )
    status = client.get(url, headers=editor.headers).json()
    assert status["state"] == "complete"
    stored = b"".join(app.state.runtime.store.open(keys.upload(status["id"])))
    assert stored == big_buck_bunny.read_bytes()

    assert make_worker(app).run(once=True) == 1

    job = job_of(app, status)
    assert job.state is JobState.SUCCEEDED, job.last_error
    (version,) = versions_of(app, title_id)
    assert version.id == publish.version_id_for(job.key)
    assert title_of(app, title_id).current_version_id == version.id
    table = [(r.name, r.width, r.height, r.codecs) for r in version.renditions]
    assert table == [
        ("240p", 426, 240, "avc1.640015"),
        ("360p", 640, 360, "avc1.64001e"),
        ("480p", 854, 480, "avc1.64001e"),
        ("720p", 1280, 720, "avc1.64001f"),
    ]
    assert_plays(app, version)

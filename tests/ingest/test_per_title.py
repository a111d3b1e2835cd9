"""Ingest encodes per title: the trials' ladder decision is kept with the version it made."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from marquee.config import Settings
from marquee.jobs.models import JobState
from marquee.versions.models import MediaVersion
from tests.ingest.test_tasks import (
    assert_plays,
    job_of,
    make_worker,
    new_title,
    upload,
    versions_of,
)
from tests.media import sources as media
from tests.support import ApiUser, signup_with_role


@pytest.fixture
def video_codecs() -> str:
    return "h264"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, video_codecs: str) -> Settings:
    return Settings(
        env="test",
        database_url=db_url,
        var_dir=tmp_path / "var",
        json_logs=False,
        log_level="WARNING",
        ladder="per-title",
        video_codecs=video_codecs,
    )


@pytest.fixture(scope="module")
def short_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("per-title-media") / "short.mp4"
    return media.make_clip(path, size="640x360", seconds=3)


def _ingested(
    client: TestClient, app: FastAPI, master: Path
) -> tuple[ApiUser, uuid.UUID, MediaVersion]:
    """An editor's upload of `master` to a new title, ingested by a worker: its version."""
    editor = signup_with_role(client, app, Role.EDITOR)
    title_id = new_title(app)
    status = upload(client, editor, master.read_bytes(), title_id=str(title_id))
    assert make_worker(app).run(once=True) == 1
    job = job_of(app, status)
    assert job.state is JobState.SUCCEEDED, job.last_error
    (version,) = versions_of(app, title_id)
    return editor, title_id, version


def test_an_ingested_version_keeps_its_ladder_decision(
    client: TestClient, app: FastAPI, short_master: Path
) -> None:
    editor, title_id, version = _ingested(client, app, short_master)
    assert isinstance(version.ladder_decision, list)
    (decision,) = version.ladder_decision
    assert decision["codec"] == "h264"
    rungs = decision["rungs"]
    assert [r.name for r in version.renditions] == [r["name"] for r in rungs]
    assert all(0 < r["vmaf"] <= 95.0 and r["crf"] > 0 for r in rungs)
    assert {p["name"] for p in decision["points"]} == {"240p", "360p"}
    assert decision["hull"]
    assert decision["policy"]["target_vmaf"] == 95.0
    assert_plays(app, version)
    # The studio reads the decision from the versions route, typed.
    listed = client.get(f"/api/v1/admin/titles/{title_id}/versions", headers=editor.headers)
    assert listed.status_code == 200, listed.text
    (ladder,) = listed.json()[0]["ladders"]
    assert ladder["codec"] == "h264"
    assert [r["name"] for r in ladder["rungs"]] == [r["name"] for r in rungs]
    assert {"width", "height", "crf", "bitrate", "vmaf"} <= set(ladder["rungs"][0])
    assert len(ladder["points"]) == len(decision["points"])


@pytest.mark.parametrize("video_codecs", ["h264,av1"])
def test_av1_rungs_get_their_own_ladder_beside_h264(
    client: TestClient, app: FastAPI, short_master: Path
) -> None:
    editor, title_id, version = _ingested(client, app, short_master)
    families = {r.name: r.codecs.split(".")[0] for r in version.renditions}
    assert set(families.values()) == {"avc1", "av01"}
    assert all(name.endswith("-av1") == (f == "av01") for name, f in families.items())
    listed = client.get(f"/api/v1/admin/titles/{title_id}/versions", headers=editor.headers)
    ladders = {ladder["codec"]: ladder for ladder in listed.json()[0]["ladders"]}
    assert set(ladders) == {"h264", "av1"}
    av1_names = [f"{r['name']}-av1" for r in ladders["av1"]["rungs"]]
    assert av1_names == [name for name, f in families.items() if f == "av01"]
    assert_plays(app, version)

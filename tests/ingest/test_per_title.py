"""Ingest encodes per title: the trials' ladder decision is kept with the version it made."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from marquee.config import Settings
from marquee.jobs.models import JobState
from tests.ingest.test_tasks import (
    assert_plays,
    job_of,
    make_worker,
    new_title,
    upload,
    versions_of,
)
from tests.media import sources as media
from tests.support import signup_with_role


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=db_url,
        var_dir=tmp_path / "var",
        json_logs=False,
        log_level="WARNING",
        ladder="per-title",
    )


@pytest.fixture(scope="module")
def short_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("per-title-media") / "short.mp4"
    return media.make_clip(path, size="640x360", seconds=3)


def test_an_ingested_version_keeps_its_ladder_decision(
    client: TestClient, app: FastAPI, short_master: Path
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    title_id = new_title(app)
    status = upload(client, editor, short_master.read_bytes(), title_id=str(title_id))

    assert make_worker(app).run(once=True) == 1

    job = job_of(app, status)
    assert job.state is JobState.SUCCEEDED, job.last_error
    (version,) = versions_of(app, title_id)
    decision = version.ladder_decision
    assert decision is not None
    rungs = decision["rungs"]
    assert [r.name for r in version.renditions] == [r["name"] for r in rungs]
    assert all(0 < r["vmaf"] <= 95.0 and r["crf"] > 0 for r in rungs)
    assert {p["name"] for p in decision["points"]} == {"240p", "360p"}
    assert decision["hull"]
    assert decision["policy"]["target_vmaf"] == 95.0
    assert_plays(app, version)

"""Ingest progress as the job API shows it: stage, "encode i/n" steps and an overall percent."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from tests.ingest.test_tasks import make_worker, new_title, upload
from tests.media import sources as media
from tests.support import signup_with_role

STAGES = ["probe", "encode", "package", "artwork", "upload", "publish"]


@pytest.fixture(scope="module")
def three_rungs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s of 854x480: a 240p, 360p and 480p ladder."""
    path = tmp_path_factory.mktemp("progress-media") / "three.mp4"
    return media.make_clip(path, size="854x480", seconds=6)


def test_the_job_api_shows_each_stage_and_encode_steps(
    client: TestClient, app: FastAPI, three_rungs: Path
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    title_id = new_title(app)
    status = upload(client, editor, three_rungs.read_bytes(), title_id=str(title_id))
    worker = make_worker(app)
    record = worker._progress
    seen: list[tuple[str, float]] = []

    def record_and_read(job_id: uuid.UUID, stage: str, percent: float) -> None:
        record(job_id, stage, percent)
        # What an editor polling the job would see right after this report.
        job = client.get(f"/api/v1/admin/jobs/{job_id}", headers=editor.headers).json()
        seen.append((job["stage"], job["percent"]))

    worker._progress = record_and_read  # type: ignore[method-assign]
    assert worker.run(once=True) == 1
    final = client.get(f"/api/v1/admin/jobs/{status['job_id']}", headers=editor.headers).json()
    assert (final["state"], final["stage"], final["percent"]) == ("succeeded", "publish", 100.0)

    stages = [stage.split(" ")[0] for stage, _ in seen]
    assert sorted(set(stages), key=stages.index) == STAGES
    steps = [stage for stage, _ in seen if stage.startswith("encode")]
    # FFmpeg reports its clock a few times a second, so a fast pass may skip a step.
    assert len(set(steps)) >= 2
    assert steps[-1] == "encode 3/3"
    assert steps == sorted(steps)
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents)
    assert seen[-1] == ("publish", 100.0)
    encode_percents = [p for stage, p in seen if stage.startswith("encode")]
    assert min(encode_percents) >= 5.0
    assert max(encode_percents) <= 70.0

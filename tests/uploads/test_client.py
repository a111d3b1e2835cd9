"""`marquee ingest` and its tus client against a live server, with a worker processing the job."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from marquee.accounts.models import Role
from marquee.cli import app as cli
from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs.registry import JobContext, JobKind, JobSpec, Registry
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from marquee.storage import keys
from marquee.storage.base import read_all
from marquee.uploads.client import UploadClient, UploadFailed, login
from tests.catalog.factories import make_title
from tests.services import free_port, serve_app
from tests.support import PASSWORD, ApiUser, signup_with_role

MIB = 1024 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"upload_part_bytes": MIB})


@pytest.fixture
def editor(client: TestClient, app: FastAPI) -> ApiUser:
    return signup_with_role(client, app, Role.EDITOR)


@pytest.fixture
def title_id(app: FastAPI) -> str:
    with transaction(app.state.runtime.sessionmaker) as session:
        return str(make_title(session).id)


@pytest.fixture
def base(app: FastAPI) -> Any:
    with serve_app(app, free_port()) as url:
        yield url


def _master(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "master.mov"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return path


def test_the_client_resumes_from_the_servers_offset(
    app: FastAPI, base: str, editor: ApiUser, title_id: str, tmp_path: Path
) -> None:
    source = _master(tmp_path, 3 * MIB + 17)
    token = login(base, editor.email, PASSWORD)
    first = UploadClient(base, token, chunk_size=MIB)
    url = first.create(source.stat().st_size, {"title_id": title_id, "filename": "master.mov"})
    assert first.send(url, source, stop_at=MIB + 5) == MIB + 5
    first.close()
    seen: list[int] = []
    second = UploadClient(base, token, chunk_size=MIB)
    assert second.send(url, source, on_progress=seen.append) == source.stat().st_size
    assert seen[0] == MIB + 5
    assert seen[-1] == source.stat().st_size
    status = second.status(url)
    second.close()
    assert status["state"] == "complete"
    assert read_all(app.state.runtime.store, keys.upload(status["id"])) == source.read_bytes()


class _FirstHeadsAnswer502:
    """The served app behind a balancer whose replica just died: the first `count` HEADs get
    the balancer's 502, the rest reach the app."""

    def __init__(self, app: FastAPI, count: int) -> None:
        self.app, self.left = app, count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD" and self.left > 0:
            self.left -= 1
            await Response(status_code=502)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_a_502_asking_for_the_offset_is_retried(
    app: FastAPI, editor: ApiUser, title_id: str, tmp_path: Path
) -> None:
    source = _master(tmp_path, MIB + 3)
    with serve_app(_FirstHeadsAnswer502(app, 2), free_port()) as base:
        client = UploadClient(base, login(base, editor.email, PASSWORD), retry_delay=0.01)
        url = client.create(source.stat().st_size, {"title_id": title_id, "filename": "m.mov"})
        assert client.send(url, source) == source.stat().st_size
        client.close()


def test_refusals_are_reported_not_retried(base: str, editor: ApiUser, tmp_path: Path) -> None:
    with pytest.raises(UploadFailed):
        login(base, editor.email, "wrong password!")
    client = UploadClient(base, login(base, editor.email, PASSWORD))
    with pytest.raises(UploadFailed, match="refused"):
        client.create(10, {"filename": "unbound.mov"})
    client.close()


def _fake_ingest(ctx: JobContext) -> dict[str, Any]:
    for n in range(1, 4):
        ctx.progress(f"encode rendition {n}/3", n * 30)
        time.sleep(0.05)
    return {"upload_id": ctx.payload["upload_id"]}


def test_marquee_ingest_uploads_then_follows_processing(
    app: FastAPI,
    base: str,
    editor: ApiUser,
    title_id: str,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_runtime: Callable[[Settings], Runtime],
) -> None:
    monkeypatch.setenv("MARQUEE_VAR_DIR", str(tmp_path / "cli-var"))
    worker = Worker(
        runtime=make_runtime(settings.model_copy(update={"job_poll_seconds": 0.05})),
        registry=Registry([JobSpec(kind=JobKind.INGEST, handler=_fake_ingest)]),
    )
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        source = _master(tmp_path, 2 * MIB + 3)
        args = ["ingest", str(source), "--title", title_id, "--server", base]
        args += ["--email", editor.email, "--password", PASSWORD]
        result = CliRunner().invoke(cli, args)
    finally:
        worker.request_stop()
        runner.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert "uploaded master.mov" in result.output
    assert "processed" in result.output
    # A finished upload leaves nothing to resume.
    assert (tmp_path / "cli-var" / "ingest-uploads.json").read_text().strip() == "{}"


def test_marquee_ingest_explains_a_refusal(
    base: str, editor: ApiUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARQUEE_VAR_DIR", str(tmp_path / "cli-var"))
    source = _master(tmp_path, 10)
    args = ["ingest", str(source), "--server", base, "--email", editor.email]
    result = CliRunner().invoke(cli, [*args, "--password", PASSWORD, "--no-wait"])
    assert result.exit_code == 1
    assert "refused" in result.output

"""`marquee ingest` follows its job through a server that blinks (a restart, a lost replica)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from marquee.accounts.models import Role
from marquee.cli import app as cli
from marquee.config import Settings
from marquee.db import transaction
from marquee.jobs.registry import JobContext, JobKind, JobSpec, Registry
from marquee.jobs.worker import Worker
from marquee.runtime import Runtime
from tests.catalog.factories import make_title
from tests.services import free_port, serve_app
from tests.support import PASSWORD, signup_with_role

JOBS_PATH = "/api/v1/admin/jobs/"


@dataclass
class Blinks:
    """ASGI wrapper: the first `statuses` job look-ups fail as a restarting server's would."""

    app: FastAPI
    statuses: list[int]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(JOBS_PATH) and self.statuses:
            status = self.statuses.pop(0)
            body = json.dumps({"type": "/problems/not_ready", "status": status}).encode()
            headers = [(b"content-type", b"application/problem+json")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _slow_ingest(ctx: JobContext) -> dict[str, Any]:
    for n in range(1, 4):
        ctx.progress(f"encode {n}/3", n * 30)
        time.sleep(0.3)
    return {"upload_id": ctx.payload["upload_id"]}


@pytest.fixture
def worker(settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Iterator[Worker]:
    worker = Worker(
        runtime=make_runtime(settings.model_copy(update={"job_poll_seconds": 0.05})),
        registry=Registry([JobSpec(kind=JobKind.INGEST, handler=_slow_ingest)]),
    )
    runner = threading.Thread(target=worker.run)
    runner.start()
    yield worker
    worker.request_stop()
    runner.join(timeout=30)
    assert not runner.is_alive()


def test_marquee_ingest_follows_its_job_through_transient_server_errors(
    app: FastAPI,
    client: TestClient,
    worker: Worker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARQUEE_VAR_DIR", str(tmp_path / "cli-var"))
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        title_id = str(make_title(session).id)
    blinks = Blinks(app, [503, 500, 502])
    source = tmp_path / "master.mov"
    source.write_bytes(b"m" * 4096)
    with serve_app(blinks, free_port()) as base:
        args = ["ingest", str(source), "--title", title_id, "--server", base]
        result = CliRunner().invoke(cli, [*args, "--email", editor.email, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert blinks.statuses == []  # every blink was met and outlived
    assert "asking again" in result.output
    assert "processed" in result.output

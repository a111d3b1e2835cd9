"""`marquee stack up | status | down` for real: every service on loopback, then all gone."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from marquee.cli import app as cli
from marquee.stack_services import Stack, alive, postgres_folder
from tests.services import free_port


def test_stack_up_serves_through_the_balancer_survives_a_replica_and_goes_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARQUEE_VAR_DIR", str(tmp_path / "var"))
    port = free_port()
    runner = CliRunner()
    state_file = tmp_path / "var" / "stack" / "stack.json"
    try:
        up = runner.invoke(
            cli, ["stack", "up", "--api", "2", "--workers", "1", "--port", str(port)]
        )
        assert up.exit_code == 0, up.output
        state = json.loads(state_file.read_text())
        assert state["url"] == f"http://127.0.0.1:{port}"
        kinds = sorted(c["kind"] for c in state["components"])
        assert kinds == ["api", "api", "nginx", "nginx", "postgresql", "redis", "s3", "worker"]
        assert all(alive(c["pid"]) for c in state["components"])
        ready = httpx.get(f"{state['url']}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        again = runner.invoke(cli, ["stack", "up", "--api", "2", "--workers", "1"])
        assert again.exit_code == 0, again.output
        assert json.loads(state_file.read_text()) == state  # nothing restarted
        worker = next(c for c in state["components"] if c["kind"] == "worker")
        assert "marquee_worker_up 1.0" in httpx.get(worker["url"], timeout=10).text

        account = {"email": "kept@example.org", "password": "stack-" + "Vq8rT2pZ-long"}
        made = httpx.post(f"{state['url']}/api/v1/auth/register", json=account, timeout=10)
        assert made.status_code == 201, made.text

        first_api = next(c for c in state["components"] if c["kind"] == "api")
        os.kill(first_api["pid"], signal.SIGKILL)
        answers = [httpx.get(f"{state['url']}/readyz", timeout=10) for _ in range(20)]
        assert [a.status_code for a in answers] == [200] * 20
        status = runner.invoke(cli, ["stack", "status"])
        assert status.exit_code == 1  # one replica is down, and status says so
        assert "DOWN" in status.output

        # Up again after a death: every component restarts, the in-memory S3 server with
        # them, so the database starts empty too rather than pointing at media that is gone.
        redo = runner.invoke(cli, ["stack", "up", "--api", "1", "--workers", "1"])
        assert redo.exit_code == 0, redo.output
        state = json.loads(state_file.read_text())
        assert httpx.get(f"{state['url']}/readyz", timeout=10).status_code == 200
        login = httpx.post(f"{state['url']}/api/v1/auth/login", json=account, timeout=10)
        assert login.status_code == 401, login.text
    finally:
        down = runner.invoke(cli, ["stack", "down"])
    assert down.exit_code == 0, down.output
    assert not state_file.exists()
    assert not any(alive(c["pid"]) for c in state["components"])
    shutil.rmtree(postgres_folder(Stack(tmp_path / "var" / "stack")), ignore_errors=True)

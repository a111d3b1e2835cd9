"""Logs an operator can ship (one JSON object a line, uvicorn's too; an error logged once)
and the dependency-error metric."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from marquee.app import create_app
from marquee.config import Settings
from tests.services import free_port, wait_for_port
from tests.support import assert_problem

ROOT = Path(__file__).resolve().parents[2]


def test_every_log_line_is_json_and_an_unhandled_error_is_logged_once(
    db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "tests.observability.boom_server", db_url]
    proc = subprocess.Popen(
        [*command, str(tmp_path / "var"), str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, timeout=60)
        boom = httpx.get(f"http://127.0.0.1:{port}/boom", headers={"X-Request-Id": "boom-1"})
        assert_problem(boom, 500, "internal_error")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    lines = [line for line in (out + err).decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # each line alone is one JSON object
    loggers = {record["logger"] for record in records}
    assert "uvicorn.error" in loggers  # the server's own lines ("Started server process")
    assert "marquee.access" in loggers
    failures = [line for line in lines if "kaboom in the handler" in line]
    assert len(failures) == 1, failures
    failure = json.loads(failures[0])
    assert failure["request_id"] == "boom-1"
    assert "RuntimeError" in failure["exc"]


def test_a_request_that_the_database_fails_counts_a_dependency_error(tmp_path: Path) -> None:
    # Nothing listens there: every connection is refused, as with PostgreSQL down.
    away = f"postgresql+psycopg://marquee@127.0.0.1:{free_port()}/marquee"
    create_engine(away).dispose()
    app = create_app(
        Settings(
            env="test",
            database_url=away,
            var_dir=tmp_path / "var",
            json_logs=False,
            metrics_public=True,
        )
    )
    client = TestClient(app, raise_server_exceptions=False)

    def database_errors() -> float:
        page = client.get("/metrics").text
        return next(
            sample.value
            for family in text_string_to_metric_families(page)
            for sample in family.samples
            if sample.name == "marquee_dependency_errors_total"
            and sample.labels == {"dependency": "database"}
        )

    login = {"email": "a@example.com", "password": "x" * 12}
    refused = client.post("/api/v1/auth/login", json=login)
    assert refused.status_code == 503
    assert refused.json()["type"] == "/problems/database_unavailable"
    first = database_errors()
    assert first == 1
    # That scrape could not read the queue and stream-slot gauges either: two more.
    assert database_errors() == first + 2
    app.state.runtime.close()

"""Real `marquee worker` processes for tests: started with the test's database, killed and
waited for at the end (the shutdown, SIGKILL and metrics tests share this)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

Spawn = Callable[[], subprocess.Popen[bytes]]


@contextmanager
def worker_processes(
    db_url: str,
    tmp_path: Path,
    *,
    modules: str,
    lease_seconds: float,
    kinds: str = "",
) -> Iterator[Spawn]:
    """Yields `start()`, which runs one more worker (output in tmp_path/worker-N.out)."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARQUEE_ENV": "test",
        "MARQUEE_DATABASE_URL": db_url,
        "MARQUEE_VAR_DIR": str(tmp_path / "var"),
        "MARQUEE_JOB_MODULES": modules,
        "MARQUEE_JOB_LEASE_SECONDS": str(lease_seconds),
        "MARQUEE_JOB_POLL_SECONDS": "0.1",
        "MARQUEE_JSON_LOGS": "false",
    }
    args = [sys.executable, "-m", "marquee.cli", "worker", *(["--kinds", kinds] if kinds else [])]

    def start() -> subprocess.Popen[bytes]:
        # A file, not a pipe: a full pipe buffer would stall a chatty worker.
        with (tmp_path / f"worker-{len(started)}.out").open("wb") as output:
            proc = subprocess.Popen(
                args, env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT
            )
        started.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")

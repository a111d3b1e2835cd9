"""Private Redis and S3 servers that a test may kill, freeze and restart (its own PostgreSQL
comes from `tests.services.postgres_server`).

The session-wide servers of `tests.services` are shared by every test; these are one
test's own (own port, own data directory), so breaking them disturbs nobody. Each keeps
its port across restarts, as a restarted service does in production, and `close()` stops
and reaps whatever is still running.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import free_port, wait_for_port


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._root = Path(tempfile.mkdtemp(prefix="marquee-redis-"))
        self._proc: subprocess.Popen[bytes] | None = None
        self._frozen = False

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        command = [binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        # No persistence: a restart forgets every key, the worst case.
        command += ["--dir", str(self._root), "--save", "", "--appendonly", "no"]
        self._proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port(self.port)

    def kill(self) -> None:
        """SIGKILL: gone at once, keys and all."""
        self.thaw()
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGSTOP)
        self._frozen = True

    def thaw(self) -> None:
        if self._frozen and self._proc is not None:
            os.kill(self._proc.pid, signal.SIGCONT)
        self._frozen = False

    def restart(self) -> None:
        self.kill()
        self.start()

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self._root, ignore_errors=True)


class MotoServer:
    """moto's S3 server; it keeps its objects in memory, so a restart starts empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self._proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, timeout=60)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    def close(self) -> None:
        self.stop()


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


def assert_unavailable(response: object, code: str) -> dict[str, object]:
    """503 problem+json of type `code`, telling the client when to try again."""
    from httpx import Response

    from tests.support import assert_problem

    body = assert_problem(response, 503, code)
    assert isinstance(response, Response)
    assert int(response.headers["Retry-After"]) >= 1
    return body


def dependency_errors(client: object, dependency: str) -> float:
    """`marquee_dependency_errors_total{dependency=...}` as /metrics shows it now."""
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    prefix = f'marquee_dependency_errors_total{{dependency="{dependency}"}} '
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0

"""Private Redis, PostgreSQL and S3 servers that a test may kill, freeze and restart.

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

from tests.services import PG_BIN, _as_postgres, free_port, wait_for_port


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


class PostgresServer:
    """A PostgreSQL 15 cluster of its own, stopped and started again with `pg_ctl`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql+psycopg://marquee@127.0.0.1:{self.port}/marquee"
        self._root = Path(tempfile.mkdtemp(prefix="marquee-pg-outage-"))
        self._data = self._root / "data"
        self._running = False
        if os.geteuid() == 0:
            shutil.chown(self._root, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(self._data), "-U", "marquee"]
        initdb += ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self._data), *args]
        subprocess.run(_as_postgres(command), check=True, capture_output=True)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._root} -c fsync=off"
        self._ctl("-o", options, "-l", str(self._root / "log"), "-w", "start")
        self._running = True

    def create_database(self) -> None:
        createdb = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
        subprocess.run(_as_postgres([*createdb, "-U", "marquee", "marquee"]), check=True)

    def stop(self) -> None:
        """Immediate shutdown: every connection is cut, as when the server crashes."""
        if self._running:
            self._ctl("-m", "immediate", "-w", "stop")
            self._running = False

    def close(self) -> None:
        self.stop()
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
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        server.create_database()
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

"""Real services for the test session, started on loopback in throwaway directories."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path(os.environ.get("MARQUEE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; drop to the postgres user when we are root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class PostgresServer:
    """A PostgreSQL 15 cluster of its own on a free loopback port, in a throwaway directory;
    it keeps its port across `stop()` and `start()`, as a restarted server does."""

    def __init__(self, *, crash_safe: bool = False) -> None:
        # A crash-safe server keeps what a commit acknowledged through an immediate stop, as a
        # real one does; the session's server trades that for speed.
        self.crash_safe = crash_safe
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN}; run ./marquee test")
        self.port = free_port()
        self.url = f"postgresql+psycopg://marquee@127.0.0.1:{self.port}/marquee"
        self._root = Path(tempfile.mkdtemp(prefix="marquee-pg-"))
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
        # No fsync: a test cluster is thrown away, and fsyncs would dominate the suite.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._root} -c fsync=off "
            "-c max_connections=300"
        )
        if not self.crash_safe:
            # Commits return before their WAL is written: lost if the server is killed.
            options += " -c synchronous_commit=off -c full_page_writes=off"
        self._ctl("-o", options, "-l", str(self._root / "log"), "-w", "start")
        self._running = True

    def create_database(self) -> None:
        createdb = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
        command = _as_postgres([*createdb, "-U", "marquee", "marquee"])
        subprocess.run(command, check=True, capture_output=True)

    def stop(self) -> None:
        """Immediate shutdown: every connection is cut, as when the server crashes."""
        if self._running:
            self._ctl("-m", "immediate", "-w", "stop")
            self._running = False

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self._root, ignore_errors=True)


@contextmanager
def postgres_server(*, crash_safe: bool = False) -> Iterator[PostgresServer]:
    server = PostgresServer(crash_safe=crash_safe)
    try:
        server.start()
        server.create_database()
        yield server
    finally:
        server.close()


@contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL 15 cluster for the test session; yields a SQLAlchemy URL."""
    with postgres_server() as server:
        yield server.url


@contextmanager
def redis() -> Iterator[str]:
    """A Redis server on a free loopback port, no persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found; run ./marquee test")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def moto_s3() -> Iterator[str]:
    """moto's standalone S3 API server on a free loopback port; yields its endpoint URL."""
    import sys

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def serve_app(app: object, port: int) -> Iterator[str]:
    """An ASGI app under uvicorn on loopback, in a thread, until the block ends."""
    import threading

    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def nginx(config: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Debian's nginx in the foreground with `config` (prefix: its folder) until the block ends."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    error_log = config.parent / "startup-error.log"
    command = [binary, "-e", str(error_log), "-p", str(config.parent), "-c", str(config)]
    proc = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                log = error_log.read_text() if error_log.exists() else ""
                raise RuntimeError(f"nginx exited with {proc.returncode}: {log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx is not listening on {port}") from None
                time.sleep(0.02)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)

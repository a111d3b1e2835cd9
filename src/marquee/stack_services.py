"""The processes of `marquee stack`: a folder per stack, and the backing services it starts
(PostgreSQL, Redis, an S3 API server), each in a session of its own on loopback."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("MARQUEE_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_TIMEOUT = 90.0


class StackError(Exception):
    """Something the stack needs is missing or would not start."""


@dataclass
class Component:
    name: str
    kind: str
    pid: int
    url: str | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with {proc.returncode}; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"{what} is not listening on 127.0.0.1:{port}")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z"


class Stack:
    """One stack's folder: its secrets, data, logs and `stack.json`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state_file = root / "stack.json"
        self.logs = root / "logs"

    def load(self) -> dict[str, object] | None:
        try:
            loaded: dict[str, object] = json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return loaded

    def components(self) -> list[Component]:
        state = self.load() or {}
        listed = state.get("components", [])
        assert isinstance(listed, list)
        return [Component(**item) for item in listed]

    def secrets(self) -> dict[str, str]:
        """Made once and kept (0600), so that a restarted stack still reads its own data."""
        path = self.root / "secrets.json"
        if path.exists():
            kept: dict[str, str] = json.loads(path.read_text())
            return kept
        made = {
            "MARQUEE_SECRET_KEY": secrets.token_urlsafe(48),
            "MARQUEE_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
            "MARQUEE_MEDIA_LINK_SECRET": secrets.token_urlsafe(32),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(made))
        return made

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        """A background process in a session of its own (a terminal's Ctrl-C is not its
        concern), writing to logs/<name>.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.root,
            )


def as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def postgres_folder(stack: Stack) -> Path:
    """Where the stack's cluster lives. Run as root, PostgreSQL runs as `postgres`, which
    may not reach into root's folders (a home, pytest's temp): then a folder of its own
    in the system temp directory, one per stack."""
    if os.geteuid() != 0:
        return stack.root / "postgresql"
    digest = hashlib.sha256(str(stack.root).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"marquee-stack-postgresql-{digest}"


def start_postgres(stack: Stack) -> tuple[Component, str]:
    if not (PG_BIN / "initdb").exists():
        raise StackError(f"PostgreSQL 15 is not installed ({PG_BIN}); apt-get install postgresql")
    folder = postgres_folder(stack)
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not data.exists():
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "marquee", "--auth=trust"]
        subprocess.run(
            as_postgres([*initdb, "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True,
            capture_output=True,
        )
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=300"
    start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
    subprocess.run(as_postgres([*start, "-w", "start"]), check=True, capture_output=True)
    pid = int((data / "postmaster.pid").read_text().split()[0])
    create = [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "marquee"]
    made = subprocess.run(as_postgres([*create, "marquee"]), capture_output=True, text=True)
    if made.returncode != 0 and "already exists" not in made.stderr:
        raise StackError(f"createdb failed: {made.stderr}")
    url = f"postgresql+psycopg://marquee@127.0.0.1:{port}/marquee"
    return Component("postgresql", "postgresql", pid, f"postgresql://127.0.0.1:{port}"), url


def start_redis(stack: Stack) -> tuple[Component, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError("redis-server is not installed; apt-get install redis-server")
    folder = stack.root / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
    proc = stack.spawn("redis", [*command, "--appendonly", "yes", "--save", ""], dict(os.environ))
    wait_for_port(port, proc, "redis")
    url = f"redis://127.0.0.1:{port}/0"
    return Component("redis", "redis", proc.pid, url), url


def start_s3(stack: Stack) -> tuple[Component, str]:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = stack.spawn("s3", command, dict(os.environ))
    wait_for_port(port, proc, "the S3 server")
    url = f"http://127.0.0.1:{port}"
    return Component("s3", "s3", proc.pid, url), url

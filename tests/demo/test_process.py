"""`marquee demo` run as a process: its worker child ends with it, even after kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

MINI = Path(__file__).parents[1] / "catalog" / "fixtures" / "ml-mini"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _workers_of(parent: int) -> list[int]:
    """Live (not zombie) `marquee worker` children of `parent`."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_bytes().rsplit(b")", 1)[-1].split()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if stat[0] != b"Z" and int(stat[1]) == parent and b"worker" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return False


def _wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_the_demo_worker_dies_with_a_killed_demo(tmp_path: Path) -> None:
    var = tmp_path / "var"
    shutil.copytree(MINI, var / "cache" / "ml-100k")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARQUEE_ENV": "test",
        "MARQUEE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "MARQUEE_VAR_DIR": str(var),
        "MARQUEE_JSON_LOGS": "false",
        "MARQUEE_LOG_LEVEL": "WARNING",
    }
    args = [sys.executable, "-m", "marquee.cli", "demo", "--no-media", "--port", str(_free_port())]
    with (tmp_path / "demo.out").open("wb") as output:
        demo = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=output, stderr=output)
    worker = None
    try:
        assert _wait_for(lambda: _workers_of(demo.pid) or demo.poll() is not None, 180), (
            tmp_path / "demo.out"
        ).read_text()
        assert demo.poll() is None, (tmp_path / "demo.out").read_text()
        (worker,) = _workers_of(demo.pid)
        demo.send_signal(signal.SIGKILL)
        demo.wait(timeout=10)
        assert _wait_for(lambda: not _alive(worker), 10), "the worker outlived the demo"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
        if worker is not None and _alive(worker):
            os.kill(worker, signal.SIGKILL)
            _wait_for(lambda: not _alive(worker), 10)

"""`./marquee`'s web client step: npm ci only when the lock changes, a build only when sources do."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A stand-in npm that records its arguments and does what `ci` and `run build` leave behind.
FAKE_NPM = """#!/usr/bin/env bash
echo "$*" >> "$NPM_LOG"
case "$1" in
  ci) mkdir -p node_modules ;;
  run) mkdir -p ../src/marquee/web/dist && echo built > ../src/marquee/web/dist/index.html ;;
esac
"""


def _function(name: str) -> str:
    script = (ROOT / "marquee").read_text()
    start = script.index(f"{name}() {{")
    end = script.index("\n}\n", start) + 3
    return script[start:end]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "web" / "src").mkdir(parents=True)
    (tmp_path / "web" / "package-lock.json").write_text('{"v": 1}')
    (tmp_path / "web" / "src" / "main.ts").write_text("export {};")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(0o755)
    return tmp_path


def _run(project: Path) -> list[str]:
    log = project / "npm.log"
    log.unlink(missing_ok=True)
    program = f"set -euo pipefail\nlog() {{ :; }}\n{_function('ensure_web')}\nensure_web\n"
    env = {**os.environ, "PATH": f"{project / 'bin'}:{os.environ['PATH']}", "NPM_LOG": str(log)}
    subprocess.run(["bash", "-c", program], cwd=project, env=env, check=True, timeout=60)
    return log.read_text().splitlines() if log.exists() else []


def _changed(project: Path, path: Path) -> None:
    """`path` changed after the last build (backdated stamp: file systems may keep whole seconds)."""
    now = time.time()
    stamp = project / "src/marquee/web/dist/.built"
    os.utime(stamp, (now - 10, now - 10))
    os.utime(path, (now - 5, now - 5))


def test_first_run_installs_and_builds(project: Path) -> None:
    calls = _run(project)
    assert calls[0].startswith("ci")
    assert calls[1].startswith("run")
    assert "build" in calls[1]
    assert (project / "src/marquee/web/dist/.built").is_file()


def test_nothing_changed_does_nothing(project: Path) -> None:
    _run(project)
    assert _run(project) == []


def test_a_changed_source_rebuilds_without_reinstalling(project: Path) -> None:
    _run(project)
    _changed(project, project / "web" / "src" / "main.ts")
    calls = _run(project)
    assert len(calls) == 1
    assert "build" in calls[0]


def test_a_changed_lock_file_reinstalls_and_rebuilds(project: Path) -> None:
    _run(project)
    lock = project / "web" / "package-lock.json"
    lock.write_text('{"v": 2}')
    _changed(project, lock)
    calls = _run(project)
    assert calls[0].startswith("ci")
    assert "build" in calls[1]
    assert _run(project) == []

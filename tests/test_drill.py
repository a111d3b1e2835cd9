"""A shortened drill, so that it cannot rot: a real stack, a few viewers, one replica killed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from marquee.stack_services import Stack, postgres_folder
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_a_short_drill_loses_nothing_when_a_replica_dies(tmp_path: Path) -> None:
    figures = tmp_path / "drill.json"
    command = [sys.executable, str(ROOT / "bench" / "drill.py"), "--viewers", "6"]
    command += ["--phases", "replica", "--phase-seconds", "12", "--background-seconds", "6"]
    command += ["--title-seconds", "12", "--port", str(free_port())]
    command += ["--var-dir", str(tmp_path / "var"), "--json", str(figures)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=840, cwd=ROOT)
    finally:
        # Run as root, the stack's cluster lives outside its folder (see postgres_folder).
        shutil.rmtree(postgres_folder(Stack(tmp_path / "var" / "stack")), ignore_errors=True)
    assert done.returncode == 0, done.stdout + done.stderr
    found = json.loads(figures.read_text())
    phases = {p["phase"]: p for p in found["phases"]}
    assert list(phases) == ["baseline", "replica"]
    assert phases["replica"]["action"].startswith("kill -9 api-1")
    for phase in phases.values():
        assert phase["requests"] > 6  # every viewer played
        assert phase["errors"] == {}, phase
    assert found["acknowledged"] == 6
    assert found["lost_positions"] == 0
    for upload in found["uploads"]:
        assert (upload["job"], upload["lost_bytes"], upload["stored_whole"]) == (
            "succeeded",
            0,
            True,
        ), upload
    # `stack down` ran, and nothing the stack started is left.
    assert not (tmp_path / "var" / "stack" / "stack.json").exists()
    assert found["left_running"] == []

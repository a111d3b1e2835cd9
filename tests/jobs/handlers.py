"""Job kinds that exist only for tests; workers load them via MARQUEE_JOB_MODULES."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from marquee.jobs.models import Job
from marquee.jobs.registry import JobContext, JobInterrupted, JobSpec, PermanentJobError
from marquee.storage.local import LocalStore


def _note(path: str, line: str) -> None:
    # O_APPEND keeps lines from concurrent processes whole.
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def slow_write(ctx: JobContext) -> dict[str, Any]:
    """Sleep in steps (reporting progress), then store the output atomically at the end."""
    payload = ctx.payload
    _note(payload["log"], f"start {os.getpid()} {ctx.attempt}")
    steps = 10
    for step in range(steps):
        time.sleep(float(payload["seconds"]) / steps)
        ctx.progress(f"step {step + 1}/{steps}", 100 * (step + 1) / steps)
    store = LocalStore(Path(payload["out"]))
    store.put("result/output.bin", [b"x" * 1024] * int(payload.get("kib", 256)))
    _note(payload["log"], f"finish {os.getpid()} {ctx.attempt}")
    return {"pid": os.getpid()}


def flaky(ctx: JobContext) -> dict[str, Any]:
    if ctx.attempt < int(ctx.payload["succeed_on"]):
        raise RuntimeError(f"transient failure on attempt {ctx.attempt}")
    return {"attempt": ctx.attempt}


def bad_input(ctx: JobContext) -> None:
    raise PermanentJobError("the file is not a video: no video stream found")


def polite(ctx: JobContext) -> None:
    """Runs until told to stop, then hands the job back."""
    _note(ctx.payload["log"], f"start {os.getpid()} {ctx.attempt}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ctx.should_stop():
            raise JobInterrupted
        time.sleep(0.05)


def stubborn(ctx: JobContext) -> None:
    """Ignores should_stop() for a while: the worker must record a timeout."""
    time.sleep(float(ctx.payload["seconds"]))


def mark_dead(session: Session, job: Job) -> None:
    job.stage = f"failed: {job.last_error}"


JOBS = [
    JobSpec(kind="test.slow_write", handler=slow_write, attempts=3, timeout_seconds=60),
    JobSpec(
        kind="test.flaky",
        handler=flaky,
        attempts=3,
        backoff_seconds=0.0,
        on_dead=mark_dead,
    ),
    JobSpec(kind="test.bad_input", handler=bad_input, on_dead=mark_dead),
    JobSpec(kind="test.polite", handler=polite),
    JobSpec(kind="test.stubborn", handler=stubborn, attempts=1, timeout_seconds=0.3),
]

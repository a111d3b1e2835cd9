"""Job kinds for the shutdown tests: real FFmpeg encodes, loaded by workers via MARQUEE_JOB_MODULES."""

from __future__ import annotations

import os
import time
from typing import Any

from marquee.jobs.registry import JobContext, JobSpec
from marquee.media import ffmpeg


def _note(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _encode(ctx: JobContext, seconds: float) -> None:
    """A synthetic 640x360 encode of `seconds` of video, reporting FFmpeg's progress."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "medium", "-threads", "1", "-f", "null", "-"]
    ffmpeg.run(args, timeout=600, duration=seconds, stage="encode", progress=ctx.progress)


def long_encode(ctx: JobContext) -> dict[str, Any]:
    """An hour of video to encode: a shutdown or a kill always lands in the middle of it."""
    _note(ctx.payload["log"], f"start {os.getpid()} {ctx.attempt}")
    _encode(ctx, 3600.0)
    _note(ctx.payload["log"], f"finish {os.getpid()} {ctx.attempt}")
    return {"encoded": True}


def encode_then_publish(ctx: JobContext) -> dict[str, Any]:
    """A short encode, then a slow step with no tools (as uploading and publishing are)."""
    _encode(ctx, 1.0)
    _note(ctx.payload["log"], f"encoded {os.getpid()} {ctx.attempt}")
    time.sleep(float(ctx.payload["publish_seconds"]))
    _note(ctx.payload["log"], f"published {os.getpid()} {ctx.attempt}")
    return {"published": True}


JOBS = [
    JobSpec(kind="test.long_encode", handler=long_encode, attempts=3, timeout_seconds=900),
    JobSpec(kind="test.encode_then_publish", handler=encode_then_publish, timeout_seconds=900),
]

"""Runs the bundled FFmpeg build with timeouts, progress reporting and readable failures."""

from __future__ import annotations

import collections
import functools
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import imageio_ffmpeg

from marquee.children import die_with_parent
from marquee.media.errors import TranscodeFailed

Progress = Callable[[str, float], None]
"""`progress(stage, percent)`: percent runs from 0 to 100 within one stage."""

STDERR_LINES_KEPT = 12
# How often FFmpeg reports its clock (default 0.5 s): short encodes still show their steps.
STATS_PERIOD = "0.2"


@functools.cache
def ffmpeg_exe() -> str:
    """The static FFmpeg shipped in the `imageio-ffmpeg` wheel: no system install needed."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _drain(stream: IO[str], tail: collections.deque[str]) -> None:
    for line in stream:
        stripped = line.rstrip()
        if stripped:
            tail.append(stripped)


def _read_progress(
    stream: IO[str], duration: float | None, stage: str, progress: Progress | None
) -> None:
    last = -1.0
    for line in stream:
        key, _, value = line.strip().partition("=")
        if progress is None or not duration or key != "out_time_us" or not value.isdigit():
            continue
        percent = min(100.0, int(value) / 1e6 / duration * 100.0)
        # Only whole-percent steps: callers may write each report to a database.
        if percent - last >= 1.0:
            last = percent
            progress(stage, round(percent, 1))


def run(
    args: Sequence[str | Path],
    *,
    timeout: float,
    duration: float | None = None,
    stage: str = "ffmpeg",
    progress: Progress | None = None,
    cwd: Path | None = None,
) -> None:
    """Run `ffmpeg <args>`; raise `TranscodeFailed` with FFmpeg's last words on any failure.

    `duration` (seconds of media the command produces) turns FFmpeg's `-progress`
    clock into a percentage for `progress`.
    """
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-y"]
    command += ["-loglevel", "error", "-progress", "pipe:1", "-stats_period", STATS_PERIOD]
    command += list(map(str, args))
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_LINES_KEPT)
    started = time.monotonic()
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        cwd=cwd,
        start_new_session=True,
        # Its own session keeps a terminal's Ctrl-C and the worker's SIGTERM away from it
        # (the worker decides when FFmpeg stops); it dies with the worker, however that dies.
        preexec_fn=die_with_parent(),
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        # A watchdog kills a stuck encoder: reading its pipes would otherwise block forever.
        watchdog = threading.Timer(timeout, proc.kill)
        drainer = threading.Thread(target=_drain, args=(proc.stderr, tail), daemon=True)
        watchdog.start()
        drainer.start()
        try:
            _read_progress(proc.stdout, duration, stage, progress)
            code = proc.wait()
        finally:
            watchdog.cancel()
            drainer.join(timeout=5)
    if time.monotonic() - started >= timeout and code != 0:
        raise TranscodeFailed(
            f"FFmpeg ran longer than {timeout:.0f} s during {stage} and was stopped."
        )
    if code != 0:
        reason = " | ".join(tail) or f"exit status {code}"
        raise TranscodeFailed(f"FFmpeg failed during {stage}: {reason}")
    if progress is not None:
        progress(stage, 100.0)

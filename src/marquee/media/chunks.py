"""Chunked encoding: a master cut at segment boundaries near scene cuts, each chunk encoded
on its own (by any worker), then stitched into the same CMAF package as a one-pass encode.

A chunk starts on a segment boundary, so its forced keyframes fall where the one-pass
encode puts them and the stitched renditions stay aligned. A chunk's output is written
under a temporary name and renamed when complete: a worker killed mid-chunk leaves
nothing that a re-run would trust, and chunks that finished are not encoded again.
A `ChunkCache` keeps finished chunks beyond the work directory (ingest keeps them in the
object store), so that the next attempt of a job, on any worker, starts where this one
stopped; a chunk is cached under a digest of everything that shapes its bytes.

A `ChunkRunner` decides who encodes the chunks of a `ChunkPlan`: the default runs them on
threads here; ingest hands them to any worker as jobs (`ingest/chunk_jobs.py`), and a
worker that takes one encodes it from the plan alone with `encode_planned`.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from marquee.media import ffmpeg
from marquee.media.encode import (
    SEGMENTER_MPD,
    EncodeOptions,
    EncodeResult,
    audio_args,
    common_args,
    filter_graph,
    read_segmenter_mpd,
    segment_period,
    segmenter_args,
    video_args,
)
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import Progress
from marquee.media.ladder import Ladder

DEFAULT_CHUNK_SECONDS = 20.0
# scdet's score (0-100) above which a frame starts a new scene.
SCENE_THRESHOLD = 10.0
_SCENE_TIME = re.compile(r"lavfi\.scd\.time=([0-9.]+)")


@dataclass(frozen=True)
class Chunk:
    index: int
    start: float  # seconds; always a segment boundary
    duration: float

    @property
    def name(self) -> str:
        # The range is in the name: a file from another plan is never taken for this chunk.
        return (
            f"chunk-{self.index:05d}-{round(self.start * 1000)}-{round(self.duration * 1000)}.mp4"
        )


class ChunkCache(Protocol):
    """Finished chunks kept beyond one attempt; `plan` names the encode they belong to."""

    def restore(self, plan: str, chunk: Chunk, into: Path) -> bool:
        """Write the kept chunk to `into` and say True, or False when none is kept intact."""
        ...

    def keep(self, plan: str, chunk: Chunk, path: Path) -> None: ...


@dataclass(frozen=True)
class ChunkPlan:
    """Everything a chunk's bytes depend on, so any worker can encode any chunk of it.

    `options` carries no content key: chunks are clear, the package is encrypted later.
    """

    ladder: Ladder
    options: EncodeOptions
    source_fps: Fraction
    hdr: str | None
    chunks: tuple[Chunk, ...]

    @property
    def period(self) -> float:
        return segment_period(self.ladder, self.options.segment_seconds)

    @property
    def digest(self) -> str:
        return plan_digest(self.ladder, self.period, self.options, self.source_fps, self.hdr)


class ChunkRunner(Protocol):
    """Sees that every chunk of `plan` is encoded: by calling `encode` here, or by having it
    encoded elsewhere into the `ChunkCache` (from which `encode` then restores it).
    `done(n)` reports that n chunks are finished."""

    def run(
        self, plan: ChunkPlan, encode: Callable[[Chunk], Path], done: Callable[[int], None]
    ) -> None: ...


@dataclass(frozen=True)
class ThreadRunner:
    """The chunks on `workers` threads of this process, in order."""

    workers: int = 1

    def run(
        self, plan: ChunkPlan, encode: Callable[[Chunk], Path], done: Callable[[int], None]
    ) -> None:
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            futures = [pool.submit(encode, chunk) for chunk in plan.chunks]
            try:
                for n, future in enumerate(futures, start=1):
                    future.result()
                    done(n)
            except BaseException:
                # A failed or stopped chunk ends the encode: chunks not started stay so.
                for future in futures:
                    future.cancel()
                raise


def plan_digest(
    ladder: Ladder, period: float, options: EncodeOptions, source_fps: Fraction, hdr: str | None
) -> str:
    """What a chunk's bytes depend on besides its range: a chunk of another ladder, preset
    or segment spacing is never taken for this one."""
    shape = repr((ladder.video, period, options.preset, str(source_fps), hdr))
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def scene_cuts(source: Path, work_dir: Path, *, duration: float) -> list[float]:
    """Seconds at which FFmpeg's scene detector sees a new scene, scored at a small size."""
    work_dir.mkdir(parents=True, exist_ok=True)
    log = work_dir / "scenes.txt"
    graph = f"scale=320:-2,scdet=threshold={SCENE_THRESHOLD},metadata=print:file={log.name}"
    ffmpeg.run(
        ["-i", str(source.resolve()), "-an", "-vf", graph, "-f", "null", "-"],
        timeout=120.0 + duration * 5.0,
        stage="scenes",
        cwd=work_dir,
    )
    text = log.read_text() if log.is_file() else ""
    return sorted({float(t) for t in _SCENE_TIME.findall(text)})


def plan_chunks(
    duration: float, period: float, *, chunk_seconds: float, cuts: Sequence[float] = ()
) -> tuple[Chunk, ...]:
    """Chunks of about `chunk_seconds`, each boundary on a segment boundary.

    A boundary moves to the segment boundary nearest a scene cut within half a chunk
    of where it would fall, so a chunk's fresh start (its first frames are coded with
    nothing before them) lands where the picture changes anyway.
    """
    segments = max(1, math.ceil(duration / period - 1e-9))
    per_chunk = max(1, round(chunk_seconds / period))
    cut_segments = sorted(
        {round(cut / period) for cut in cuts if 0 < round(cut / period) < segments}
    )
    bounds = [0]
    while bounds[-1] + per_chunk < segments:
        wanted = bounds[-1] + per_chunk
        near = [
            c
            for c in cut_segments
            if bounds[-1] < c < segments and abs(c - wanted) <= per_chunk / 2
        ]
        bounds.append(min(near, key=lambda c: abs(c - wanted)) if near else wanted)
    bounds.append(segments)
    chunks = []
    for index, (first, last) in enumerate(itertools.pairwise(bounds)):
        start = first * period
        end = min(duration, last * period)
        chunks.append(Chunk(index, start, end - start))
    return tuple(chunks)


def encode_chunk(
    source: Path,
    ladder: Ladder,
    chunk: Chunk,
    chunk_dir: Path,
    *,
    source_fps: Fraction,
    options: EncodeOptions,
    hdr: str | None = None,
    cache: ChunkCache | None = None,
) -> Path:
    """Every video rung of one chunk into one MP4 (a stream per rung); skipped if done here
    or kept in `cache`, and kept there once encoded."""
    done = chunk_dir / chunk.name
    if done.is_file():
        return done
    chunk_dir.mkdir(parents=True, exist_ok=True)
    period = segment_period(ladder, options.segment_seconds)
    plan = plan_digest(ladder, period, options, source_fps, hdr)
    if cache is not None and cache.restore(plan, chunk, done):
        return done
    partial = chunk_dir / f"partial-{chunk.name}"
    args = ["-ss", f"{chunk.start:.6f}", "-t", f"{chunk.duration:.6f}", "-i", str(source)]
    args += ["-filter_complex", filter_graph(ladder, source_fps, hdr)]
    for i, rung in enumerate(ladder.video):
        args += video_args(i, rung, period, options)
    args += [*common_args(options, hdr), "-an", "-f", "mp4", str(partial)]
    timeout = options.timeout_seconds or 300.0 + chunk.duration * 30.0
    ffmpeg.run(args, timeout=timeout, stage=f"chunk {chunk.index}")
    partial.rename(done)
    if cache is not None:
        cache.keep(plan, chunk, done)
    return done


def stitch(
    source: Path,
    ladder: Ladder,
    chunks: Sequence[Chunk],
    chunk_dir: Path,
    out_dir: Path,
    *,
    duration: float,
    options: EncodeOptions,
    audio_inputs: Sequence[Path] = (),
) -> EncodeResult:
    """Join the chunks' video (copied, not re-encoded) with freshly encoded audio into CMAF."""
    started = time.monotonic()
    missing = [c.name for c in chunks if not (chunk_dir / c.name).is_file()]
    if missing:
        raise TranscodeFailed(f"Chunks not encoded yet: {', '.join(missing)}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    listing = chunk_dir / "chunks.txt"
    listing.write_text("".join(f"file '{(chunk_dir / c.name).resolve()}'\n" for c in chunks))
    period = segment_period(ladder, options.segment_seconds)
    args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(source)]
    for path in audio_inputs:
        args += ["-t", f"{duration:.3f}", "-i", str(path)]
    for i in range(len(ladder.video)):
        args += ["-map", f"0:v:{i}"]
    args += ["-c:v", "copy", *audio_args(ladder, first_input=1)]
    args += segmenter_args(ladder, period, out_dir, options)
    ffmpeg.run(args, timeout=300.0 + duration * 2.0, stage="stitch")
    tracks = read_segmenter_mpd(out_dir / SEGMENTER_MPD, ladder)
    elapsed = time.monotonic() - started
    return EncodeResult(
        out_dir, out_dir / SEGMENTER_MPD, period, tracks, elapsed, options.protection
    )


def encode_planned(
    source: Path, plan: ChunkPlan, chunk: Chunk, chunk_dir: Path, cache: ChunkCache | None
) -> Path:
    """One chunk of `plan`, from the plan alone: what a worker does with a chunk job."""
    return encode_chunk(
        source, plan.ladder, chunk, chunk_dir,
        source_fps=plan.source_fps, options=plan.options, hdr=plan.hdr, cache=cache,
    )  # fmt: skip


def encode_chunked(
    source: Path,
    ladder: Ladder,
    *,
    source_fps: Fraction,
    duration: float,
    out_dir: Path,
    chunk_dir: Path,
    options: EncodeOptions | None = None,
    hdr: str | None = None,
    workers: int = 2,
    chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
    audio_inputs: Sequence[Path] = (),
    cache: ChunkCache | None = None,
    progress: Progress | None = None,
    runner: ChunkRunner | None = None,
) -> EncodeResult:
    """Plan, have `runner` encode the chunks (default: `workers` threads here), and stitch.

    Progress reads "encode i/n" for the chunk about to finish, of `n` chunks."""
    options = options or EncodeOptions()
    report = progress or (lambda stage, percent: None)
    period = segment_period(ladder, options.segment_seconds)
    cuts = scene_cuts(source, chunk_dir, duration=duration)
    chunks = plan_chunks(duration, period, chunk_seconds=chunk_seconds, cuts=cuts)
    plan = ChunkPlan(ladder, replace(options, protection=None), source_fps, hdr, chunks)
    total = len(chunks)
    report(f"encode 1/{total}", 0.0)

    def done(n: int) -> None:
        # The stitch that follows is a copy and an audio encode: a last small share.
        report(f"encode {min(n + 1, total)}/{total}", 95.0 * n / total)

    (runner or ThreadRunner(workers)).run(
        plan, lambda chunk: encode_planned(source, plan, chunk, chunk_dir, cache), done
    )
    return stitch(
        source,
        ladder,
        chunks,
        chunk_dir,
        out_dir,
        duration=duration,
        options=options,
        audio_inputs=audio_inputs,
    )

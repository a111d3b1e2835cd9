"""The whole media pipeline on local files: probe, ladder, encode, package, artwork."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from marquee.media import audio_tracks
from marquee.media import subtitles as sidecars
from marquee.media.artwork import Artwork, ArtworkOptions, make_artwork
from marquee.media.audio_tracks import AudioInput
from marquee.media.chunks import ChunkCache, ChunkRunner, encode_chunked
from marquee.media.codecs import VideoCodec
from marquee.media.encode import EncodeOptions, EncodeResult, encode
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import Progress
from marquee.media.hull import LadderDecision
from marquee.media.ladder import (
    Ladder,
    LadderMode,
    VideoRendition,
    audio_renditions,
    build_ladder,
    per_title_ladder,
)
from marquee.media.package import Package, package
from marquee.media.probe import ProbeResult, probe
from marquee.media.quality import TrialOptions, run_trials
from marquee.media.subtitles import SubtitleInput

log = logging.getLogger("marquee.media")

PACKAGE_DIR = "package"
ARTWORK_DIR = "artwork"
TRIALS_DIR = "trials"
CHUNKS_DIR = "chunks"


@dataclass(frozen=True)
class PipelineOptions:
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    artwork: ArtworkOptions = field(default_factory=ArtworkOptions)
    with_artwork: bool = True
    # The library's callers choose: the CLI and ingest encode per title; FIXED needs no trials.
    ladder: LadderMode = LadderMode.FIXED
    trials: TrialOptions = field(default_factory=TrialOptions)
    # Chunked encoding for masters longer than this (None: always one pass).
    chunk_seconds: float | None = None
    # H.264 always; HEVC and AV1 renditions beside it when asked for.
    codecs: tuple[VideoCodec, ...] = (VideoCodec.H264,)


@dataclass(frozen=True)
class PipelineResult:
    probe: ProbeResult
    ladder: Ladder
    encoded: EncodeResult
    package: Package
    artwork: Artwork | None
    # Each per-title codec's trials, hull and chosen rungs, H.264's first; none for fixed.
    decisions: tuple[LadderDecision, ...] = ()

    @property
    def decision(self) -> LadderDecision | None:
        """H.264's decision (or the first codec's); None for the fixed ladder."""
        return self.decisions[0] if self.decisions else None


def _trials(
    probed: ProbeResult,
    work_dir: Path,
    options: PipelineOptions,
    progress: Progress | None,
    codec: VideoCodec,
) -> LadderDecision | None:
    """`codec`'s trials and hull; None when they fail or choose no rung."""
    trials_dir = work_dir / TRIALS_DIR
    # The trials run at the final encode's preset: the bitrate at a CRF depends on it.
    trial_options = replace(options.trials, preset=options.encode.preset)
    try:
        decision = run_trials(
            probed,
            trials_dir,
            segment_seconds=options.encode.segment_seconds,
            options=trial_options,
            progress=progress,
            codec=codec,
        )
    except TranscodeFailed as exc:
        log.warning("per-title %s trials failed, encoding the fixed ladder: %s", codec, exc.detail)
        return None
    finally:
        shutil.rmtree(trials_dir, ignore_errors=True)
    if not decision.rungs:
        log.warning("per-title %s trials chose no rung, encoding the fixed ladder", codec)
        return None
    return decision


def choose_ladder(
    probed: ProbeResult, work_dir: Path, options: PipelineOptions, progress: Progress | None
) -> tuple[Ladder, tuple[LadderDecision, ...]]:
    """The fixed table, or trial encodes of the title and the rungs their hull picks, for
    each codec of `options.codecs` on its own.

    The per-title ladder is an economy, not a requirement: a codec whose trials fail (or
    find no rung) keeps the fixed table rather than failing the title's encode.
    """
    if options.ladder is LadderMode.FIXED:
        return build_ladder(probed, options.codecs), ()
    video: list[VideoRendition] = []
    decisions: list[LadderDecision] = []
    for codec in options.codecs:
        decision = _trials(probed, work_dir, options, progress, codec)
        if decision is None:
            video += build_ladder(probed, (codec,)).video
        else:
            decisions.append(decision)
            video += per_title_ladder(probed, (decision,)).video
    return Ladder(tuple(video), audio_renditions(probed.audio)), tuple(decisions)


def _encode(
    source: Path,
    ladder: Ladder,
    probed: ProbeResult,
    work_dir: Path,
    options: PipelineOptions,
    progress: Progress | None,
    extra_audio: Sequence[AudioInput],
    chunks: ChunkCache | None,
    runner: ChunkRunner | None,
) -> EncodeResult:
    """One pass, or chunks for a master long enough to be worth resuming."""
    audio_inputs = [track.path for track in extra_audio]
    fps, duration, hdr = probed.video.frame_rate, probed.duration, probed.video.hdr
    out_dir = work_dir / PACKAGE_DIR
    seconds = options.chunk_seconds
    if seconds is None or seconds <= 0 or duration <= seconds:
        return encode(
            source, ladder, source_fps=fps, duration=duration, out_dir=out_dir,
            options=options.encode, hdr=hdr, progress=progress, audio_inputs=audio_inputs,
        )  # fmt: skip
    # By default one chunk at a time: x264 already keeps the cores busy, and a kill costs
    # one chunk; a runner may hand the chunks to other workers.
    return encode_chunked(
        source, ladder, source_fps=fps, duration=duration, out_dir=out_dir,
        chunk_dir=work_dir / CHUNKS_DIR, options=options.encode, hdr=hdr, workers=1,
        chunk_seconds=seconds, audio_inputs=audio_inputs, cache=chunks, progress=progress,
        runner=runner,
    )  # fmt: skip


def run_pipeline(
    source: Path,
    work_dir: Path,
    *,
    subtitles: Sequence[SubtitleInput] = (),
    audio: Sequence[AudioInput] = (),
    options: PipelineOptions | None = None,
    progress: Progress | None = None,
    chunks: ChunkCache | None = None,
    chunk_runner: ChunkRunner | None = None,
) -> PipelineResult:
    """Turn `source` into `work_dir/package` (HLS + DASH) and `work_dir/artwork`.

    `audio` sidecars become extra AAC renditions after the master's own tracks. Every
    input is checked before the first frame is encoded, so a bad sidecar costs no
    encoding time. Re-running into the same `work_dir` overwrites the outputs. A chunked
    encode takes the finished chunks `chunks` keeps instead of encoding them again.
    """
    options = options or PipelineOptions()
    report = progress or (lambda stage, percent: None)
    report("probe", 0.0)
    probed = probe(source)
    extra_audio = [audio_tracks.check(track) for track in audio]
    out_dir = work_dir / PACKAGE_DIR
    checked = [sidecars.check(sub) for sub in subtitles]
    tracks = [sidecars.write(sub, out_dir) for sub in checked]
    report("probe", 100.0)
    chosen, decisions = choose_ladder(probed, work_dir, options, progress)
    ladder = audio_tracks.with_sidecars(chosen, extra_audio)
    encoded = _encode(
        source, ladder, probed, work_dir, options, progress, extra_audio, chunks, chunk_runner
    )
    packaged = package(encoded, subtitles=tracks, progress=progress)
    artwork = None
    if options.with_artwork:
        artwork = make_artwork(
            probed, work_dir / ARTWORK_DIR, options=options.artwork, progress=progress
        )
    return PipelineResult(probed, ladder, encoded, packaged, artwork, decisions)

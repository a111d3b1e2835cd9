"""Encodes every rendition, of every codec, in one FFmpeg pass into keyframe-aligned CMAF
(fMP4) segments."""

from __future__ import annotations

import math
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from marquee.media import codecs, ffmpeg
from marquee.media.encrypt import Protection
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import Progress
from marquee.media.ladder import AudioRendition, Ladder, VideoRendition
from marquee.media.languages import iso639_2

MPD_NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}
SEGMENTER_MPD = "segments.mpd"
INIT_NAME = "init-$RepresentationID$.m4s"
MEDIA_NAME = "seg-$RepresentationID$-$Number%05d$.m4s"
# PQ/HLG -> linear light -> BT.709 primaries -> Hable curve -> BT.709 transfer, limited range.
TONEMAP_TO_SDR = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
    "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)
SDR_TAGS = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709"]


@dataclass(frozen=True)
class EncodeOptions:
    segment_seconds: float = 4.0
    preset: str = "veryfast"  # x264 speed/quality trade-off
    # Threads per x264 encoder; 0 lets x264 size its own pools. All renditions encode at
    # once, fed by one decoder, so the top rung sets the pace: it must be free to use every
    # core. Measured on the 2-core bench box: 1.93 cores busy for a 1080p ladder with 0;
    # pinning 1 or 2 threads per encoder was no faster.
    threads: int = 0
    timeout_seconds: float | None = None  # default: scaled with the source duration
    protection: Protection | None = None  # the packager encrypts every track with this key (cbcs)


@dataclass(frozen=True)
class Segment:
    path: Path
    start: float  # seconds
    duration: float
    size: int


@dataclass(frozen=True)
class EncodedTrack:
    representation_id: str
    kind: str  # "video" or "audio"
    rendition: VideoRendition | AudioRendition
    init: Path
    segments: tuple[Segment, ...]

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)


@dataclass(frozen=True)
class EncodeResult:
    out_dir: Path
    segmenter_mpd: Path  # FFmpeg's own manifest, the input of packaging
    segment_seconds: float  # the exact spacing of keyframes and segment boundaries
    tracks: tuple[EncodedTrack, ...]
    elapsed: float
    protection: Protection | None = None

    @property
    def video(self) -> tuple[EncodedTrack, ...]:
        return tuple(t for t in self.tracks if t.kind == "video")

    @property
    def audio(self) -> tuple[EncodedTrack, ...]:
        return tuple(t for t in self.tracks if t.kind == "audio")


def segment_period(ladder: Ladder, segment_seconds: float) -> float:
    """Segment length snapped to whole frames of every rung, so all can cut at the same instant.

    Half-rate rungs keep every other source frame, so the period must span an even
    number of full-rate frames for their keyframes to land on the same timestamps.
    """
    top = max(v.frame_rate for v in ladder.video)
    step = max(round(top / v.frame_rate) for v in ladder.video)
    frames = max(step, round(segment_seconds * top / step) * step)
    return float(Fraction(frames) / top)


def filter_graph(ladder: Ladder, source_fps: Fraction, hdr: str | None) -> str:
    count = len(ladder.video)
    # H.264 renditions are 8-bit SDR: an HDR master is tone-mapped once, before the split.
    head = f"[0:v]{TONEMAP_TO_SDR}," if hdr else "[0:v]"
    chains = [f"{head}split={count}" + "".join(f"[s{i}]" for i in range(count))]
    for i, rung in enumerate(ladder.video):
        steps = [f"scale={rung.width}:{rung.height}", "format=yuv420p"]
        if rung.frame_rate != source_fps:
            steps.insert(0, f"fps={rung.frame_rate.numerator}/{rung.frame_rate.denominator}")
        chains.append(f"[s{i}]" + ",".join(steps) + f"[v{i}]")
    return ";".join(chains)


def video_args(i: int, rung: VideoRendition, period: float, options: EncodeOptions) -> list[str]:
    gop = round(period * rung.frame_rate)
    # Force a keyframe at the first frame at or after each boundary (a quarter frame early
    # absorbs float rounding); a fixed GOP with scene cuts off keeps the encoder from adding others.
    tolerance = 0.25 / float(rung.frame_rate)
    # Capped CRF spends what each scene needs up to the VBV cap, from the first frame on;
    # one-pass average bitrate starts from a guess and starves the opening frames.
    rate = [f"-b:v:{i}", str(rung.bitrate)] if rung.crf is None else []
    if rung.crf is not None or codecs.spec(rung.codec).caps_average:
        rate += [f"-maxrate:v:{i}", str(rung.maxrate), f"-bufsize:v:{i}", str(rung.bufsize)]
    return [
        "-map", f"[v{i}]",
        *codecs.encoder_args(i, rung.codec, crf=rung.crf, gop=gop, preset=options.preset),
        *rate,
        f"-force_key_frames:v:{i}", f"expr:gte(t,n_forced*{period!r}-{tolerance:.6f})",
    ]  # fmt: skip


def audio_args(ladder: Ladder, first_input: int = 0) -> list[str]:
    """Map and encode every audio rendition; the master is FFmpeg input `first_input`."""
    args: list[str] = []
    for i, track in enumerate(ladder.audio):
        args += [
            "-map",
            f"{first_input + track.input_index}:a:{track.source_index}",
            f"-metadata:s:a:{i}",
            # The `mdhd` box holds three letters (ISO 639-2/T): "fr" or "pt-BR" do not fit.
            f"language={iso639_2(track.language)}",
        ]
    if ladder.audio:
        first = ladder.audio[0]
        args += ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", str(first.bitrate)]
        args += ["-ac", str(first.channels), "-ar", str(first.sample_rate)]
    return args


def adaptation_sets(ladder: Ladder) -> str:
    # One adaptation set per video codec, one per audio language: DASH switches bitrates
    # inside a set, never codecs or languages.
    by_codec: dict[str, list[int]] = {}
    for i, rung in enumerate(ladder.video):
        by_codec.setdefault(rung.codec.value, []).append(i)
    sets = [f"id={n},streams={','.join(map(str, s))}" for n, s in enumerate(by_codec.values())]
    count, first = len(ladder.video), len(by_codec)
    sets += [f"id={first + i},streams={count + i}" for i in range(len(ladder.audio))]
    return " ".join(sets)


def build_command(
    source: Path,
    ladder: Ladder,
    source_fps: Fraction,
    out_dir: Path,
    options: EncodeOptions,
    hdr: str | None = None,
    audio_inputs: Sequence[Path] = (),
    duration: float | None = None,
) -> list[str]:
    """The FFmpeg arguments: decode once, scale per rung, encode all, segment as CMAF.

    `audio_inputs` are sidecar audio files, FFmpeg inputs 1, 2, ...; each is cut at the
    master's `duration` so that a longer dub cannot stretch the programme.
    """
    period = segment_period(ladder, options.segment_seconds)
    args = ["-i", str(source)]
    for path in audio_inputs:
        args += ["-t", f"{duration:.3f}"] if duration else []
        args += ["-i", str(path)]
    args += ["-filter_complex", filter_graph(ladder, source_fps, hdr)]
    for i, rung in enumerate(ladder.video):
        args += video_args(i, rung, period, options)
    args += common_args(options, hdr)
    args += audio_args(ladder)
    return args + segmenter_args(ladder, period, out_dir, options)


def common_args(options: EncodeOptions, hdr: str | None) -> list[str]:
    """Settings shared by every video encoder of the pass (each codec's own are per stream)."""
    return ["-threads", str(options.threads), *(SDR_TAGS if hdr else [])]


def segmenter_args(
    ladder: Ladder, period: float, out_dir: Path, options: EncodeOptions
) -> list[str]:
    """The CMAF/DASH segmenter that cuts every track at each `period` boundary."""
    args = ["-f", "dash", "-seg_duration", f"{period:.6f}", "-use_template", "1"]
    args += ["-use_timeline", "1", "-adaptation_sets", adaptation_sets(ladder)]
    args += ["-init_seg_name", INIT_NAME, "-media_seg_name", MEDIA_NAME]
    return [*args, str(out_dir / SEGMENTER_MPD)]


def rendition_progress(progress: Progress, count: int) -> Progress:
    """Report the one-pass encode as "encode i/n" of a ladder of `count` renditions.

    All renditions are encoded together from one decoder, so none finishes before the
    others and FFmpeg's clock gives one percentage for all of them. The pass is split
    into `count` equal shares instead: `i` steps up as the percentage crosses each i/n
    boundary, and reads "n/n" once the pass is done. It is progress through the pass,
    not a count of finished renditions.
    """

    def report(stage: str, percent: float) -> None:
        current = min(count, int(percent * count / 100.0) + 1)
        progress(f"{stage} {current}/{count}", percent)

    return report


def encode(
    source: Path,
    ladder: Ladder,
    *,
    source_fps: Fraction,
    duration: float,
    out_dir: Path,
    options: EncodeOptions | None = None,
    hdr: str | None = None,
    progress: Progress | None = None,
    audio_inputs: Sequence[Path] = (),
) -> EncodeResult:
    """Encode `source` into `out_dir`: one init segment and numbered media segments per track."""
    options = options or EncodeOptions()
    if not ladder.video:
        raise TranscodeFailed("The ladder has no video rendition.")
    out_dir.mkdir(parents=True, exist_ok=True)
    timeout = options.timeout_seconds or 300.0 + duration * 30.0
    started = time.monotonic()
    command = build_command(
        source, ladder, source_fps, out_dir, options, hdr, audio_inputs, duration
    )
    if progress is not None:
        progress = rendition_progress(progress, len(ladder.video))
    ffmpeg.run(command, timeout=timeout, duration=duration, stage="encode", progress=progress)
    tracks = read_segmenter_mpd(out_dir / SEGMENTER_MPD, ladder)
    period = segment_period(ladder, options.segment_seconds)
    elapsed = time.monotonic() - started
    segmenter_mpd = out_dir / SEGMENTER_MPD
    return EncodeResult(out_dir, segmenter_mpd, period, tracks, elapsed, options.protection)


def timeline(template: ET.Element) -> list[tuple[int, int]]:
    """(start, duration) in timescale units for each segment of a SegmentTimeline."""
    entries: list[tuple[int, int]] = []
    cursor = 0
    for s in template.iterfind("mpd:SegmentTimeline/mpd:S", MPD_NS):
        cursor = int(s.get("t", cursor))
        for _ in range(int(s.get("r", "0")) + 1):
            entries.append((cursor, int(s.get("d", "0"))))
            cursor += int(s.get("d", "0"))
    return entries


def segment_name(pattern: str, rep_id: str, number: int) -> str:
    name = pattern.replace("$RepresentationID$", rep_id)
    return name.replace("$Number%05d$", f"{number:05d}").replace("$Number$", str(number))


def _read_track(
    rep: ET.Element, out_dir: Path, rendition: VideoRendition | AudioRendition
) -> EncodedTrack:
    rep_id = rep.get("id", "")
    template = rep.find("mpd:SegmentTemplate", MPD_NS)
    if template is None:
        raise TranscodeFailed(f"The segmenter wrote no segment template for track {rep_id}.")
    timescale = int(template.get("timescale", "1"))
    number = int(template.get("startNumber", "1"))
    segments = []
    for offset, (start, length) in enumerate(timeline(template)):
        path = out_dir / segment_name(template.get("media", ""), rep_id, number + offset)
        if not path.is_file():
            raise TranscodeFailed(f"Segment {path.name} is missing after encoding.")
        segments.append(Segment(path, start / timescale, length / timescale, path.stat().st_size))
    init = out_dir / segment_name(template.get("initialization", ""), rep_id, 0)
    kind = "video" if isinstance(rendition, VideoRendition) else "audio"
    return EncodedTrack(rep_id, kind, rendition, init, tuple(segments))


def read_segmenter_mpd(mpd: Path, ladder: Ladder) -> tuple[EncodedTrack, ...]:
    """Map FFmpeg's representations back to ladder rungs, in the order they were mapped."""
    root = ET.parse(mpd).getroot()  # noqa: S314 - a file FFmpeg just wrote, not user input
    reps = root.findall(".//mpd:Representation", MPD_NS)
    renditions: list[VideoRendition | AudioRendition] = [*ladder.video, *ladder.audio]
    if len(reps) != len(renditions):
        raise TranscodeFailed(
            f"Expected {len(renditions)} tracks, the segmenter wrote {len(reps)}."
        )
    by_id = sorted(reps, key=lambda r: int(r.get("id", "0")))
    tracks = tuple(
        _read_track(rep, mpd.parent, r) for rep, r in zip(by_id, renditions, strict=True)
    )
    for track in tracks:
        if not track.segments or math.isclose(track.duration, 0.0):
            raise TranscodeFailed(f"Track {track.representation_id} has no media.")
    return tracks

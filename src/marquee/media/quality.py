"""Measured quality: VMAF with the pinned FFmpeg's libvmaf, and the trial encodes of a title.

VMAF is measured the way a viewer sees a rendition: upscaled (bicubic) to the
source's size and, for half-rate rungs, back to the source's frame rate, against
the source itself, with libvmaf's default model (vmaf_v0.6.1).
"""

from __future__ import annotations

import json
import resource
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from marquee.media import ffmpeg
from marquee.media.codecs import VideoCodec, encoder_args, rendition_name, spec
from marquee.media.encode import TONEMAP_TO_SDR
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import Progress
from marquee.media.hull import HullPolicy, LadderDecision, TrialPoint, decide
from marquee.media.ladder import VideoRendition, output_frame_rate, video_rungs
from marquee.media.probe import ProbeResult

REFERENCE_NAME = "reference.mkv"
# Generous: a trial is a few seconds of video, but the machine may be shared.
TIMEOUT_PER_SECOND = 60.0
TIMEOUT_BASE = 120.0


@dataclass(frozen=True)
class VmafScore:
    mean: float
    frames: tuple[float, ...]  # per measured frame, in order


@dataclass(frozen=True)
class TrialOptions:
    # CRFs tried at every resolution, from near-transparent to a cellular floor; None takes
    # each codec's own (media/codecs.py), x264's 17, 22, 27 and 33 for H.264.
    crfs: tuple[float, ...] | None = None
    # A title longer than the windows is sampled: this many windows spread over it.
    windows: int = 3
    window_seconds: float = 2.0
    preset: str = "veryfast"  # the final encode's, so that trial bitrates carry over
    vmaf_subsample: int = 2  # libvmaf scores every Nth frame: the mean barely moves
    policy: HullPolicy = field(default_factory=HullPolicy)


def cpu_seconds_of_children() -> float:
    """User + system CPU of every finished child process (FFmpeg runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample_windows(
    duration: float, windows: int, seconds: float
) -> tuple[tuple[float, float], ...]:
    """(start, length) of each sampled window, evenly spread; the whole title if it is short."""
    if windows < 1 or duration <= windows * seconds * 1.25:
        return ((0.0, duration),)
    gap = (duration - windows * seconds) / windows
    return tuple((gap / 2 + i * (seconds + gap), seconds) for i in range(windows))


def _timeout(seconds: float) -> float:
    return TIMEOUT_BASE + seconds * TIMEOUT_PER_SECOND


def make_reference(
    source: Path,
    out: Path,
    windows: Sequence[tuple[float, float]],
    *,
    frame_rate: Fraction,
    hdr: str | None = None,
) -> Path:
    """The sampled windows joined into one lossless file: the input of every trial and score.

    An HDR master is tone-mapped here exactly as the final encode does, so trials
    are scored against what the renditions can show.
    """
    args: list[str] = []
    for start, length in windows:
        args += ["-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", str(source)]
    head = f"{TONEMAP_TO_SDR}," if hdr else ""
    rate = f"{frame_rate.numerator}/{frame_rate.denominator}"
    chains = [
        f"[{i}:v]{head}fps={rate},format=yuv420p,setpts=PTS-STARTPTS[w{i}]"
        for i in range(len(windows))
    ]
    joined = "".join(f"[w{i}]" for i in range(len(windows)))
    chains.append(f"{joined}concat=n={len(windows)}:v=1:a=0[ref]")
    args += ["-filter_complex", ";".join(chains), "-map", "[ref]", "-an"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", str(out)]
    ffmpeg.run(args, timeout=_timeout(sum(length for _, length in windows)), stage="trial")
    return out


def video_stats(path: Path) -> tuple[int, float]:
    """(bits per second of the video bitstream, duration in seconds) read with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        size, count = 0, 0
        for packet in container.demux(stream):
            if packet.size:
                size += packet.size
                count += 1
        rate = stream.average_rate or stream.guessed_rate
    seconds = count / float(rate) if rate else 0.0
    if not count or seconds <= 0:
        raise TranscodeFailed(f"Trial encode {path.name} holds no video.")
    return round(size * 8 / seconds), seconds


def encode_trials(
    reference: Path,
    rung: VideoRendition,
    crfs: Sequence[float],
    out_dir: Path,
    *,
    preset: str,
    gop: int,
    seconds: float,
    codec: VideoCodec = VideoCodec.H264,
) -> list[Path]:
    """One FFmpeg run per resolution: scale once, encode every CRF from the same frames."""
    steps = [f"scale={rung.width}:{rung.height}", "format=yuv420p"]
    steps.insert(0, f"fps={rung.frame_rate.numerator}/{rung.frame_rate.denominator}")
    outs = "".join(f"[c{i}]" for i in range(len(crfs)))
    args = [
        "-i",
        str(reference),
        "-filter_complex",
        f"[0:v]{','.join(steps)},split={len(crfs)}{outs}",
    ]
    paths = []
    for i, crf in enumerate(crfs):
        path = out_dir / f"trial-{rendition_name(rung.name, codec)}-crf{crf:g}.mp4"
        # Each output file holds one stream, its video stream 0.
        args += ["-map", f"[c{i}]", "-an"]
        args += [*encoder_args(0, codec, crf=crf, gop=gop, preset=preset), str(path)]
        paths.append(path)
    ffmpeg.run(args, timeout=_timeout(seconds * len(crfs)), stage="trial")
    return paths


def vmaf(
    distorted: Path,
    reference: Path,
    *,
    width: int,
    height: int,
    frame_rate: Fraction,
    subsample: int = 1,
    seconds: float = 10.0,
) -> VmafScore:
    """VMAF of `distorted` against `reference` (width x height at frame_rate), per frame."""
    (score,) = vmaf_many(
        [distorted],
        reference,
        width=width,
        height=height,
        frame_rate=frame_rate,
        subsample=subsample,
        seconds=seconds,
    )
    return score


def vmaf_many(
    distorted: Sequence[Path],
    reference: Path,
    *,
    width: int,
    height: int,
    frame_rate: Fraction,
    subsample: int = 1,
    seconds: float = 10.0,
) -> list[VmafScore]:
    """VMAF of each of `distorted` against one `reference`, in one FFmpeg run.

    Decoding the lossless reference costs about as much as scoring one encode, so it
    is decoded once and split to every scorer.
    """
    reference = reference.resolve()
    # libvmaf's log path is a filter option: FFmpeg runs in the logs' folder so that a
    # bare name needs no escaping.
    folder = distorted[0].resolve().parent
    logs = [folder / f"vmaf-{i}-{path.stem}.json" for i, path in enumerate(distorted)]
    rate = f"{frame_rate.numerator}/{frame_rate.denominator}"
    count = len(distorted)
    chains = [
        f"[{count}:v]fps={rate},format=yuv420p,setpts=PTS-STARTPTS,split={count}"
        + "".join(f"[r{i}]" for i in range(count))
    ]
    args: list[str] = []
    for i, path in enumerate(distorted):
        args += ["-i", str(path.resolve())]
        chains.append(
            f"[{i}:v]scale={width}:{height}:flags=bicubic,fps={rate},format=yuv420p,"
            f"setpts=PTS-STARTPTS[d{i}];[d{i}][r{i}]libvmaf=log_fmt=json:"
            f"log_path={logs[i].name}:n_subsample={subsample}:n_threads=2[o{i}]"
        )
    args += ["-i", str(reference), "-filter_complex", ";".join(chains)]
    for i in range(count):
        args += ["-map", f"[o{i}]", "-f", "null", "-"]
    ffmpeg.run(args, timeout=_timeout(seconds * count), stage="vmaf", cwd=folder)
    return [_read_log(log, path) for log, path in zip(logs, distorted, strict=True)]


def _read_log(log: Path, distorted: Path) -> VmafScore:
    report = json.loads(log.read_text())
    frames = tuple(float(f["metrics"]["vmaf"]) for f in report.get("frames", []))
    if not frames:
        raise TranscodeFailed(f"libvmaf scored no frame of {distorted.name}.")
    return VmafScore(mean=sum(frames) / len(frames), frames=frames)


def source_video_bitrate(probed: ProbeResult) -> int | None:
    """The master's own video bits per second, read from its packets; None if unknown."""
    try:
        bitrate, _ = video_stats(probed.path)
    except (TranscodeFailed, av.FFmpegError):
        return None
    return bitrate


def _trial_points(
    reference: Path,
    rung: VideoRendition,
    crfs: Sequence[float],
    work_dir: Path,
    options: TrialOptions,
    codec: VideoCodec,
    *,
    segment_seconds: float,
    size: tuple[int, int],
    fps: Fraction,
    seconds: float,
) -> list[TrialPoint]:
    """One rung size's trials in `codec` at every CRF, each scored against the reference."""
    gop = max(1, round(segment_seconds * rung.frame_rate))
    paths = encode_trials(
        reference, rung, crfs, work_dir,
        preset=options.preset, gop=gop, seconds=seconds, codec=codec,
    )  # fmt: skip
    scores = vmaf_many(
        paths, reference, width=size[0], height=size[1], frame_rate=fps,
        subsample=options.vmaf_subsample, seconds=seconds,
    )  # fmt: skip
    points = []
    for crf, path, score in zip(crfs, paths, scores, strict=True):
        bitrate, _ = video_stats(path)
        points.append(
            TrialPoint(rung.name, rung.width, rung.height, crf, bitrate, round(score.mean, 2))
        )
    return points


def run_trials(
    probed: ProbeResult,
    work_dir: Path,
    *,
    segment_seconds: float,
    options: TrialOptions | None = None,
    progress: Progress | None = None,
    codec: VideoCodec = VideoCodec.H264,
) -> LadderDecision:
    """Trial-encode sampled windows of the title at every rung size x CRF in `codec` and
    pick that codec's ladder from its own hull."""
    options = options or TrialOptions()
    crfs = spec(codec).trial_crfs if options.crfs is None else options.crfs
    started_cpu = cpu_seconds_of_children()
    work_dir.mkdir(parents=True, exist_ok=True)
    video = probed.video
    fps = output_frame_rate(video.frame_rate)
    windows = sample_windows(probed.duration, options.windows, options.window_seconds)
    reference = make_reference(
        probed.path, work_dir / REFERENCE_NAME, windows, frame_rate=fps, hdr=video.hdr
    )
    _, seconds = video_stats(reference)
    width, height = video.display_width, video.display_height
    rungs = video_rungs(width, height, video.frame_rate)
    points: list[TrialPoint] = []
    for done, rung in enumerate(rungs):
        if progress is not None:
            progress("ladder", round(100.0 * done / len(rungs), 1))
        points += _trial_points(
            reference, rung, crfs, work_dir, options, codec,
            segment_seconds=segment_seconds, size=(width, height), fps=fps, seconds=seconds,
        )  # fmt: skip
    if progress is not None:
        progress("ladder", 100.0)
    return decide(
        points,
        options.policy,
        source_bitrate=source_video_bitrate(probed),
        # A per-title top rung never costs more to deliver than the fixed table's top.
        max_bitrate=round(rungs[-1].bitrate * spec(codec).bitrate_factor),
        sample_seconds=round(seconds, 3),
        trial_cpu_seconds=round(cpu_seconds_of_children() - started_cpu, 2),
        codec=codec.value,
    )

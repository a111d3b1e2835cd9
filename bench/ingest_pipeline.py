"""Pipeline overhead: Marquee's full ladder vs. one hand-written FFmpeg command, in the same run.

    .venv/bin/python bench/ingest_pipeline.py [--seconds 60] [--preset veryfast] [--bbb]

Generates (and caches) a 1080p30 clip with stereo audio, then runs back to back:
  baseline  one FFmpeg command, written out by hand below, encoding the same five
            renditions with the same x264 settings into the same CMAF/DASH segmenter;
  marquee   probe -> ladder -> encode -> package (HLS + DASH manifests).
Prints both wall times, their ratio (target <= 1.10) and, from one extra standalone
encode per rendition, each rendition's speed in x realtime. `--bbb` adds the rendition
table for Big Buck Bunny.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from marquee.datasets import sample_clip  # noqa: E402
from marquee.media.encode import EncodeOptions  # noqa: E402
from marquee.media.ffmpeg import ffmpeg_exe  # noqa: E402
from marquee.media.pipeline import PipelineOptions, run_pipeline  # noqa: E402

CACHE = ROOT / "var" / "cache"
# (name, width, height, average, maxrate = bufsize): the ladder for a 1080p30 source.
RENDITIONS = [
    ("240p", 426, 240, "365k", "547.5k"),
    ("360p", 640, 360, "730k", "1095k"),
    ("480p", 854, 480, "1500k", "2250k"),
    ("720p", 1280, 720, "3000k", "4500k"),
    ("1080p", 1920, 1080, "6000k", "9000k"),
]


def make_source(seconds: int) -> Path:
    path = CACHE / "bench" / f"source-1080p-{seconds}s.mp4"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", "-ac", "2", str(partial),
        ],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def baseline_command(source: Path, out: Path, preset: str, threads: int) -> list[str]:
    """What an engineer would type: one decode, a split, five x264 encodes, one segmenter."""
    graph = "[0:v]split=5[s0][s1][s2][s3][s4];" + ";".join(
        f"[s{i}]scale={w}:{h},format=yuv420p[v{i}]" for i, (_, w, h, _, _) in enumerate(RENDITIONS)
    )
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)]
    args += ["-filter_complex", graph]
    for i, (_, _, _, rate, cap) in enumerate(RENDITIONS):
        args += ["-map", f"[v{i}]", f"-c:v:{i}", "libx264", f"-b:v:{i}", rate]
        args += [f"-maxrate:v:{i}", cap, f"-bufsize:v:{i}", cap, f"-g:v:{i}", "120"]
        args += [f"-keyint_min:v:{i}", "120", f"-force_key_frames:v:{i}", "expr:gte(t,n_forced*4)"]
    args += ["-preset", preset, "-profile:v", "high", "-sc_threshold", "0", "-forced-idr", "1"]
    args += ["-threads", str(threads), "-map", "0:a:0", "-c:a", "aac", "-b:a", "128k"]
    args += ["-ac", "2", "-ar", "48000", "-f", "dash", "-seg_duration", "4", "-use_template", "1"]
    args += ["-use_timeline", "1", "-adaptation_sets", "id=0,streams=v id=1,streams=a"]
    return [*args, str(out / "manifest.mpd")]


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children): CPU time is what a
    shared machine's other load disturbs least."""
    wall, cpu = time.perf_counter(), _cpu()
    action()
    return time.perf_counter() - wall, _cpu() - cpu


def timed(action: Callable[[], object]) -> float:
    return measure(action)[0]


def per_rendition_speed(source: Path, seconds: int, preset: str, work: Path) -> None:
    print("\nstandalone encode speed per rendition (one rendition per FFmpeg run):")
    for name, w, h, rate, cap in RENDITIONS:
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-an"]
        cmd += ["-vf", f"scale={w}:{h},format=yuv420p", "-c:v", "libx264", "-preset", preset]
        cmd += ["-b:v", rate, "-maxrate", cap, "-bufsize", cap, "-g", "120", "-sc_threshold", "0"]
        cmd += ["-f", "mp4", str(work / f"{name}.mp4")]
        elapsed = timed(lambda cmd=cmd: subprocess.run(cmd, check=True))
        print(
            f"  {name:>6} {w}x{h:<5} {rate:>6}  {elapsed:6.1f} s  {seconds / elapsed:5.2f}x realtime"
        )


def big_buck_bunny_table(preset: str, work: Path) -> None:
    clip = sample_clip("bigbuckbunny.mp4", CACHE)
    options = PipelineOptions(encode=EncodeOptions(preset=preset), with_artwork=False)
    result = run_pipeline(clip, work / "bbb", options=options)
    print(f"\nBig Buck Bunny ({result.probe.duration:.2f} s, {preset}):")
    print(
        f"  {'rendition':<12}{'resolution':<12}{'avg kb/s':>9}{'peak kb/s':>10}  {'codecs':<13}segments"
    )
    for r in result.package.renditions:
        size = f"{r.width}x{r.height}" if r.kind == "video" else r.language
        print(
            f"  {r.name:<12}{size:<12}{r.average_bandwidth / 1000:>9.0f}{r.bandwidth / 1000:>10.0f}"
            f"  {r.codecs:<13}{r.segment_count}"
        )


def compare(source: Path, args: argparse.Namespace, work: Path) -> None:
    options = PipelineOptions(
        encode=EncodeOptions(preset=args.preset, threads=args.threads), with_artwork=False
    )
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "marquee": []}
    for round_ in range(args.repeat):
        # Alternate the order (B M, M B, ...) so drift in machine load hits both arms alike.
        order = ["baseline", "marquee"] if round_ % 2 == 0 else ["marquee", "baseline"]
        for arm in order:
            out = work / f"{arm}-{round_}"
            out.mkdir()
            if arm == "baseline":
                command = baseline_command(source, out, args.preset, args.threads)
                runs[arm].append(measure(lambda c=command: subprocess.run(c, check=True)))
            else:
                runs[arm].append(measure(lambda o=out: run_pipeline(source, o, options=options)))
            shutil.rmtree(out)
    print(f"source: 1920x1080 30 fps, {args.seconds} s; x264 {args.preset}, threads {args.threads}")
    labels = {
        "baseline": "one hand-written ffmpeg command",
        "marquee": "probe+ladder+encode+package",
    }
    for arm, label in labels.items():
        wall = statistics.median(w for w, _ in runs[arm])
        cpu = statistics.median(c for _, c in runs[arm])
        print(
            f"{arm:<9}({label:<32}) median wall {wall:7.1f} s {args.seconds / wall:5.2f}x realtime"
            f"  cpu {cpu:7.1f} s ({cpu / wall:.2f} cores busy)"
        )
        print(
            f"          every run (wall, cpu): {[(round(w, 1), round(c, 1)) for w, c in runs[arm]]}"
        )
    # Medians: on a shared machine one lucky or unlucky run should not decide the ratio.
    wall_ratio = statistics.median(w for w, _ in runs["marquee"]) / statistics.median(
        w for w, _ in runs["baseline"]
    )
    cpu_ratio = statistics.median(c for _, c in runs["marquee"]) / statistics.median(
        c for _, c in runs["baseline"]
    )
    print(f"ratio marquee / baseline: wall {wall_ratio:.3f}, cpu {cpu_ratio:.3f}  (target <= 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bbb", action="store_true")
    parser.add_argument("--skip-standalone", action="store_true")
    args = parser.parse_args()
    source = make_source(args.seconds)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        work = Path(tmp)
        compare(source, args, work)
        if not args.skip_standalone:
            per_rendition_speed(source, args.seconds, args.preset, work)
        if args.bbb:
            big_buck_bunny_table(args.preset, work)


if __name__ == "__main__":
    main()

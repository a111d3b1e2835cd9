"""Protected packaging: Shaka Packager's cost next to the encode, and time to first frame per player.

    .venv/bin/python bench/cbcs.py [--seconds 10] [--runs 3]

Encodes a 1080p test card once (the fixed ladder, FFmpeg), then packages copies of the
same segments clear and cbcs, `--runs` times each, and prints the median packaging time
and its ratio to the encode (the baseline). Then hls.js, dash.js and Shaka Player each
load the clear and the cbcs package in Chromium `--runs` times; the time to first frame
is from the page's `play()` call to the video's clock first moving, median per cell.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests import services  # noqa: E402
from tests.media import sources  # noqa: E402
from tests.playback import players, test_players  # noqa: E402

from marquee.media.encode import EncodeOptions, EncodeResult, encode  # noqa: E402
from marquee.media.encrypt import Protection  # noqa: E402
from marquee.media.ladder import build_ladder  # noqa: E402
from marquee.media.package import package  # noqa: E402
from marquee.media.probe import probe  # noqa: E402

FIRST_FRAME = (
    "([p, u, l]) => new Promise((done) => {"
    " const v = document.getElementById('v'); const t0 = performance.now();"
    " v.addEventListener('timeupdate', function seen() {"
    "  if (v.currentTime > 0) { v.removeEventListener('timeupdate', seen);"
    "   done(performance.now() - t0); } });"
    " window.play(p, u, l); })"
)


def copy_of(encoded: EncodeResult, into: Path, key: Protection | None) -> EncodeResult:
    """The encode's segments in a directory of their own (packaging rewrites them in place)."""
    shutil.copytree(encoded.out_dir, into)

    def moved(path: Path) -> Path:
        return into / path.relative_to(encoded.out_dir)

    tracks = tuple(
        replace(
            t,
            init=moved(t.init),
            segments=tuple(replace(s, path=moved(s.path)) for s in t.segments),
        )
        for t in encoded.tracks
    )
    return replace(
        encoded,
        out_dir=into,
        segmenter_mpd=moved(encoded.segmenter_mpd),
        tracks=tracks,
        protection=key,
    )


def packaging(encoded: EncodeResult, work: Path, runs: int, key: Protection | None) -> float:
    times = []
    for n in range(runs):
        copy = copy_of(encoded, work / f"{'cbcs' if key else 'clear'}-{n}" / "package", key)
        started = time.perf_counter()
        package(copy)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def first_frames(packages: dict[str, Path], runs: int) -> dict[tuple[str, str, str], float]:
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    routes = [
        Route("/license", test_players.licence, methods=["POST"]),
        *(Mount(f"/media/{name}", StaticFiles(directory=path)) for name, path in packages.items()),
    ]
    results: dict[tuple[str, str, str], float] = {}
    with (
        services.serve_app(Starlette(routes=routes), services.free_port()) as base,
        players.launch_browser() as browser,
        players.player_context(browser, base) as (context, page_url),
    ):
        for player, manifest in players.MATRIX:
            for name in packages:
                licence = f"{base}/license" if name == "cbcs" else ""
                url = f"{base}/media/{name}/{manifest}"
                times = []
                for _ in range(runs):
                    page = context.new_page()
                    page.goto(page_url)
                    times.append(page.evaluate(FIRST_FRAME, [player, url, licence]))
                    page.close()
                results[(player, manifest, name)] = statistics.median(times)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cbcs-") as tmp:
        work = Path(tmp)
        clip = sources.make_clip(work / "card.mp4", size="1920x1080", seconds=args.seconds)
        probed = probe(clip)
        started = time.perf_counter()
        encoded = encode(
            clip,
            build_ladder(probed),
            source_fps=probed.video.frame_rate,
            duration=probed.duration,
            out_dir=work / "encoded",
            options=EncodeOptions(preset="veryfast"),
        )
        encode_s = time.perf_counter() - started
        key = Protection(kid=test_players.KEY.kid, key=test_players.KEY.key)
        clear_s = packaging(encoded, work, args.runs, None)
        cbcs_s = packaging(encoded, work, args.runs, key)
        print(f"encode (baseline) {encode_s:.2f} s, {len(encoded.tracks)} tracks")
        for name, seconds in (("clear", clear_s), ("cbcs", cbcs_s)):
            print(f"package {name:5} {seconds:.3f} s  = {seconds / encode_s:.3f} x the encode")
        ttff = first_frames(
            {"clear": work / "clear-0" / "package", "cbcs": work / "cbcs-0" / "package"},
            args.runs,
        )
        print("time to first frame, median ms (player, manifest, package)")
        for (player, manifest, name), ms in ttff.items():
            print(f"  {player:7} {manifest:13} {name:5} {ms:7.0f}")


if __name__ == "__main__":
    main()

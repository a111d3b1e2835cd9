"""Edge throughput: signed segment requests answered by the nginx edge, against nginx serving
the same files from disk with no checks, over the same connections, rounds interleaved.

The edge is deploy/nginx/marquee.conf rendered by `marquee edge config` (access log off, as
in the baseline) in front of the app, twice: beside the media folder (`--media-root`: video
segments sent from the lane tree) and as a cache in front of the origin (the object-store
deployment: every request a cache HIT). Every request carries a different session's signed
link, so each one is checked with `secure_link` and its height lane against the link's scope.
Segments are 1.5 MiB by default (4 s at 3 Mbit/s), a 1080p rendition of the version. Besides
requests per second, the nginx workers' CPU time per request is compared: on a shared
machine it moves far less than wall-clock throughput. Target: at least 0.95x the baseline
on both, for the edge beside its media folder.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen
from playback_setup import (
    Paths,
    app_server,
    edge_server,
    interleaved_rounds,
    make_catalogue,
    make_viewers,
    signed_prefixes,
    static_server,
    temp_root,
)

STATIC = "nginx (static, no checks)"
TREE = "edge, lane tree (signed)"
CACHE = "edge, cache HIT (signed)"
TARGET = 0.95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="nginx worker processes")
    parser.add_argument("--segment-mib", type=float, default=1.5)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"load average at the start: {loadgen.load()}")
    with temp_root() as tmp:
        catalogue = make_catalogue(Path(tmp), args.database_url, synthetic_mib=args.segment_mib)
        segments = [f for f in catalogue.files if f.startswith("bench/")]
        prefixes = signed_prefixes(catalogue, make_viewers(catalogue, args.sessions))
        with (
            app_server(catalogue.settings, workers=1) as origin,
            edge_server(catalogue, origin, workers=args.workers, media_root=True) as tree,
            edge_server(catalogue, origin, workers=args.workers) as edge,
            static_server(catalogue, workers=args.workers) as static,
        ):
            # In the 1080p lane, as video segments are: the scope check runs too.
            def signed(i: int) -> str:
                return prefixes[i % len(prefixes)] + "v1080/" + segments[(i * 7) % 20]

            targets: dict[str, tuple[int, Paths]] = {
                STATIC: (static, lambda i: "/static/" + segments[i % 20]),
                TREE: (tree, signed),
                CACHE: (edge, signed),
            }
            results = interleaved_rounds(
                targets,
                connections=args.connections,
                seconds=args.seconds,
                rounds=args.rounds,
                warm_connections=20,
                warm_seconds=2.0,
            )
    report(results, args)


def report(results: dict[str, list[loadgen.Samples]], args: argparse.Namespace) -> None:
    print(
        f"{args.connections} connections, {args.segment_mib} MiB segments, {args.sessions} "
        f"sessions' links, {args.workers} nginx workers, {args.rounds} x {args.seconds:.0f} s"
    )
    for name, runs in results.items():
        rate = statistics.median(r.rate for r in runs)
        gbits = statistics.median(r.gbits for r in runs)
        p50 = statistics.median(r.p50 for r in runs)
        cpu = statistics.median(r.cpu_us_per_request for r in runs)
        errors = sum(r.errors for r in runs)
        print(
            f"  {name:27s} {rate:7.0f} req/s  {gbits:6.2f} Gbit/s  p50 {p50:6.2f} ms  "
            f"nginx CPU {cpu:5.0f} us/request  errors {errors}"
        )
    base = results[STATIC]
    for name in (TREE, CACHE):
        pairs = list(zip(results[name], base, strict=True))
        wall = statistics.median(e.rate / b.rate for e, b in pairs)
        cost = statistics.median(b.cpu_us_per_request / e.cpu_us_per_request for e, b in pairs)
        met = "met" if name != TREE or min(wall, cost) >= TARGET else "NOT met"
        verdict = f"(target >= {TARGET}x: {met})" if name == TREE else "(no target)"
        print(
            f"ratio {name} / static: requests per second {wall:.2f}x, per CPU second "
            f"{cost:.2f}x {verdict} (medians of per-round ratios)"
        )
    print(f"load average at the end: {loadgen.load()}")


if __name__ == "__main__":
    main()

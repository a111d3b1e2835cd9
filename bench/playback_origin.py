"""Origin segment throughput: the Python origin serving signed segments, against plain nginx.

Both serve the same 20 synthetic segments (1.5 MiB each by default, a 4 s 720p-1080p
segment) from the same local folder to the same number of keep-alive connections from
the same load generator; every origin request checks the signature, the session (cached
per process for 30 s) and the key. Prints Gbit/s, requests/s, latency and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen
from playback_setup import (
    app_server,
    interleaved_rounds,
    make_catalogue,
    make_viewers,
    signed_prefixes,
    static_server,
    temp_root,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn and nginx processes")
    parser.add_argument("--segment-mib", type=float, default=1.5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"load average at the start: {loadgen.load()}")
    with temp_root() as tmp:
        catalogue = make_catalogue(Path(tmp), args.database_url, synthetic_mib=args.segment_mib)
        segments = [f for f in catalogue.files if f.startswith("bench/")]
        prefixes = signed_prefixes(catalogue, make_viewers(catalogue, args.connections))
        with (
            app_server(catalogue.settings, workers=args.workers) as origin,
            static_server(catalogue, workers=args.workers) as static,
        ):
            targets = {
                "nginx (static files)": (static, lambda i: "/static/" + segments[i % 20]),
                "Marquee origin": (
                    origin,
                    # In the 1080p lane, as a player asks for video segments.
                    lambda i: prefixes[i % len(prefixes)] + "v1080/" + segments[(i * 7) % 20],
                ),
            }
            results = interleaved_rounds(
                targets,
                connections=args.connections,
                seconds=args.seconds,
                rounds=args.rounds,
                warm_connections=args.connections,
                warm_seconds=1.0,
            )
    report(results, args)


def report(results: dict[str, list[loadgen.Samples]], args: argparse.Namespace) -> None:
    print(
        f"{args.connections} connections, {args.segment_mib} MiB segments, "
        f"{args.workers} server processes, {args.rounds} x {args.seconds:.0f} s each"
    )
    for name, runs in results.items():
        gbits = statistics.median(r.gbits for r in runs)
        rate = statistics.median(r.rate for r in runs)
        p50 = statistics.median(r.p50 for r in runs)
        per_core = statistics.median(r.gbits_per_cpu for r in runs)
        errors = sum(r.errors for r in runs)
        print(
            f"  {name:24s} {gbits:6.2f} Gbit/s  {rate:6.0f} req/s  p50 {p50:6.1f} ms  "
            f"{per_core:6.2f} Gbit/s per CPU second  errors {errors}"
        )
    base, ours = results["nginx (static files)"], results["Marquee origin"]
    pairs = list(zip(ours, base, strict=True))
    wall = statistics.median(o.gbits / b.gbits for o, b in pairs)
    cost = statistics.median(o.gbits_per_cpu / b.gbits_per_cpu for o, b in pairs)
    print(f"ratio origin / nginx, Gbit/s: {wall:.2f}x (median of per-round ratios)")
    print(f"ratio origin / nginx, Gbit per CPU second: {cost:.2f}x")
    print(f"load average at the end: {loadgen.load()}")


if __name__ == "__main__":
    main()

"""Search latency of both backends over 100k titles, against a baseline revision in the same run.

    uv run python bench/search_latency.py [--titles 100000] [--queries 1000] [--runs 3]
        [--baseline main] [--http]

Each backend is measured twice, one after the other and each in a fresh process: first the
baseline revision's code (`git archive <--baseline> src`, the same corpus, queries and
viewers), then this checkout's. It prints p50/p99 in-process per query kind and overall for
both, the ratio to the baseline, whether each p99 meets the target (10 ms embedded, 20 ms
PostgreSQL), how many answers carried estimated counts, and the load average at the start
and the end. Each figure is the median over --runs passes of the whole workload (the machine
is shared, so single passes are noisy). --http also times the same queries through uvicorn.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"embedded": 10.0, "postgres": 20.0}
BACKENDS = ("embedded", "postgres")


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


# -- one backend, one revision (a child process) ------------------------------------------


def _measure(backend: str, args: argparse.Namespace) -> dict[str, object]:
    """Runs in the child: imports the code under test (its `src` comes first on the path)."""
    from search_backends import embedded, postgres
    from search_corpus import build
    from search_http import over_http
    from search_queries import mixed
    from search_workload import calls

    corpus = build(args.titles)
    queries = mixed(corpus.docs, args.queries)
    # The corpus is the benchmark's, not the server's: keep the collector from walking its
    # million objects in the middle of a timed query (a 0.6 s pause, seen as a p99 outlier).
    gc.freeze()
    make = {"embedded": embedded, "postgres": postgres}[backend]
    with make(corpus.docs) as built:
        kinds, work = calls(built.index, queries)
        out: dict[str, object] = {"build_s": built.seconds, "disk_mb": float(built.disk_mb)}
        out.update(_timed(kinds, work, args.runs))
        if args.http:
            out["http"] = over_http(built, queries, args.runs)
    return out


def _timed(kinds: list[str], work: list[Callable[[], bool]], runs: int) -> dict[str, object]:
    """Median over `runs` passes of each pass's p50 and p99, overall and per query kind."""
    for call in work[:50]:
        call()  # warm caches and connections
    passes: list[dict[str, tuple[float, float]]] = []
    estimated = 0
    for _ in range(runs):
        samples: dict[str, list[float]] = {}
        estimated = 0
        for kind, call in zip(kinds, work, strict=True):
            started = time.perf_counter()
            exact = call()
            elapsed = time.perf_counter() - started
            samples.setdefault(kind, []).append(elapsed)
            samples.setdefault("all", []).append(elapsed)
            estimated += not exact
        passes.append({kind: percentiles(values) for kind, values in samples.items()})
    figures = {
        kind: [statistics.median(p[kind][i] for p in passes) for i in (0, 1)] for kind in passes[0]
    }
    return {"kinds": figures, "estimated": estimated, "queries": len(work)}


# -- the parent: both revisions, both backends ---------------------------------------------


def _baseline_src(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def _child(backend: str, src: Path, args: argparse.Namespace) -> dict[str, object]:
    env = {**os.environ, "MARQUEE_BENCH_SRC": str(src), "PYTHONPATH": str(src)}
    command = [sys.executable, __file__, "--child", backend, "--titles", str(args.titles)]
    command += ["--queries", str(args.queries), "--runs", str(args.runs)]
    command += ["--http"] if args.http else []
    proc = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _report(backend: str, before: dict[str, object], after: dict[str, object]) -> None:
    target = TARGETS[backend]
    b_kinds, a_kinds = before["kinds"], after["kinds"]
    assert isinstance(b_kinds, dict)
    assert isinstance(a_kinds, dict)
    print(f"\n{backend}: built in {before['build_s']:.1f} s (baseline) / {after['build_s']:.1f} s")
    print(f"  {'kind':11} {'baseline p50':>12} {'p99':>7} {'now p50':>8} {'p99':>7}"
          f" {'p99 ratio':>9}  p99 <= {target:.0f} ms")  # fmt: skip
    for kind in sorted(a_kinds, key=lambda k: k == "all"):
        (b50, b99), (a50, a99) = b_kinds.get(kind, (0.0, 0.0)), a_kinds[kind]
        ratio = a99 / b99 if b99 else 0.0
        meets = "yes" if a99 <= target else "no"
        print(f"  {kind:11} {b50:12.2f} {b99:7.2f} {a50:8.2f} {a99:7.2f} {ratio:8.2f}x  {meets}")
    print(f"  answers with estimated counts: {before['estimated']} (baseline), {after['estimated']}"
          f" (now) of {after['queries']}")  # fmt: skip
    if "http" in after:
        print(f"  HTTP p50/p99 ms: baseline {before.get('http')}, now {after['http']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="main", help="git revision measured first")
    parser.add_argument("--http", action="store_true", help="also time the queries over HTTP")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child, args)))
        return
    print(f"{args.queries} mixed queries x {args.runs} runs over {args.titles} titles (plus"
          f" MovieLens), {os.cpu_count()} CPUs; baseline {args.baseline}; load at start {load()}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="marquee-search-baseline-") as tmp:
        baseline = _baseline_src(args.baseline, Path(tmp))
        for backend in BACKENDS:
            before = _child(backend, baseline, args)
            after = _child(backend, ROOT / "src", args)
            _report(backend, before, after)
    print(f"\nload average at the end: {load()}")


if __name__ == "__main__":
    random.seed(0)
    main()

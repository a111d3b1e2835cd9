"""Benchmark: offline recommendation quality on MovieLens-100K against MostPopular in the same run.

Runs both protocols (temporal: each user's latest 20 % held out; random: RecBole's 8:1:1
with ratings >= 3), prints each model's metrics, its NDCG@10 ratio to MostPopular and its
training time, and for the random protocol RecBole's published ML-1M NDCG@10 beside ours.
As a check on the EASE baseline it also reports EASE with lambda picked on the test split
itself (an optimistic upper bound that no deployable model could use).

    .venv/bin/python bench/recs_eval.py [--protocol temporal|random|both] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from marquee.recommend.algorithms import EASE
from marquee.recommend.evaluate import evaluate
from marquee.recommend.offline import Dataset, Report, movielens, run

ROOT = Path(__file__).resolve().parents[1]
RECBOLE_ML1M_NDCG10 = {"MostPopular": 0.1006, "ItemKNN": 0.2389, "BPR": 0.2407, "EASE": 0.2865}
ORACLE_LAMBDAS = (50.0, 100.0, 200.0, 300.0, 400.0, 500.0, 700.0, 1000.0, 1500.0, 2500.0)


def ease_oracle(data: Dataset) -> tuple[float, float]:
    """EASE's best NDCG@10 over lambda when lambda is chosen on the test split itself."""
    split = data.split
    test = split.test.matrix()
    popularity = np.asarray(split.train.matrix().sum(axis=0), dtype=np.float64).ravel()
    best = (0.0, 0.0)
    for lam in ORACLE_LAMBDAS:
        model = EASE(lam=lam)
        model.fit(split.train)
        ndcg = evaluate(
            "EASE", model.scores, test=test, exclude=split.exclude, popularity=popularity
        ).ndcg[10]
        best = max(best, (ndcg, lam))
    return best


def show(report: Report, oracle: tuple[float, float], seconds: float) -> None:
    base = next(r.ndcg[10] for r in report.results if r.model == "MostPopular")
    print(f"\n== {report.dataset}, {report.protocol} protocol, {report.stats}")
    head = f"{'model':12} {'R@10':>7} {'R@20':>7} {'N@10':>7} {'N@20':>7} {'cov@10':>7}"
    extra = " RecBole ML-1M N@10" if report.protocol == "random" else ""
    print(f"{head} {'pop@10':>7} {'xPop':>6} {'train s':>8} {'CPU s':>6}{extra}")
    for r in report.results:
        line = (
            f"{r.model:12} {r.recall[10]:7.4f} {r.recall[20]:7.4f} {r.ndcg[10]:7.4f} "
            f"{r.ndcg[20]:7.4f} {r.coverage:7.3f} {r.mean_popularity:7.1f} "
            f"{r.ndcg[10] / base:5.2f}x {r.train_seconds:8.2f} {r.train_cpu_seconds:6.2f}"
        )
        if report.protocol == "random" and r.model in RECBOLE_ML1M_NDCG10:
            line += f" {RECBOLE_ML1M_NDCG10[r.model]:18.4f}"
        print(line)
    if report.protocol == "random":
        print(f"{'(BPR)':12} {'':>70} {RECBOLE_ML1M_NDCG10['BPR']:18.4f}")
    hybrid = next(r for r in report.results if r.model == "Hybrid")
    ease = next(r for r in report.results if r.model == "EASE")
    print(f"EASE lambda tuned on validation: {ease.params.get('lam')}")
    print(f"EASE lambda picked on test (optimistic): {oracle[1]:g} -> NDCG@10 {oracle[0]:.4f}")
    print(
        f"Hybrid / EASE NDCG@10: {hybrid.ndcg[10] / ease.ndcg[10]:.3f} "
        f"(vs optimistic EASE {hybrid.ndcg[10] / oracle[0]:.3f}); "
        f"hybrid weights {report.tuned.weights}, history half-life {report.tuned.half_life}"
    )
    fitted = sum(r.train_seconds for r in report.results)
    print(
        f"tuning {report.tune_seconds:.1f} s ({report.tune_cpu_seconds:.1f} s CPU), fitting all "
        f"models {fitted:.1f} s (hybrid {hybrid.train_seconds:.2f} s, "
        f"{hybrid.train_cpu_seconds:.2f} s CPU), whole run {seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("temporal", "random", "both"), default="both")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "var" / "cache")
    parser.add_argument("--json", type=Path, help="also write the reports here")
    args = parser.parse_args()
    protocols = ("temporal", "random") if args.protocol == "both" else (args.protocol,)
    dumps = []
    for protocol in protocols:
        started = time.perf_counter()
        data = movielens(args.cache_dir, protocol)
        report = run(data, protocol)
        oracle = ease_oracle(data)
        show(report, oracle, time.perf_counter() - started)
        dumps.append({**report.as_dict(), "ease_oracle": {"ndcg@10": oracle[0], "lam": oracle[1]}})
    if args.json:
        args.json.write_text(json.dumps(dumps, indent=2))


if __name__ == "__main__":
    main()

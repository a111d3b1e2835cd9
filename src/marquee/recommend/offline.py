"""Offline evaluation runs: build a protocol's split, tune on validation, score every model on test."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp

from marquee.datasets import movielens_100k
from marquee.recommend.algorithms import Model, MostPopular
from marquee.recommend.data import (
    encode,
    filter_rating,
    item_features,
    load_movielens_items,
    load_tsv,
)
from marquee.recommend.evaluate import Result, evaluate
from marquee.recommend.hybrid import Hybrid
from marquee.recommend.split import Split, given_protocol, random_protocol, temporal_protocol
from marquee.recommend.tuning import Tuned, hybrid_components, tune, tuned_models

Protocol = Literal["temporal", "random"]
# RecBole's ML-1M benchmark keeps ratings of 3 and above for the random 8:1:1 protocol.
RANDOM_MIN_RATING = 3.0


@dataclass
class Dataset:
    """A split ready for evaluation, with optional item content features."""

    name: str
    split: Split
    features: sp.csr_matrix | None = None


@dataclass
class Report:
    """A whole evaluation run: the table and how it was produced."""

    dataset: str
    protocol: str
    results: list[Result]
    tuned: Tuned
    tune_seconds: float
    tune_cpu_seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "protocol": self.protocol,
            "stats": self.stats,
            "tune_seconds": round(self.tune_seconds, 3),
            "tune_cpu_seconds": round(self.tune_cpu_seconds, 3),
            "validation_ndcg@10": self.tuned.validation_ndcg,
            "hybrid": {"half_life": self.tuned.half_life, "weights": self.tuned.weights},
            "results": [r.as_dict() for r in self.results],
        }


def movielens(cache_dir: Path, protocol: Protocol = "temporal") -> Dataset:
    """MovieLens-100K under the chosen protocol, with genre and decade features."""
    folder = movielens_100k(cache_dir)
    log = load_tsv(folder / "ml-100k.inter")
    if protocol == "random":
        log = filter_rating(log, RANDOM_MIN_RATING)
    (coded,) = encode(log)
    split = temporal_protocol(coded) if protocol == "temporal" else random_protocol(coded)
    info = load_movielens_items(folder / "ml-100k.item")
    return Dataset("ml-100k", split, item_features(info, coded.item_ids))


def from_files(train_path: Path, test_path: Path) -> Dataset:
    """An operator's own train/test TSV pair (no content features)."""
    train, test = encode(load_tsv(train_path), load_tsv(test_path))
    # Users with nothing in train have no history to rank from; drop them from the test.
    known = np.bincount(train.user, minlength=train.n_users) > 0
    test = test.subset(known[test.user])
    return Dataset(f"{train_path.name} / {test_path.name}", given_protocol(train, test))


def final_models(tuned: Tuned, features: sp.csr_matrix | None) -> list[Model]:
    """Every model with its tuned parameters, plus the hybrid, unfitted."""
    models: list[Model] = [MostPopular()]
    models.extend(tuned_models(tuned, features).values())
    models.append(Hybrid(hybrid_components(tuned, features), tuned.weights))
    return models


def run(dataset: Dataset, protocol: str) -> Report:
    """Tune on the validation split, then fit each model on train and evaluate it on test."""
    split = dataset.split
    started, cpu = time.perf_counter(), time.process_time()
    tuned = tune(split, dataset.features)
    tune_seconds, tune_cpu = time.perf_counter() - started, time.process_time() - cpu
    test = split.test.matrix()
    popularity = np.asarray(split.train.matrix().sum(axis=0), dtype=np.float64).ravel()
    results = []
    for model in final_models(tuned, dataset.features):
        started, cpu = time.perf_counter(), time.process_time()
        model.fit(split.train)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        result = evaluate(
            model.name, model.scores, test=test, exclude=split.exclude, popularity=popularity
        )
        result.train_seconds, result.train_cpu_seconds = seconds, cpu
        result.params = dict(tuned.params.get(model.name, {}))
        results.append(result)
    stats = {
        "users": split.train.n_users,
        "items": split.train.n_items,
        "train_rows": len(split.train),
        "test_rows": len(split.test),
    }
    return Report(dataset.name, protocol, results, tuned, tune_seconds, tune_cpu, stats)

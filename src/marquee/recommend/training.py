"""Training the hybrid on an interaction file and saving its artefacts for serving."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from marquee.datasets import movielens_100k
from marquee.recommend.data import (
    Interactions,
    encode,
    item_features,
    load_movielens_items,
    load_tsv,
)
from marquee.recommend.hybrid import Hybrid
from marquee.recommend.split import Split, temporal_split
from marquee.recommend.tuning import hybrid_components, tune

ARTEFACT_VERSION = 1


def _arrays(model: object) -> dict[str, Any]:
    """The fitted numeric state of a model: its numpy arrays and sparse matrices."""
    return {
        key: value
        for key, value in vars(model).items()
        if isinstance(value, np.ndarray) or sp.issparse(value)
    }


def save(hybrid: Hybrid, log: Interactions, target: Path, meta: dict[str, Any]) -> list[str]:
    """Write each fitted component's arrays plus a manifest into `target`; return the files."""
    target.mkdir(parents=True, exist_ok=True)
    files = []
    for name in hybrid.weights:
        for key, value in _arrays(hybrid.components[name]).items():
            path = target / f"{name.lower()}.{key}.npz"
            if sp.issparse(value):
                sp.save_npz(path, sp.csr_matrix(value))
            else:
                np.savez_compressed(path, value=value)
            files.append(path.name)
    (target / "ids.json").write_text(
        json.dumps({"users": list(log.user_ids), "items": list(log.item_ids)})
    )
    manifest = {"version": ARTEFACT_VERSION, "files": files, **meta}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return files


def train_movielens(cache_dir: Path, target: Path) -> dict[str, Any]:
    """Tune on the latest 20 % of each user's history, then fit on everything and save."""
    folder = movielens_100k(cache_dir)
    (log,) = encode(load_tsv(folder / "ml-100k.inter"))
    features = item_features(load_movielens_items(folder / "ml-100k.item"), log.item_ids)
    started = time.perf_counter()
    tune_train, tune_valid = temporal_split(log)
    split = Split(log, tune_valid, tune_train, tune_valid, exclude=tune_train.matrix())
    tuned = tune(split, features)
    tune_seconds = time.perf_counter() - started
    hybrid = Hybrid(hybrid_components(tuned, features), tuned.weights)
    started = time.perf_counter()
    hybrid.fit(log)
    train_seconds = time.perf_counter() - started
    meta = {
        "dataset": "ml-100k",
        "interactions": len(log),
        "weights": tuned.weights,
        "half_life": tuned.half_life,
        "params": tuned.params,
        "tune_seconds": round(tune_seconds, 2),
        "train_seconds": round(train_seconds, 2),
    }
    files = save(hybrid, log, target, meta)
    return {**meta, "directory": str(target), "files": len(files)}

"""Training the hybrid on an interaction log, and saving or loading its artefacts for serving."""

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
from marquee.recommend.tuning import Tuned, hybrid_components, tune

ARTEFACT_VERSION = 1


def _arrays(model: object) -> dict[str, Any]:
    """The fitted numeric state of a model: its numpy arrays and sparse matrices."""
    return {
        key: value
        for key, value in vars(model).items()
        if isinstance(value, np.ndarray) or sp.issparse(value)
    }


def save(hybrid: Hybrid, log: Interactions, target: Path, meta: dict[str, Any]) -> list[str]:
    """Write each fitted component's arrays plus ids and a manifest into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    files = []
    for name in hybrid.weights:
        for key, value in _arrays(hybrid.components[name]).items():
            sparse = sp.issparse(value)
            path = target / f"{name}.{key}.{'csr' if sparse else 'dense'}.npz"
            if sparse:
                sp.save_npz(path, sp.csr_matrix(value))
            else:
                np.savez_compressed(path, value=value)
            files.append(path.name)
    ids = {"users": list(log.user_ids), "items": list(log.item_ids)}
    (target / "ids.json").write_text(json.dumps(ids))
    manifest = {"version": ARTEFACT_VERSION, "files": files, **meta}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return files


def load(target: Path, features: sp.csr_matrix | None = None) -> tuple[Hybrid, dict[str, Any]]:
    """Rebuild a fitted hybrid from `save`'s directory; returns it with the id maps."""
    manifest = json.loads((target / "manifest.json").read_text())
    tuned = Tuned(
        params=manifest["params"], half_life=manifest["half_life"], weights=manifest["weights"]
    )
    saved_features = target / "Content.features.csr.npz"
    if features is None and saved_features.exists():
        features = sp.load_npz(saved_features).tocsr()
    hybrid = Hybrid(hybrid_components(tuned, features), tuned.weights)
    for filename in manifest["files"]:
        name, key, kind, _ = filename.split(".")
        path = target / filename
        value = sp.load_npz(path).tocsr() if kind == "csr" else np.load(path)["value"]
        setattr(hybrid.components[name], key, value)
    ids: dict[str, Any] = json.loads((target / "ids.json").read_text())
    return hybrid, ids


def tune_on_latest(log: Interactions, features: sp.csr_matrix | None) -> Tuned:
    """Tune on each user's latest 20 % of the log, the part that best mimics what comes next."""
    tune_train, tune_valid = temporal_split(log)
    split = Split(log, tune_valid, tune_train, tune_valid, exclude=tune_train.matrix())
    return tune(split, features)


def train(
    log: Interactions,
    target: Path,
    *,
    features: sp.csr_matrix | None = None,
    tuned: Tuned | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Tune (unless given parameters), fit the hybrid on the whole log and save it."""
    started = time.perf_counter()
    tuned = tuned or tune_on_latest(log, features)
    tune_seconds = time.perf_counter() - started
    hybrid = Hybrid(hybrid_components(tuned, features), tuned.weights)
    started = time.perf_counter()
    hybrid.fit(log)
    summary = {
        **(meta or {}),
        "interactions": len(log),
        "weights": tuned.weights,
        "half_life": tuned.half_life,
        "params": tuned.params,
        "tune_seconds": round(tune_seconds, 2),
        "train_seconds": round(time.perf_counter() - started, 2),
    }
    files = save(hybrid, log, target, summary)
    return {**summary, "directory": str(target), "files": len(files)}


def train_movielens(cache_dir: Path, target: Path) -> dict[str, Any]:
    """Train on all of MovieLens-100K (the database-backed training reads viewing events)."""
    folder = movielens_100k(cache_dir)
    (log,) = encode(load_tsv(folder / "ml-100k.inter"))
    features = item_features(load_movielens_items(folder / "ml-100k.item"), log.item_ids)
    return train(log, target, features=features, meta={"dataset": "ml-100k"})

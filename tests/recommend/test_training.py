"""Training saves artefacts that load back into a hybrid scoring exactly like the trained one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from marquee.recommend.hybrid import Hybrid
from marquee.recommend.training import load, save, train
from marquee.recommend.tuning import Tuned, hybrid_components
from tests.recommend.factories import log_of

TUNED = Tuned(
    params={
        "Trending": {"half_life_days": 7.0},
        "ItemKNN": {"k": 10, "shrink": 1.0},
        "EASE": {"lam": 5.0},
        "ALS": {"factors": 4, "regularization": 0.05, "alpha": 1.0},
        "Content": {"half_life": None},
    },
    half_life=2.0,
    weights={"EASE": 1.0, "ItemKNN": 0.5, "ALS": 0.3, "Content": 0.2, "Trending": -0.1},
)


def _log_and_features():
    rng = np.random.default_rng(4)
    rows = [(f"u{u}", f"m{i}", float(t)) for t, (u, i) in enumerate(rng.integers(0, 12, (90, 2)))]
    log = log_of(rows)
    features = sp.csr_matrix((np.arange(log.n_items)[:, None] % 3 == np.arange(3)).astype(float))
    return log, features


def test_saved_hybrid_loads_back_scoring_identically(tmp_path: Path) -> None:
    log, features = _log_and_features()
    hybrid = Hybrid(hybrid_components(TUNED, features), TUNED.weights)
    hybrid.fit(log)
    meta = {"params": TUNED.params, "half_life": TUNED.half_life, "weights": TUNED.weights}
    save(hybrid, log, tmp_path, meta)
    loaded, ids = load(tmp_path)
    assert ids == {"users": list(log.user_ids), "items": list(log.item_ids)}
    users = np.arange(log.n_users)
    assert np.allclose(loaded.scores(users), hybrid.scores(users))
    assert loaded.components["EASE"].half_life == TUNED.half_life


def test_train_writes_a_manifest_with_its_parameters(tmp_path: Path) -> None:
    log, features = _log_and_features()
    summary = train(log, tmp_path / "recs", features=features, tuned=TUNED, meta={"dataset": "t"})
    assert summary["interactions"] == 90
    assert summary["tune_seconds"] < 1  # given parameters: nothing to tune
    manifest = json.loads((tmp_path / "recs" / "manifest.json").read_text())
    assert manifest["dataset"] == "t"
    assert manifest["weights"] == TUNED.weights
    assert len(manifest["files"]) == summary["files"] > 0
    assert all((tmp_path / "recs" / name).is_file() for name in manifest["files"])


def test_load_skips_unweighted_content_when_no_features_are_given(tmp_path: Path) -> None:
    log, features = _log_and_features()
    weights = {"EASE": 1.0, "ItemKNN": 0.5}
    tuned = Tuned(params=TUNED.params, half_life=None, weights=weights)
    train(log, tmp_path, features=features, tuned=tuned)
    loaded, _ = load(tmp_path)
    assert set(loaded.weights) == {"EASE", "ItemKNN"}
    assert "Content" not in loaded.components
    assert loaded.scores(np.arange(2)).shape == (2, log.n_items)

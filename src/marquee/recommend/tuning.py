"""Hyperparameter and blend-weight search on a validation split carved from training data only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from marquee.recommend.algorithms import ALS, EASE, ContentBased, ItemKNN, Model, Trending
from marquee.recommend.data import FloatArray, IntArray, Interactions
from marquee.recommend.evaluate import best_k, rank_metrics
from marquee.recommend.hybrid import blend, standardise
from marquee.recommend.split import Split

Params = dict[str, Any]
Factory = Callable[[Params], Model]

GRIDS: dict[str, list[Params]] = {
    "Trending": [{"half_life_days": d} for d in (3.0, 7.0, 14.0, 30.0, 90.0, 365.0)],
    "ItemKNN": [{"k": k, "shrink": s} for k in (100, 200, 400) for s in (0.0, 10.0, 50.0)],
    "EASE": [{"lam": lam} for lam in (50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1200.0, 2000.0)],
    "ALS": [
        {"factors": f, "regularization": 0.05, "alpha": a} for f in (32, 64) for a in (0.5, 2.0)
    ],
    "Content": [{"half_life": h} for h in (None, 20.0)],
}
HALF_LIVES: tuple[float | None, ...] = (None, 2.0, 3.5, 5.0, 10.0, 20.0)
# The hybrid weighs the user's history by recency in these components (see models.history).
RECENCY_AWARE = ("EASE", "ItemKNN")
WEIGHT_STEPS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
MAX_VALIDATION_USERS = 4000
# A dense float64 item x item matrix of 20,000 titles is 3.2 GB; larger catalogues skip EASE.
EASE_MAX_ITEMS = 20_000
PRIOR_STEPS = (-0.5, -0.3, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1)


def factories(features: sp.csr_matrix | None) -> dict[str, Factory]:
    """How to build each tunable model from its parameters."""
    made: dict[str, Factory] = {
        "Trending": lambda p: Trending(**p),
        "ItemKNN": lambda p: ItemKNN(**p),
        "EASE": lambda p: EASE(**p),
        "ALS": lambda p: ALS(**p),
    }
    if features is not None:
        made["Content"] = lambda p: ContentBased(features, **p)
    return made


@dataclass
class Validation:
    """The validation users with their targets and exclusions, and a metric on score rows."""

    users: IntArray
    relevant: sp.csr_matrix
    penalty: NDArray[np.float32]

    @classmethod
    def of(cls, train: Interactions, valid: Interactions) -> Validation:
        relevant = valid.matrix()
        users = np.flatnonzero(relevant.getnnz(axis=1) > 0).astype(np.int64)
        if len(users) > MAX_VALIDATION_USERS:
            # Dense score rows for every user would not fit in memory on large logs.
            rng = np.random.default_rng(0)
            users = np.sort(rng.choice(users, MAX_VALIDATION_USERS, replace=False))
        # Known items get -inf once here rather than on every one of hundreds of trials.
        penalty = np.asarray(train.matrix()[users].todense(), dtype=np.float32)
        penalty[penalty > 0] = -np.inf
        return cls(users, relevant[users], penalty)

    def ndcg(self, scores: FloatArray, k: int = 10) -> float:
        if not len(self.users):
            return 0.0  # nothing to validate on: every candidate ties, defaults win
        ranked = best_k(scores + self.penalty, k)
        return float(rank_metrics(ranked, self.relevant, (k,))[1][k].mean())


@dataclass
class Tuned:
    """Chosen parameters per model and the hybrid's history half-life and blend weights."""

    params: dict[str, Params] = field(default_factory=dict)
    validation_ndcg: dict[str, float] = field(default_factory=dict)
    half_life: float | None = None
    weights: dict[str, float] = field(default_factory=dict)


def best_params(
    factory: Factory, grid: Iterable[Params], train: Interactions, val: Validation
) -> tuple[Params, float]:
    best: tuple[Params, float] = ({}, -1.0)
    for params in grid:
        model = factory(params)
        model.fit(train)
        score = val.ndcg(model.scores(val.users))
        if score > best[1]:
            best = (params, score)
    return best


def coordinate_ascent(
    parts: Mapping[str, FloatArray], start: Mapping[str, float], val: Validation, passes: int = 2
) -> tuple[dict[str, float], float]:
    """Greedy one-weight-at-a-time search; never worse than the starting blend."""
    weights = {name: float(start.get(name, 0.0)) for name in parts}
    best = val.ndcg(blend(parts, weights))
    for _ in range(passes):
        improved = False
        for name in parts:
            others = {other: w for other, w in weights.items() if other != name}
            # The rest of the blend is fixed while this weight moves: sum it once.
            rest = blend(parts, others) if any(others.values()) else 0.0
            for step in PRIOR_STEPS if name == "Trending" else WEIGHT_STEPS:
                if not any(others.values()) and step == 0:
                    continue
                score = val.ndcg(rest + step * parts[name])
                if score > best + 1e-6:
                    weights, best, improved = {**weights, name: step}, score, True
        if not improved:
            break
    return {name: w for name, w in weights.items() if w}, best


def _standardised(model: Model, val: Validation) -> FloatArray:
    # Single precision halves the memory traffic of the many blends tried on these scores.
    return standardise(model.scores(val.users)).astype(np.float32)


def _validation_scores(model: Model, train: Interactions, val: Validation) -> FloatArray:
    model.fit(train)
    return _standardised(model, val)


def usable(features: sp.csr_matrix | None, n_items: int) -> dict[str, Factory]:
    """The models that fit this catalogue: EASE's dense item x item inverse has a size limit."""
    made = factories(features)
    if n_items > EASE_MAX_ITEMS:
        del made["EASE"]
    return made


def _fit_aware(
    tuned: Tuned, made: Mapping[str, Factory], train: Interactions
) -> dict[str, EASE | ItemKNN]:
    classes: dict[str, type[EASE] | type[ItemKNN]] = {"EASE": EASE, "ItemKNN": ItemKNN}
    aware = {name: classes[name](**tuned.params[name]) for name in RECENCY_AWARE if name in made}
    for model in aware.values():
        model.fit(train)
    return aware


def tune(split: Split, features: sp.csr_matrix | None) -> Tuned:
    """Pick every model's parameters, then the hybrid's half-life and weights, on validation."""
    val = Validation.of(split.tune_train, split.tune_valid)
    tuned = Tuned()
    made = usable(features, split.train.n_items)
    for name, factory in made.items():
        params, score = best_params(factory, GRIDS[name], split.tune_train, val)
        tuned.params[name], tuned.validation_ndcg[name] = params, score
    fixed = {
        name: _validation_scores(made[name](tuned.params[name]), split.tune_train, val)
        for name in made
        if name not in RECENCY_AWARE
    }
    aware = _fit_aware(tuned, made, split.tune_train)
    start = {"EASE": 1.0} if "EASE" in made else {"ItemKNN": 1.0}
    best = -1.0
    for half_life in HALF_LIVES:
        parts = dict(fixed)
        for name, model in aware.items():
            model.reweigh_history(split.tune_train, half_life)
            parts[name] = _standardised(model, val)
        weights, score = coordinate_ascent(parts, start, val)
        if score > best:
            best, tuned.half_life, tuned.weights = score, half_life, weights
    tuned.validation_ndcg["Hybrid"] = best
    return tuned


def tuned_models(tuned: Tuned, features: sp.csr_matrix | None) -> dict[str, Model]:
    """Every tuned model, unfitted, with its own parameters."""
    made = factories(features)
    return {name: made[name](dict(p)) for name, p in tuned.params.items() if name in made}


def hybrid_components(tuned: Tuned, features: sp.csr_matrix | None) -> dict[str, Model]:
    """Fresh, unfitted components for the tuned hybrid."""
    made = factories(features)
    components = {}
    for name, params in tuned.params.items():
        if name not in made:
            continue  # content features were not supplied; only an error if weighted
        extra = {"half_life": tuned.half_life} if name in RECENCY_AWARE else {}
        components[name] = made[name]({**params, **extra})
    return components

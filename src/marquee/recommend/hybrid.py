"""A hybrid recommender: a weighted blend of per-user standardised component scores."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from marquee.recommend.algorithms import Model
from marquee.recommend.data import FloatArray, IntArray, Interactions


def standardise(scores: FloatArray) -> FloatArray:
    """Centre and scale each user's row so components on different scales can be summed."""
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    return np.asarray((scores - mean) / std)


def blend(parts: Mapping[str, FloatArray], weights: Mapping[str, float]) -> FloatArray:
    """Weighted sum of already-standardised component scores."""
    total: FloatArray | None = None
    for name, weight in weights.items():
        if weight == 0:
            continue
        term = weight * parts[name]
        total = term if total is None else total + term
    if total is None:
        raise ValueError("a blend needs at least one non-zero weight")
    return total


class Hybrid:
    """Blends components (EASE, item-kNN, ALS, content, a popularity prior) with fixed weights."""

    name = "Hybrid"

    def __init__(self, components: Mapping[str, Model], weights: Mapping[str, float]) -> None:
        unknown = set(weights) - set(components)
        if unknown:
            raise ValueError(f"weights for unknown components: {sorted(unknown)}")
        self.components = dict(components)
        self.weights = {name: w for name, w in weights.items() if w != 0}

    def fit(self, train: Interactions) -> None:
        for name in self.weights:
            self.components[name].fit(train)

    def scores(self, users: IntArray) -> FloatArray:
        parts = {name: standardise(self.components[name].scores(users)) for name in self.weights}
        return blend(parts, self.weights)

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        """Blend for histories outside the training log (new profiles, the latest views)."""
        parts = {
            name: standardise(self.components[name].score_history(history)) for name in self.weights
        }
        return blend(parts, self.weights)

"""Recommender models behind one tiny protocol: popularity, trending, item-kNN, EASE, ALS, content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from marquee.recommend.data import FloatArray, IntArray, Interactions

SECONDS_PER_DAY = 86_400.0


@runtime_checkable
class Model(Protocol):
    """Learns from a training log, then scores every item for a batch of user rows."""

    name: str

    def fit(self, train: Interactions) -> None: ...

    def scores(self, users: IntArray) -> FloatArray:
        """A (len(users), n_items) array; higher means more recommended."""
        ...

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        """Scores for histories given as (n, n_items) rows, e.g. a new profile's first views."""
        ...


def recency_weights(train: Interactions, half_life: float | None) -> FloatArray:
    """Per-row weight 0.5 ** (k / half_life), k = how many of the user's later rows follow it.

    Recent taste predicts the next views better than old taste; `None` weighs all rows 1.
    """
    if half_life is None or len(train) == 0:
        return np.ones(len(train))
    order = np.lexsort((np.arange(len(train)), train.timestamp, train.user))
    users = train.user[order]
    starts = np.r_[0, np.flatnonzero(users[1:] != users[:-1]) + 1]
    ends = np.r_[starts[1:], len(users)]
    later = np.empty(len(train))
    for start, end in zip(starts, ends, strict=True):
        later[start:end] = np.arange(end - start - 1, -1, -1)
    weights = np.empty(len(train))
    weights[order] = 0.5 ** (later / half_life)
    return weights


def history_of(items: Sequence[int], n_items: int, half_life: float | None = None) -> sp.csr_matrix:
    """One history row from item codes, oldest first, weighted like `recency_weights`."""
    later = np.arange(len(items) - 1, -1, -1, dtype=np.float64)
    weights = np.ones(len(items)) if half_life is None else 0.5 ** (later / half_life)
    row = sp.csr_matrix(
        (weights, (np.zeros(len(items), dtype=np.int64), np.asarray(items, dtype=np.int64))),
        shape=(1, n_items),
    )
    row.sum_duplicates()
    return row


def history(train: Interactions, half_life: float | None = None) -> sp.csr_matrix:
    """The userxitem history, binary or weighted by recency."""
    if half_life is None:
        return train.matrix()
    return train.matrix(recency_weights(train, half_life))


class MostPopular:
    """Items ranked by how many users interacted with them."""

    name = "MostPopular"

    def __init__(self) -> None:
        self.popularity = np.zeros(0)

    def fit(self, train: Interactions) -> None:
        self.popularity = np.asarray(train.matrix().sum(axis=0), dtype=np.float64).ravel()

    def scores(self, users: IntArray) -> FloatArray:
        return np.tile(self.popularity, (len(users), 1))

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        return np.tile(self.popularity, (history.shape[0], 1))


class Trending:
    """Popularity where each interaction's weight halves every `half_life_days` before the latest."""

    name = "Trending"

    def __init__(self, half_life_days: float = 14.0) -> None:
        self.half_life_days = half_life_days
        self.popularity = np.zeros(0)

    def fit(self, train: Interactions) -> None:
        latest = float(train.timestamp.max()) if len(train) else 0.0
        age_days = (latest - train.timestamp) / SECONDS_PER_DAY
        weights = 0.5 ** (age_days / self.half_life_days)
        counts = np.bincount(train.item, weights=weights, minlength=train.n_items)
        self.popularity = counts.astype(np.float64)

    def scores(self, users: IntArray) -> FloatArray:
        return np.tile(self.popularity, (len(users), 1))

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        return np.tile(self.popularity, (history.shape[0], 1))


class _ItemToItem:
    """Scores are the user's (optionally recency-weighted) history times an itemxitem matrix."""

    def __init__(self, half_life: float | None) -> None:
        self.half_life = half_life
        self.user_history = sp.csr_matrix((0, 0))

    def _fit_history(self, train: Interactions) -> None:
        self.user_history = history(train, self.half_life)

    def reweigh_history(self, train: Interactions, half_life: float | None) -> None:
        """Switch the history's recency weighting without refitting the item-item matrix."""
        self.half_life = half_life
        self._fit_history(train)

    def _weights(self) -> sp.csr_matrix | FloatArray:
        raise NotImplementedError

    def scores(self, users: IntArray) -> FloatArray:
        return self.score_history(self.user_history[users])

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        product = history @ self._weights()
        return np.asarray(product.todense() if sp.issparse(product) else product)


def _top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of every row."""
    matrix = matrix.tocsr()
    rows, cols, vals = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        data = matrix.data[start:end]
        keep = np.argsort(-data, kind="stable")[:k] if len(data) > k else np.arange(len(data))
        rows.append(np.full(len(keep), row))
        cols.append(matrix.indices[start:end][keep])
        vals.append(data[keep])
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape
    )


class ItemKNN(_ItemToItem):
    """Item-item cosine similarity shrunk towards 0 for items with little co-consumption."""

    name = "ItemKNN"

    def __init__(self, k: int = 100, shrink: float = 10.0, half_life: float | None = None) -> None:
        super().__init__(half_life)
        self.k, self.shrink = k, shrink
        self.similarity = sp.csr_matrix((0, 0))

    def fit(self, train: Interactions) -> None:
        binary = train.matrix()
        co = (binary.T @ binary).tocsr().astype(np.float64)
        co.setdiag(0.0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(binary.sum(axis=0), dtype=np.float64).ravel())
        coo = co.tocoo()
        coo.data = coo.data / (norms[coo.row] * norms[coo.col] + self.shrink)
        # Row j keeps item j's k nearest items; transposed, it scores target j from those only.
        self.similarity = _top_k_per_row(coo.tocsr(), self.k).T.tocsr()
        self._fit_history(train)

    def _weights(self) -> sp.csr_matrix:
        return self.similarity


class EASE(_ItemToItem):
    """Embarrassingly shallow autoencoder (Steck 2019): closed-form itemxitem ridge regression."""

    name = "EASE"

    def __init__(self, lam: float = 250.0, half_life: float | None = None) -> None:
        super().__init__(half_life)
        self.lam = lam
        self.weights = np.zeros((0, 0))

    def fit(self, train: Interactions) -> None:
        binary = train.matrix()
        gram = np.asarray((binary.T @ binary).todense(), dtype=np.float64)
        gram[np.diag_indices_from(gram)] += self.lam
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)[np.newaxis, :]
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights = weights
        self._fit_history(train)

    def _weights(self) -> FloatArray:
        return self.weights


class ALS:
    """Matrix factorisation on implicit confidence alpha·r (Hu, Koren, Volinsky 2008).

    r is 1 per interaction, or with `weighted` the log's rating column (a watch fraction,
    a thumbs-up bonus), so that strong signals pull the factors harder than a glance.
    """

    name = "ALS"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 15,
        threads: int = 2,
        seed: int = 7,
        weighted: bool = False,
    ) -> None:
        self.factors, self.regularization, self.alpha = factors, regularization, alpha
        self.iterations, self.threads, self.seed = iterations, threads, seed
        self.weighted = weighted
        self.user_factors = np.zeros((0, 0))
        self.item_factors = np.zeros((0, 0))

    def fit(self, train: Interactions) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        # implicit runs its own threads; a second BLAS thread pool underneath only contends.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                num_threads=self.threads,
                random_state=self.seed,
            )
            signal = train.matrix(train.rating if self.weighted else None)
            model.fit(signal.astype(np.float32), show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float64)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float64)

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray(self.user_factors[users] @ self.item_factors.T)

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        """Fold each history in: the user factors one more ALS step would give it."""
        items = self.item_factors
        gram = items.T @ items + self.regularization * np.eye(items.shape[1])
        history = sp.csr_matrix(history)
        folded = np.zeros((history.shape[0], items.shape[1]))
        for row in range(history.shape[0]):
            start, end = history.indptr[row], history.indptr[row + 1]
            seen, signal = history.indices[start:end], history.data[start:end]
            if not len(seen):
                continue
            # The same normal equations as implicit's solver, for one extra user.
            confidence = self.alpha * (signal if self.weighted else np.ones(len(seen)))
            factors = items[seen]
            lhs = gram + (factors.T * (confidence - 1.0)) @ factors
            folded[row] = np.linalg.solve(lhs, factors.T @ confidence)
        return np.asarray(folded @ items.T)


class ContentBased:
    """Cosine between a user's feature profile and each item's features (genres, decade, ...).

    Needs no co-consumption, so it ranks titles nobody has watched yet.
    """

    name = "Content"

    def __init__(self, features: sp.csr_matrix, half_life: float | None = None) -> None:
        self.features = self._normalised(features)
        self.half_life = half_life
        self.profiles = np.zeros((0, 0))

    @staticmethod
    def _normalised(features: sp.csr_matrix) -> sp.csr_matrix:
        binary = (features > 0).astype(np.float64)
        # Rare features (a niche genre) say more about taste than common ones (drama).
        idf = np.log((1 + binary.shape[0]) / (1 + np.asarray(binary.sum(axis=0)).ravel())) + 1
        weighted = binary.multiply(idf[np.newaxis, :]).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(weighted.multiply(1.0 / norms[:, np.newaxis]))

    def fit(self, train: Interactions) -> None:
        if self.features.shape[0] != train.n_items:
            raise ValueError("content features must have one row per coded item")
        self.profiles = self._profiles(history(train, self.half_life))

    def _profiles(self, rows: sp.csr_matrix) -> FloatArray:
        profiles = np.asarray((rows @ self.features).todense())
        norms = np.linalg.norm(profiles, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.asarray(profiles / norms)

    def scores(self, users: IntArray) -> FloatArray:
        return np.asarray(self.features @ self.profiles[users].T).T

    def score_history(self, history: sp.csr_matrix) -> FloatArray:
        return np.asarray(self.features @ self._profiles(history).T).T

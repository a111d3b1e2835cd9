"""Full-ranking offline metrics: Recall@k, NDCG@k, catalogue coverage and popularity of picks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from marquee.recommend.data import FloatArray, IntArray

Scorer = Callable[[IntArray], FloatArray]
BATCH_USERS = 512


@dataclass
class Result:
    """One model's row in the evaluation table."""

    model: str
    recall: dict[int, float]
    ndcg: dict[int, float]
    coverage: float
    mean_popularity: float
    users: int
    train_seconds: float = 0.0
    train_cpu_seconds: float = 0.0
    params: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        row = asdict(self)
        row["recall"] = {f"@{k}": v for k, v in self.recall.items()}
        row["ndcg"] = {f"@{k}": v for k, v in self.ndcg.items()}
        return row


def top_k(scores: FloatArray, exclude: sp.csr_matrix, k: int) -> IntArray:
    """Each row's k best item indices, best first, never an excluded item."""
    scores = np.array(scores, copy=True)
    rows, cols = exclude.nonzero()
    scores[rows, cols] = -np.inf
    return best_k(scores, k)


def best_k(scores: FloatArray, k: int) -> IntArray:
    """Each row's k highest-scoring column indices, best first."""
    n = scores.shape[1]
    k = min(k, n)
    part = np.argpartition(scores, n - k, axis=1)[:, n - k :]
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.asarray(np.take_along_axis(part, order, axis=1), dtype=np.int64)


def _discounts(k: int) -> FloatArray:
    return np.asarray(1.0 / np.log2(np.arange(2, k + 2)))


def rank_metrics(
    ranked: IntArray, relevant: sp.csr_matrix, ks: Sequence[int]
) -> tuple[dict[int, FloatArray], dict[int, FloatArray]]:
    """Per-user recall and NDCG for ranked lists against binary relevance rows."""
    hits = np.asarray(relevant[np.arange(ranked.shape[0])[:, None], ranked].todense()) > 0
    n_relevant = np.asarray(relevant.getnnz(axis=1), dtype=np.float64)
    recall: dict[int, FloatArray] = {}
    ndcg: dict[int, FloatArray] = {}
    discounts = _discounts(max(ks))
    ideal_cum = np.cumsum(discounts)
    for k in ks:
        top = hits[:, :k]  # narrower than k when the catalogue is smaller than k
        recall[k] = top.sum(axis=1) / n_relevant
        dcg = (top * discounts[: top.shape[1]]).sum(axis=1)
        ideal = ideal_cum[np.minimum(n_relevant, k).astype(np.int64) - 1]
        ndcg[k] = dcg / ideal
    return recall, ndcg


def evaluate(
    name: str,
    scorer: Scorer,
    *,
    test: sp.csr_matrix,
    exclude: sp.csr_matrix,
    popularity: FloatArray,
    ks: Sequence[int] = (10, 20),
) -> Result:
    """Rank every item for each user with test items, skipping the user's known history.

    Coverage and mean popularity describe the top-min(ks) lists; popularity is the number of
    training interactions of each recommended item.
    """
    users = np.flatnonzero(test.getnnz(axis=1) > 0).astype(np.int64)
    sums: dict[str, dict[int, float]] = {"recall": dict.fromkeys(ks, 0.0), "ndcg": {}}
    sums["ndcg"] = dict.fromkeys(ks, 0.0)
    shown = np.zeros(test.shape[1], dtype=bool)
    pop_total = 0.0
    head = min(ks)
    for start in range(0, len(users), BATCH_USERS):
        batch = users[start : start + BATCH_USERS]
        ranked = top_k(scorer(batch), exclude[batch], max(ks))
        recall, ndcg = rank_metrics(ranked, test[batch], ks)
        for k in ks:
            sums["recall"][k] += float(recall[k].sum())
            sums["ndcg"][k] += float(ndcg[k].sum())
        shown[ranked[:, :head].ravel()] = True
        pop_total += float(popularity[ranked[:, :head]].sum())
    count = max(len(users), 1)
    return Result(
        model=name,
        recall={k: sums["recall"][k] / count for k in ks},
        ndcg={k: sums["ndcg"][k] / count for k in ks},
        coverage=float(shown.mean()) if shown.size else 0.0,
        mean_popularity=pop_total / (count * head),
        users=len(users),
    )

"""Metrics on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from marquee.recommend.evaluate import evaluate, rank_metrics, top_k


def test_recall_and_ndcg_match_a_hand_computed_example() -> None:
    ranked = np.array([[2, 0, 1], [3, 1, 0]])
    relevant = sp.csr_matrix(np.array([[1, 0, 0, 1], [0, 0, 0, 1]]))
    recall, ndcg = rank_metrics(ranked, relevant, (1, 2))
    # User 0: hit at rank 2 of 2 relevant. User 1: hit at rank 1 of 1 relevant.
    assert recall[2].tolist() == [0.5, 1.0]
    assert recall[1].tolist() == [0.0, 1.0]
    assert ndcg[2][0] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert ndcg[2][1] == pytest.approx(1.0)
    assert ndcg[1].tolist() == [0.0, 1.0]


def test_top_k_never_returns_an_excluded_item() -> None:
    scores = np.array([[5.0, 4.0, 3.0, 2.0]])
    exclude = sp.csr_matrix(np.array([[1, 0, 1, 0]]))
    assert top_k(scores, exclude, 2).tolist() == [[1, 3]]
    assert scores[0, 0] == 5.0  # the caller's scores are left untouched


def test_evaluate_reports_means_coverage_and_popularity() -> None:
    fixed = np.array([[4.0, 3.0, 2.0, 1.0]])

    def scorer(users: np.ndarray) -> np.ndarray:
        return np.repeat(fixed, len(users), axis=0)

    test = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1]]))
    exclude = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]]))
    popularity = np.array([10.0, 20.0, 30.0, 40.0])
    result = evaluate("fixed", scorer, test=test, exclude=exclude, popularity=popularity, ks=(1, 2))
    # User 0 sees [1, 2]: hit first. User 2 sees [0, 2]: one of two relevant, first.
    assert result.users == 2
    assert result.recall == {1: pytest.approx(0.75), 2: pytest.approx(0.75)}
    assert result.ndcg[1] == pytest.approx(1.0)
    assert result.ndcg[2] == pytest.approx((1 + 1 / (1 + 1 / np.log2(3))) / 2)
    assert result.coverage == pytest.approx(2 / 4)  # top-1 lists: items 1 and 0
    assert result.mean_popularity == pytest.approx((20 + 10) / 2)
    assert result.as_dict()["ndcg"] == {"@1": result.ndcg[1], "@2": result.ndcg[2]}


def test_metrics_hold_when_the_catalogue_is_smaller_than_k() -> None:
    ranked = np.array([[1, 0]])
    relevant = sp.csr_matrix(np.array([[1, 0]]))
    recall, ndcg = rank_metrics(ranked, relevant, (10,))
    assert recall[10].tolist() == [1.0]
    assert ndcg[10][0] == pytest.approx(1 / np.log2(3))

"""Each model on a hand-made fixture with a known answer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from marquee.recommend.algorithms import (
    ALS,
    EASE,
    ContentBased,
    ItemKNN,
    Model,
    MostPopular,
    Trending,
    history_of,
    recency_weights,
)
from marquee.recommend.hybrid import Hybrid, standardise
from tests.recommend.factories import DAY, code, log_of, user


def ranking(model: Model, log, name: str) -> list[str]:
    scores = model.scores(user(log, name))[0]
    return [log.item_ids[i] for i in np.argsort(-scores, kind="stable")]


REPEAT = [("u3", "c", 1), ("u3", "c", 2)]  # a repeat view does not count twice
CHAIN = [("u1", "a", 1), ("u1", "b", 2), ("u2", "a", 1), ("u2", "b", 2), ("u3", "a", 1)]


def test_most_popular_orders_items_by_distinct_users() -> None:
    log = log_of(
        [("u1", "a", 1), ("u2", "b", 1), ("u3", "b", 1), ("u1", "c", 1), ("u2", "c", 1), *REPEAT]
    )
    model = MostPopular()
    model.fit(log)
    assert ranking(model, log, "u1") == ["c", "b", "a"]
    assert model.popularity[code(log, "c")] == 3


def test_trending_prefers_recent_plays_over_old_ones() -> None:
    old = [(f"o{n}", "classic", 0.0) for n in range(3)]
    new = [(f"n{n}", "fresh", 100 * DAY) for n in range(2)]
    log = log_of(old + new)
    recent = Trending(half_life_days=7)
    recent.fit(log)
    assert ranking(recent, log, "o0")[0] == "fresh"
    forever = Trending(half_life_days=1e9)
    forever.fit(log)
    assert ranking(forever, log, "o0")[0] == "classic"


def test_item_knn_recommends_the_co_consumed_item_with_shrunk_cosine() -> None:
    log = log_of([*CHAIN, ("u3", "c", 2), ("u4", "d", 1), ("u4", "c", 2), ("me", "a", 3)])
    model = ItemKNN(k=10, shrink=1.0)
    model.fit(log)
    assert ranking(model, log, "me")[:2] == ["b", "c"]
    # a and b: 2 common users, 4 and 2 users each -> 2 / (sqrt(4 * 2) + 1).
    expected = 2 / (np.sqrt(8) + 1)
    assert model.similarity[code(log, "a"), code(log, "b")] == pytest.approx(expected)
    assert model.similarity[code(log, "a"), code(log, "d")] == 0


def test_item_knn_keeps_only_the_k_nearest_neighbours() -> None:
    log = log_of([*CHAIN, ("u3", "c", 2)])
    model = ItemKNN(k=1, shrink=0.0)
    model.fit(log)
    # Target c keeps only its single nearest item (a), so b cannot vote for c.
    assert model.similarity[code(log, "b"), code(log, "c")] == 0
    assert model.similarity[code(log, "a"), code(log, "c")] > 0


def test_ease_matches_the_hand_computed_two_item_solution() -> None:
    # Users: {x, y}, {x}, {x, y}. Gram: xx = 3, yy = 2, xy = 2; lambda = 1.
    log = log_of([("u1", "x", 1), ("u1", "y", 1), ("u2", "x", 1), ("u3", "x", 1), ("u3", "y", 1)])
    model = EASE(lam=1.0)
    model.fit(log)
    x, y = code(log, "x"), code(log, "y")
    assert model.weights[x, y] == pytest.approx(2 / (3 + 1))
    assert model.weights[y, x] == pytest.approx(2 / (2 + 1))
    assert model.weights[x, x] == model.weights[y, y] == 0


def test_ease_equals_ridge_regression_on_the_other_items() -> None:
    rng = np.random.default_rng(3)
    dense = rng.random((12, 5)) < 0.4
    rows = [(f"u{u}", f"i{i}", 1.0) for u, i in zip(*np.nonzero(dense), strict=True)]
    log = log_of(rows)
    model = EASE(lam=2.0)
    model.fit(log)
    matrix = log.matrix().toarray()
    for j in range(log.n_items):
        others = [i for i in range(log.n_items) if i != j]
        design = matrix[:, others]
        gram = design.T @ design + 2.0 * np.eye(len(others))
        expected = np.linalg.solve(gram, design.T @ matrix[:, j])
        assert model.weights[others, j] == pytest.approx(expected)


def test_als_recommends_from_the_users_own_taste_cluster() -> None:
    rows = [(f"a{u}", item, 1.0) for u in range(6) for item in ("a1", "a2", "a3")]
    rows += [(f"b{u}", item, 1.0) for u in range(6) for item in ("b1", "b2", "b3")]
    rows += [("me", "a1", 1.0), ("me", "a2", 1.0)]
    log = log_of(rows)
    model = ALS(factors=4, regularization=0.01, iterations=20, threads=1, seed=1)
    model.fit(log)
    unseen = [item for item in ranking(model, log, "me") if item not in ("a1", "a2")]
    assert unseen[0] == "a3"


def test_content_ranks_a_never_watched_title_of_the_users_genre_first() -> None:
    log = log_of(
        [("me", "horror1", 1), ("me", "horror2", 2), ("u2", "comedy1", 1)],
        items=["horror3", "comedy2"],
    )
    genre = {"horror1": 0, "horror2": 0, "horror3": 0, "comedy1": 1, "comedy2": 1}
    rows = [n for n, item in enumerate(log.item_ids)]
    cols = [genre[item] for item in log.item_ids]
    features = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(log.n_items, 2))
    model = ContentBased(features)
    model.fit(log)
    unseen = [i for i in ranking(model, log, "me") if i not in ("horror1", "horror2")]
    assert unseen[0] == "horror3"


def test_content_refuses_features_of_another_catalogue() -> None:
    log = log_of([("me", "a", 1)])
    with pytest.raises(ValueError, match="one row per coded item"):
        ContentBased(sp.csr_matrix(np.ones((3, 2)))).fit(log)


def test_recency_weights_halve_per_later_event() -> None:
    log = log_of([("u", "c", 3), ("u", "a", 1), ("v", "a", 5), ("u", "b", 2)])
    weights = recency_weights(log, half_life=1.0)
    assert weights.tolist() == [1.0, 0.25, 1.0, 0.5]
    assert recency_weights(log, None).tolist() == [1.0] * 4


def test_hybrid_blends_standardised_scores() -> None:
    log = log_of([("u1", "a", 1), ("u2", "a", 1), ("u2", "b", 2), ("u3", "c", 1), ("me", "b", 1)])
    pop, knn = MostPopular(), ItemKNN(shrink=0.0)
    hybrid = Hybrid({"pop": pop, "knn": knn}, {"pop": 0.3, "knn": 0.7})
    hybrid.fit(log)
    me = user(log, "me")
    expected = 0.3 * standardise(pop.scores(me)) + 0.7 * standardise(knn.scores(me))
    assert hybrid.scores(me) == pytest.approx(expected)


def test_hybrid_with_one_weight_ranks_like_that_component() -> None:
    log = log_of([("u1", "a", 1), ("u1", "b", 1), ("u2", "b", 1), ("u2", "c", 1), ("me", "a", 1)])
    alone = EASE(lam=0.5)
    hybrid = Hybrid({"EASE": EASE(lam=0.5), "pop": MostPopular()}, {"EASE": 1.0, "pop": 0.0})
    alone.fit(log)
    hybrid.fit(log)
    assert ranking(hybrid, log, "me") == ranking(alone, log, "me")


def test_hybrid_rejects_weights_for_unknown_components() -> None:
    with pytest.raises(ValueError, match="unknown components"):
        Hybrid({"pop": MostPopular()}, {"ease": 1.0})


def test_weighted_als_fits_strong_signals_closer_than_weak_ones() -> None:
    rows = [(f"u{u}", item, 1.0) for u in range(8) for item in ("x", "y", "z")]
    log = log_of([*rows, ("me", "x", 1.0), ("me", "y", 1.0)])
    ratings = np.ones(len(log))
    ratings[-2:] = [20.0, 0.05]  # "me" finished x twice over and barely sampled y
    strong = dataclasses.replace(log, rating=ratings)
    model = ALS(factors=2, regularization=0.1, alpha=1.0, iterations=30, threads=1, weighted=True)
    model.fit(strong)
    me = model.scores(user(log, "me"))[0]
    assert abs(1 - me[code(log, "x")]) < abs(1 - me[code(log, "y")])


def test_score_history_matches_scores_for_a_training_user() -> None:
    log = log_of([*CHAIN, ("u3", "c", 2), ("u4", "c", 1), ("u4", "d", 2), ("me", "a", 3)])
    me = user(log, "me")
    seen = history_of([code(log, "a")], log.n_items)
    for model in (EASE(lam=1.0), ItemKNN(shrink=0.0), MostPopular(), Trending()):
        model.fit(log)
        assert model.score_history(seen) == pytest.approx(model.scores(me))


def test_als_folds_a_new_history_into_its_taste_cluster() -> None:
    rows = [(f"a{u}", item, 1.0) for u in range(6) for item in ("a1", "a2", "a3")]
    rows += [(f"b{u}", item, 1.0) for u in range(6) for item in ("b1", "b2", "b3")]
    log = log_of(rows)
    model = ALS(factors=4, regularization=0.01, alpha=4.0, iterations=20, threads=1, seed=1)
    model.fit(log)
    newcomer = history_of([code(log, "b1"), code(log, "b2")], log.n_items)
    scores = model.score_history(newcomer)[0]
    best_unseen = max(("a1", "a2", "a3", "b3"), key=lambda item: scores[code(log, item)])
    assert best_unseen == "b3"
    assert model.score_history(sp.csr_matrix((1, log.n_items))).tolist() == [[0.0] * 6]


def test_a_new_profile_gets_content_picks_from_its_first_views() -> None:
    log = log_of(
        [("u1", "horror1", 1), ("u2", "comedy1", 1), ("u2", "comedy2", 2)], items=["horror2"]
    )
    genre = {"horror1": 0, "horror2": 0, "comedy1": 1, "comedy2": 1}
    cols = [genre[item] for item in log.item_ids]
    features = sp.csr_matrix((np.ones(len(cols)), (range(len(cols)), cols)), shape=(log.n_items, 2))
    hybrid = Hybrid(
        {"pop": MostPopular(), "content": ContentBased(features)}, {"pop": 0.2, "content": 1.0}
    )
    hybrid.fit(log)
    scores = hybrid.score_history(history_of([code(log, "horror1")], log.n_items))[0]
    unseen = sorted(("horror2", "comedy1", "comedy2"), key=lambda item: -scores[code(log, item)])
    assert unseen[0] == "horror2"


def test_history_of_weighs_the_latest_view_most() -> None:
    row = history_of([2, 0, 1], 4, half_life=1.0).toarray()[0]
    assert row.tolist() == [0.5, 1.0, 0.25, 0.0]

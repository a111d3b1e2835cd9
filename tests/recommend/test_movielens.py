"""On the real MovieLens-100K (temporal protocol) the hybrid beats MostPopular and EASE."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from marquee.recommend.algorithms import EASE, MostPopular
from marquee.recommend.evaluate import evaluate
from marquee.recommend.hybrid import Hybrid
from marquee.recommend.offline import movielens
from marquee.recommend.tuning import Tuned, hybrid_components

# Fetched once into the repository's gitignored cache, then reused offline.
CACHE = Path(__file__).resolve().parents[2] / "var" / "cache"
# What `marquee recs eval` picks on the validation split of train (tuning is too slow here).
TUNED = Tuned(
    params={
        "Trending": {"half_life_days": 365.0},
        "ItemKNN": {"k": 400, "shrink": 0.0},
        "EASE": {"lam": 300.0},
        "ALS": {"factors": 32, "regularization": 0.05, "alpha": 0.5},
        "Content": {"half_life": 20.0},
    },
    half_life=5.0,
    weights={"EASE": 1.0, "Trending": -0.2, "ALS": 0.75, "Content": 0.5, "ItemKNN": 1.0},
)


def test_hybrid_beats_most_popular_and_ease_on_movielens() -> None:
    data = movielens(CACHE, "temporal")
    split = data.split
    assert len(split.train) + len(split.test) == 100_000
    test = split.test.matrix()
    popularity = np.asarray(split.train.matrix().sum(axis=0)).ravel()
    models = {
        "pop": MostPopular(),
        "ease": EASE(lam=300.0),
        "hybrid": Hybrid(hybrid_components(TUNED, data.features), TUNED.weights),
    }
    ndcg = {}
    for name, model in models.items():
        model.fit(split.train)
        result = evaluate(
            name, model.scores, test=test, exclude=split.exclude, popularity=popularity
        )
        ndcg[name] = result.ndcg[10]
    assert ndcg["ease"] > 1.5 * ndcg["pop"]
    assert ndcg["hybrid"] > 2.0 * ndcg["pop"]
    assert ndcg["hybrid"] >= ndcg["ease"]

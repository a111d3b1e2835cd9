"""Validation tuning: sampled validation users and a blend search that never loses ground."""

from __future__ import annotations

import numpy as np
import pytest

from marquee.recommend import tuning
from marquee.recommend.hybrid import Hybrid
from marquee.recommend.split import given_protocol, temporal_split
from tests.recommend.factories import log_of


def _log(users: int, views: int):
    rows = [(f"u{u}", f"i{(u + v) % 9}", float(v)) for u in range(users) for v in range(views)]
    return log_of(rows)


def test_validation_samples_users_on_large_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    log = _log(12, 5)
    train, valid = temporal_split(log)
    monkeypatch.setattr(tuning, "MAX_VALIDATION_USERS", 5)
    val = tuning.Validation.of(train, valid)
    assert len(val.users) == 5
    assert val.relevant.shape == (5, log.n_items)
    assert (np.diff(val.users) > 0).all()
    assert np.isneginf(val.penalty[0, train.item[train.user == val.users[0]]]).all()


def test_coordinate_ascent_finds_the_informative_component() -> None:
    log = _log(6, 5)
    train, valid = temporal_split(log)
    val = tuning.Validation.of(train, valid)
    oracle = valid.matrix()[val.users].toarray().astype(np.float32)
    noise = np.random.default_rng(0).random(oracle.shape).astype(np.float32)
    parts = {"EASE": noise, "ItemKNN": oracle}
    start = val.ndcg(noise)
    weights, score = tuning.coordinate_ascent(parts, {"EASE": 1.0}, val)
    assert score == pytest.approx(1.0)
    assert score > start
    assert weights["ItemKNN"] > 0


def test_catalogues_too_large_for_ease_tune_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tuning, "EASE_MAX_ITEMS", 5)
    log = _log(10, 6)
    assert log.n_items > 5
    train, test = temporal_split(log)
    tuned = tuning.tune(given_protocol(train, test), None)
    assert "EASE" not in tuned.params
    assert "EASE" not in tuned.weights
    assert tuned.weights  # the blend starts from item-kNN instead
    hybrid = Hybrid(tuning.hybrid_components(tuned, None), tuned.weights)
    hybrid.fit(train)
    assert hybrid.scores(np.arange(3)).shape == (3, log.n_items)
    assert set(tuning.tuned_models(tuned, None)) == set(tuned.params)

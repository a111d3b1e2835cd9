"""The temporal and random protocols hold out the right rows and never leak test rows."""

from __future__ import annotations

import numpy as np
import pytest

from marquee.recommend.split import (
    holdout_count,
    random_protocol,
    random_split,
    split_counts,
    temporal_protocol,
    temporal_split,
)
from tests.recommend.factories import log_of


def _log(sizes: dict[str, int]):
    rng = np.random.default_rng(5)
    rows = []
    for name, size in sizes.items():
        times = rng.permutation(size)  # rows arrive out of time order
        rows += [(name, f"i{t}", float(t)) for t in times]
    return log_of(rows)


def _rows(log) -> set[tuple[int, int, float]]:
    return set(zip(log.user.tolist(), log.item.tolist(), log.timestamp.tolist(), strict=True))


def test_temporal_split_holds_out_each_users_latest_fifth() -> None:
    log = _log({"a": 20, "b": 10, "c": 7, "d": 1})
    train, test = temporal_split(log, 0.2)
    assert _rows(train) | _rows(test) == _rows(log)
    assert not _rows(train) & _rows(test)
    held = np.bincount(test.user, minlength=log.n_users)
    assert held.tolist() == [4, 2, 1, 0]
    for u in range(log.n_users):
        if held[u]:
            latest_train = train.timestamp[train.user == u].max()
            assert test.timestamp[test.user == u].min() > latest_train


def test_temporal_ties_break_by_file_order() -> None:
    log = log_of([("u", f"i{n}", 1.0) for n in range(5)])
    _, test = temporal_split(log, 0.2)
    assert [log.item_ids[i] for i in test.item] == ["i4"]


def test_holdout_count_keeps_at_least_one_for_small_histories() -> None:
    assert [holdout_count(n, 0.2) for n in (0, 1, 2, 5, 9, 10, 23)] == [0, 0, 1, 1, 1, 2, 4]


def test_temporal_protocol_tunes_without_seeing_the_test_rows() -> None:
    log = _log({"a": 20, "b": 15})
    split = temporal_protocol(log)
    test_rows = _rows(split.test)
    assert not test_rows & (_rows(split.tune_train) | _rows(split.tune_valid))
    assert _rows(split.tune_train) | _rows(split.tune_valid) == _rows(split.train)
    assert (split.exclude.toarray() == split.train.matrix().toarray()).all()


@pytest.mark.parametrize(
    ("total", "expected"),
    [(10, [8, 1, 1]), (20, [16, 2, 2]), (5, [3, 1, 1]), (2, [1, 0, 1]), (1, [1, 0, 0])],
)
def test_split_counts_round_like_recbole(total: int, expected: list[int]) -> None:
    assert split_counts(total, (0.8, 0.1, 0.1)) == expected


def test_random_split_is_per_user_disjoint_and_seeded() -> None:
    log = _log({"a": 20, "b": 10, "c": 5})
    train, valid, test = random_split(log, seed=1)
    parts = [_rows(train), _rows(valid), _rows(test)]
    assert parts[0] | parts[1] | parts[2] == _rows(log)
    assert sum(len(p) for p in parts) == len(log)
    for part, expected in zip(
        (train, valid, test), ([16, 8, 3], [2, 1, 1], [2, 1, 1]), strict=True
    ):
        assert np.bincount(part.user, minlength=3).tolist() == expected
    again = random_split(log, seed=1)[2]
    assert _rows(again) == parts[2]
    assert _rows(random_split(log, seed=2)[2]) != parts[2]


def test_random_protocol_excludes_train_and_valid_at_test_time() -> None:
    log = _log({"a": 20, "b": 10})
    split = random_protocol(log, seed=3)
    known = split.train.matrix() + split.tune_valid.matrix()
    assert ((split.exclude.toarray() > 0) == (known.toarray() > 0)).all()
    assert split.tune_train is split.train

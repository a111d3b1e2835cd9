"""Evaluation splits: per-user temporal hold-out and RecBole-style random 8:1:1 ordering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from marquee.recommend.data import IntArray, Interactions


@dataclass(frozen=True)
class Split:
    """What a protocol hands to the evaluator.

    Models are tuned by fitting on `tune_train` and scoring `tune_valid`, then fitted on
    `train` and scored on `test`; `exclude` holds the items never recommended at test time
    (the user's known history). The test rows are never seen while tuning.
    """

    train: Interactions
    test: Interactions
    tune_train: Interactions
    tune_valid: Interactions
    exclude: sp.csr_matrix


def _user_groups(log: Interactions, order: IntArray) -> list[IntArray]:
    users = log.user[order]
    bounds = np.flatnonzero(users[1:] != users[:-1]) + 1
    return list(np.split(order, bounds)) if len(order) else []


def _time_order(log: Interactions) -> IntArray:
    # File position breaks timestamp ties so the split is deterministic.
    return np.lexsort((np.arange(len(log)), log.timestamp, log.user)).astype(np.int64)


def holdout_count(n: int, fraction: float) -> int:
    """How many of a user's n rows to hold out: floor(n·fraction), at least one if n ≥ 2."""
    count = int(np.floor(n * fraction + 1e-9))
    return max(count, 1) if n >= 2 else 0


def temporal_split(log: Interactions, fraction: float = 0.2) -> tuple[Interactions, Interactions]:
    """Each user's latest `fraction` of interactions (by time) goes to the second part."""
    held = np.zeros(len(log), dtype=bool)
    for rows in _user_groups(log, _time_order(log)):
        count = holdout_count(len(rows), fraction)
        if count:
            held[rows[-count:]] = True
    return log.subset(~held), log.subset(held)


def split_counts(total: int, ratios: Sequence[float]) -> list[int]:
    """Sizes of each part for one user, rounding the way RecBole's ratio split does.

    Every part but the first gets floor(total·ratio); the first takes the rest. A part
    whose share is under one row still gets one while the first part keeps more than one.
    """
    counts = [int(ratio * total) for ratio in ratios]
    counts[0] = total - sum(counts[1:])
    for part in range(len(ratios) - 1, 0, -1):
        if counts[0] <= 1:
            break
        if 0 < ratios[part] * total < 1:
            counts[part] += 1
            counts[0] -= 1
    return counts


def random_split(
    log: Interactions, ratios: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 2020
) -> list[Interactions]:
    """Shuffle each user's rows and cut them by `ratios` (RecBole `RS` + `RO`, grouped by user)."""
    rng = np.random.default_rng(seed)
    part_of = np.zeros(len(log), dtype=np.int64)
    for rows in _user_groups(log, np.argsort(log.user, kind="stable").astype(np.int64)):
        shuffled = rng.permutation(rows)
        start = 0
        for part, count in enumerate(split_counts(len(rows), ratios)):
            part_of[shuffled[start : start + count]] = part
            start += count
    return [log.subset(part_of == part) for part in range(len(ratios))]


def _merge(a: Interactions, b: Interactions) -> Interactions:
    return Interactions(
        user=np.concatenate([a.user, b.user]),
        item=np.concatenate([a.item, b.item]),
        rating=np.concatenate([a.rating, b.rating]),
        timestamp=np.concatenate([a.timestamp, b.timestamp]),
        user_ids=a.user_ids,
        item_ids=a.item_ids,
    )


def temporal_protocol(log: Interactions, fraction: float = 0.2) -> Split:
    """Hold out each user's latest 20 %; tune on the latest 20 % of what remains."""
    train, test = temporal_split(log, fraction)
    return given_protocol(train, test, fraction)


def given_protocol(train: Interactions, test: Interactions, fraction: float = 0.2) -> Split:
    """A caller-supplied train/test pair; tuning carves a temporal validation part from train."""
    tune_train, tune_valid = temporal_split(train, fraction)
    return Split(train, test, tune_train, tune_valid, exclude=train.matrix())


def random_protocol(log: Interactions, seed: int = 2020) -> Split:
    """RecBole's benchmark protocol: per-user random 8:1:1, fit on train, tune on valid.

    At test time both train and valid items are excluded from the ranking, as RecBole does.
    """
    train, valid, test = random_split(log, (0.8, 0.1, 0.1), seed)
    return Split(train, test, train, valid, exclude=_merge(train, valid).matrix())

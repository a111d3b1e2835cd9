"""Small hand-made interaction logs for recommendation tests."""

from __future__ import annotations

import numpy as np

from marquee.recommend.data import Interactions, RawLog, encode

DAY = 86_400.0


def log_of(rows: list[tuple[str, str, float]], *, items: list[str] | None = None) -> Interactions:
    """Code (user, item, timestamp) rows; `items` also codes catalogue items nobody has seen."""
    users = [u for u, _, _ in rows]
    names = [i for _, i, _ in rows]
    times = np.array([t for _, _, t in rows], dtype=np.float64)
    raw = RawLog(users, names, np.ones(len(rows)), times)
    if items is None:
        return encode(raw)[0]
    catalogue = RawLog(["_"] * len(items), list(items), np.ones(len(items)), np.zeros(len(items)))
    coded, _ = encode(raw, catalogue)
    return coded


def code(log: Interactions, item: str) -> int:
    return log.item_ids.index(item)


def user(log: Interactions, name: str) -> np.ndarray:
    return np.array([log.user_ids.index(name)], dtype=np.int64)

"""Interaction logs as integer-coded arrays and sparse userxitem matrices, and their file loaders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from marquee.recommend.errors import InvalidInteractions

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
REQUIRED_COLUMNS = ("user_id", "item_id")
OPTIONAL_COLUMNS = ("rating", "timestamp")


@dataclass(frozen=True)
class RawLog:
    """Rows as read from a file: external user and item ids with rating and time."""

    users: list[str]
    items: list[str]
    ratings: FloatArray
    timestamps: FloatArray


@dataclass(frozen=True)
class Interactions:
    """An interaction log whose users and items are coded 0..n-1 against shared id maps."""

    user: IntArray
    item: IntArray
    rating: FloatArray
    timestamp: FloatArray
    user_ids: tuple[str, ...]
    item_ids: tuple[str, ...]

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def matrix(self, values: FloatArray | None = None) -> sp.csr_matrix:
        """The userxitem matrix: 1 where a user interacted (or the largest given value per cell)."""
        shape = (self.n_users, self.n_items)
        if values is None:
            csr = sp.csr_matrix((np.ones(len(self)), (self.user, self.item)), shape=shape)
            csr.data[:] = 1.0  # repeated (user, item) rows count once
            return csr
        data = np.asarray(values, dtype=np.float64)
        order = np.lexsort((data, self.item, self.user))
        return _keep_last(
            sp.coo_matrix((data[order], (self.user[order], self.item[order])), shape=shape)
        )

    def subset(self, mask: NDArray[np.bool_]) -> Interactions:
        """The rows selected by `mask`, coded against the same id maps."""
        return Interactions(
            user=self.user[mask],
            item=self.item[mask],
            rating=self.rating[mask],
            timestamp=self.timestamp[mask],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
        )


def _keep_last(coo: sp.coo_matrix) -> sp.csr_matrix:
    keys = coo.row.astype(np.int64) * coo.shape[1] + coo.col
    # Rows are sorted by cell then value, so the last row of each cell holds the maximum.
    last = np.r_[keys[1:] != keys[:-1], True]
    return sp.csr_matrix(
        (coo.data[last], (coo.row[last], coo.col[last])), shape=coo.shape, dtype=np.float64
    )


def encode(*logs: RawLog) -> list[Interactions]:
    """Code several logs (e.g. train and test) against one shared pair of id maps."""
    user_ids = _ordered_ids(log.users for log in logs)
    item_ids = _ordered_ids(log.items for log in logs)
    user_code = {uid: n for n, uid in enumerate(user_ids)}
    item_code = {iid: n for n, iid in enumerate(item_ids)}
    return [
        Interactions(
            user=np.fromiter((user_code[u] for u in log.users), np.int64, len(log.users)),
            item=np.fromiter((item_code[i] for i in log.items), np.int64, len(log.items)),
            rating=log.ratings,
            timestamp=log.timestamps,
            user_ids=user_ids,
            item_ids=item_ids,
        )
        for log in logs
    ]


def _ordered_ids(columns: object) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for column in columns:  # type: ignore[attr-defined]
        seen.update(dict.fromkeys(column))
    return tuple(seen)


def _header(path: Path, line: str) -> dict[str, int]:
    names = [field.split(":", 1)[0].strip().lower() for field in line.rstrip("\r\n").split("\t")]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise InvalidInteractions(
            f"{path}: line 1: header must name the columns {', '.join(REQUIRED_COLUMNS)} "
            f"(optionally {', '.join(OPTIONAL_COLUMNS)}), tab-separated; missing {', '.join(missing)}"
        )
    return {name: n for n, name in enumerate(names) if name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}


def _number(path: Path, lineno: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInteractions(
            f"{path}: line {lineno}: {column} must be a number, got {text!r}"
        ) from None
    if not np.isfinite(value):
        raise InvalidInteractions(f"{path}: line {lineno}: {column} must be finite, got {text!r}")
    return value


def _row(
    path: Path, lineno: int, line: str, columns: dict[str, int], width: int
) -> tuple[str, str, float, float]:
    fields = line.split("\t")
    if len(fields) != width:
        raise InvalidInteractions(
            f"{path}: line {lineno}: expected {width} tab-separated fields, got {len(fields)}"
        )
    user, item = fields[columns["user_id"]].strip(), fields[columns["item_id"]].strip()
    if not user or not item:
        raise InvalidInteractions(f"{path}: line {lineno}: user_id and item_id must be set")
    rating, stamp = columns.get("rating"), columns.get("timestamp")
    value = 1.0 if rating is None else _number(path, lineno, "rating", fields[rating])
    when = float(lineno) if stamp is None else _number(path, lineno, "timestamp", fields[stamp])
    return user, item, value, when


def _read_lines(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InvalidInteractions(f"{path}: no such file") from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise InvalidInteractions(f"{path}: not a UTF-8 text file ({exc})") from None
    if not lines:
        raise InvalidInteractions(f"{path}: the file is empty (expected a header row)")
    return lines


def load_tsv(path: Path) -> RawLog:
    """Read a tab-separated user/item[/rating/timestamp] file with a header row.

    Column names may carry RecBole type suffixes (`user_id:token`). Missing ratings
    count as 1; missing timestamps follow file order.
    """
    lines = _read_lines(path)
    columns = _header(path, lines[0])
    width = len(lines[0].split("\t"))
    rows = [
        _row(path, lineno, line, columns, width)
        for lineno, line in enumerate(lines[1:], start=2)
        if line.strip()
    ]
    if not rows:
        raise InvalidInteractions(f"{path}: no interactions after the header row")
    users, items, ratings, times = zip(*rows, strict=True)
    return RawLog(list(users), list(items), np.array(ratings), np.array(times))


def filter_rating(log: RawLog, min_rating: float) -> RawLog:
    """Keep the rows rated at least `min_rating` (explicit ratings read as positive feedback)."""
    keep = log.ratings >= min_rating
    return RawLog(
        users=[u for u, k in zip(log.users, keep, strict=True) if k],
        items=[i for i, k in zip(log.items, keep, strict=True) if k],
        ratings=log.ratings[keep],
        timestamps=log.timestamps[keep],
    )


@dataclass(frozen=True)
class ItemInfo:
    """Side information about items for content-based scoring."""

    title: dict[str, str]
    year: dict[str, int]
    genres: dict[str, list[str]]


def load_movielens_items(path: Path) -> ItemInfo:
    """Read `ml-100k.item` (item_id, movie_title, release_year, class)."""
    lines = path.read_text(encoding="latin-1").splitlines()
    columns = {name.split(":", 1)[0]: n for n, name in enumerate(lines[0].split("\t"))}
    title: dict[str, str] = {}
    year: dict[str, int] = {}
    genres: dict[str, list[str]] = {}
    for line in lines[1:]:
        fields = line.split("\t")
        if len(fields) != len(columns):
            continue
        item = fields[columns["item_id"]]
        title[item] = fields[columns["movie_title"]]
        if fields[columns["release_year"]].isdigit():
            year[item] = int(fields[columns["release_year"]])
        genres[item] = fields[columns["class"]].split()
    return ItemInfo(title=title, year=year, genres=genres)


def token_features(tokens: Mapping[str, Iterable[str]], item_ids: Sequence[str]) -> sp.csr_matrix:
    """A binary item x token matrix, one row per coded item.

    Tokens are any side information named with a kind prefix: `genre:Horror`,
    `person:<id>`, `word:heist`; items without tokens get an empty row.
    """
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, item in enumerate(item_ids):
        for token in dict.fromkeys(tokens.get(item, ())):
            rows.append(row)
            cols.append(vocab.setdefault(token, len(vocab)))
    data = np.ones(len(rows))
    return sp.csr_matrix((data, (rows, cols)), shape=(len(item_ids), max(1, len(vocab))))


def item_features(info: ItemInfo, item_ids: Sequence[str]) -> sp.csr_matrix:
    """Genre and release-decade features, one row per coded item."""
    tokens = {item: [f"genre:{g}" for g in genres] for item, genres in info.genres.items()}
    for item, year in info.year.items():
        tokens.setdefault(item, []).append(f"decade:{year // 10 * 10}")
    return token_features(tokens, item_ids)

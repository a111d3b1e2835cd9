"""The TSV loader, id coding and matrices; bad files fail with a message naming file and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from marquee.recommend.data import (
    ItemInfo,
    encode,
    filter_rating,
    item_features,
    load_movielens_items,
    load_tsv,
    token_features,
)
from marquee.recommend.errors import InvalidInteractions


def write(tmp_path: Path, text: str, name: str = "log.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_recbole_atomic_files(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        "196\t242\t3\t881250949\n186\t302\t4.5\t891717742\n",
    )
    log = load_tsv(path)
    assert log.users == ["196", "186"]
    assert log.items == ["242", "302"]
    assert log.ratings.tolist() == [3.0, 4.5]
    assert log.timestamps.tolist() == [881250949.0, 891717742.0]


def test_rating_and_timestamp_are_optional_and_columns_may_be_reordered(tmp_path: Path) -> None:
    path = write(tmp_path, "item_id\tuser_id\nm1\tu1\n\nm2\tu1\n")
    log = load_tsv(path)
    assert log.users == ["u1", "u1"]
    assert log.items == ["m1", "m2"]
    assert log.ratings.tolist() == [1.0, 1.0]
    assert log.timestamps[0] < log.timestamps[1]  # file order stands in for time


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("user\titem\nu\ti\n", "line 1: header must name the columns user_id, item_id"),
        ("user_id\titem_id\n", "no interactions after the header row"),
        ("user_id\titem_id\trating\nu1\ti1\n", "line 2: expected 3 tab-separated fields, got 2"),
        (
            "user_id\titem_id\trating\nu1\ti1\t5\nu2\ti2\tgood\n",
            "line 3: rating must be a number, got 'good'",
        ),
        ("user_id\titem_id\ttimestamp\nu1\ti1\tnan\n", "line 2: timestamp must be finite"),
        ("user_id\titem_id\n\ti1\n", "line 2: user_id and item_id must be set"),
    ],
)
def test_bad_files_are_rejected_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidInteractions) as caught:
        load_tsv(path)
    assert message in caught.value.detail
    assert str(path) in caught.value.detail
    assert caught.value.code == "invalid_interactions"


def test_missing_and_binary_files_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInteractions, match="no such file"):
        load_tsv(tmp_path / "absent.tsv")
    binary = tmp_path / "video.bin"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InvalidInteractions, match="not a UTF-8 text file"):
        load_tsv(binary)


def test_encode_shares_id_maps_and_matrix_counts_repeats_once(tmp_path: Path) -> None:
    train = load_tsv(write(tmp_path, "user_id\titem_id\trating\nu1\ta\t2\nu1\ta\t5\nu2\tb\t1\n"))
    test = load_tsv(write(tmp_path, "user_id\titem_id\nu1\tc\nu3\ta\n", "test.tsv"))
    coded_train, coded_test = encode(train, test)
    assert coded_train.user_ids == coded_test.user_ids == ("u1", "u2", "u3")
    assert coded_train.item_ids == ("a", "b", "c")
    assert coded_train.matrix().toarray().tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
    valued = coded_train.matrix(coded_train.rating).toarray()
    assert valued[0, 0] == 5.0  # the largest value of a repeated cell
    assert coded_test.matrix().toarray()[2].tolist() == [1, 0, 0]


def test_filter_rating_keeps_positive_feedback(tmp_path: Path) -> None:
    log = load_tsv(write(tmp_path, "user_id\titem_id\trating\nu1\ta\t2\nu1\tb\t3\nu2\tc\t5\n"))
    kept = filter_rating(log, 3.0)
    assert kept.items == ["b", "c"]
    assert kept.ratings.tolist() == [3.0, 5.0]


def test_movielens_items_become_genre_and_decade_features(tmp_path: Path) -> None:
    path = tmp_path / "ml.item"
    path.write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "1\tToy Story\t1995\tAnimation Children's Comedy\n2\tGoldenEye\t1995\tAction\n"
        "3\tUnknown\t\tAction\n",
        encoding="latin-1",
    )
    info = load_movielens_items(path)
    assert info.genres["1"] == ["Animation", "Children's", "Comedy"]
    assert info.year == {"1": 1995, "2": 1995}
    features = item_features(info, ["2", "1", "3", "404"]).toarray()
    assert features.sum(axis=1).tolist() == [2, 4, 1, 0]
    assert (features[0] * features[1]).sum() == 1  # they share only the 1990s


def test_item_features_without_any_information_still_has_a_column() -> None:
    features = item_features(ItemInfo(title={}, year={}, genres={}), ["a", "b"])
    assert features.shape == (2, 1)
    assert np.count_nonzero(features.toarray()) == 0


def test_token_features_accept_people_and_words() -> None:
    tokens = {"a": ["person:7", "word:heist", "person:7"], "b": ["word:heist"]}
    features = token_features(tokens, ["b", "a", "c"]).toarray()
    assert features.tolist() == [[1, 0], [1, 1], [0, 0]]  # columns in first-seen order

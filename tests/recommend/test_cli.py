"""`marquee recs eval` on a small TSV pair: JSON output and bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from marquee.cli import app

runner = CliRunner()
HEADER = "user_id\titem_id\trating\ttimestamp\n"


def write_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two taste groups of 15 users over 10 titles each; each user's last 3 views are the test."""
    rng = np.random.default_rng(11)
    train, test = [HEADER], [HEADER]
    for u in range(30):
        group = u % 2
        titles = rng.permutation(10)[:9] + 10 * group
        for t, title in enumerate(titles):
            line = f"user{u}\tmovie{title}\t4\t{1000 + t}\n"
            (test if t >= 6 else train).append(line)
    # A few cross-group views so the popular titles are not simply one group's.
    train += [f"user{u}\tmovie{(u % 2 + 1) % 2 * 10}\t3\t900\n" for u in range(0, 30, 3)]
    paths = tmp_path / "train.tsv", tmp_path / "test.tsv"
    for path, lines in zip(paths, (train, test), strict=True):
        path.write_text("".join(lines), encoding="utf-8")
    return paths


def test_eval_json_on_a_tsv_pair(tmp_path: Path) -> None:
    train, test = write_pair(tmp_path)
    result = runner.invoke(
        app, ["recs", "eval", "--train", str(train), "--test", str(test), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["protocol"] == "given"
    assert report["stats"] == {"users": 30, "items": 20, "train_rows": 190, "test_rows": 90}
    rows = {row["model"]: row for row in report["results"]}
    assert list(rows) == ["MostPopular", "Trending", "ItemKNN", "EASE", "ALS", "Hybrid"]
    for row in rows.values():
        assert row["users"] == 30
        assert 0.0 <= row["ndcg"]["@10"] <= 1.0
        assert row["recall"]["@20"] >= row["recall"]["@10"]
    # Only 2-3 unseen titles per user are of their own group: personal models find them.
    assert rows["EASE"]["ndcg"]["@10"] > rows["MostPopular"]["ndcg"]["@10"] + 0.2
    assert rows["Hybrid"]["recall"]["@10"] > 0.9
    assert sum(report["hybrid"]["weights"].values()) > 0


def test_eval_table_names_every_model(tmp_path: Path) -> None:
    train, test = write_pair(tmp_path)
    result = runner.invoke(app, ["recs", "eval", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0, result.output
    for name in ("MostPopular", "ItemKNN", "EASE", "ALS", "Hybrid", "NDCG@10"):
        assert name in result.output


def test_eval_reports_a_bad_file_and_exits_2(tmp_path: Path) -> None:
    train, _ = write_pair(tmp_path)
    bad = tmp_path / "bad.tsv"
    bad.write_text(HEADER + "user1\tmovie1\tfive\t1\n", encoding="utf-8")
    result = runner.invoke(app, ["recs", "eval", "--train", str(train), "--test", str(bad)])
    assert result.exit_code == 2
    assert "line 2: rating must be a number, got 'five'" in result.output


def test_eval_needs_train_and_test_together(tmp_path: Path) -> None:
    train, _ = write_pair(tmp_path)
    result = runner.invoke(app, ["recs", "eval", "--train", str(train)])
    assert result.exit_code == 2
    assert "--train and --test go together" in result.output
    result = runner.invoke(app, ["recs", "eval", "--protocol", "weekly"])
    assert result.exit_code == 2


def test_eval_with_histories_too_short_to_tune_uses_defaults(tmp_path: Path) -> None:
    train, test = tmp_path / "train.tsv", tmp_path / "test.tsv"
    train.write_text(HEADER + "".join(f"u{u}\tm{u % 3}\t5\t1\n" for u in range(9)))
    test.write_text(HEADER + "u0\tm1\t5\t2\nu1\tm2\t5\t2\nghost\tm1\t5\t2\n")
    result = runner.invoke(
        app, ["recs", "eval", "--train", str(train), "--test", str(test), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["hybrid"]["weights"] == {"EASE": 1.0}
    assert {row["users"] for row in report["results"]} == {2}  # the unknown user is skipped

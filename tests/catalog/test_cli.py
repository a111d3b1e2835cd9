"""`marquee catalog import-movielens` against the configured database."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from marquee.cli import app

MINI = Path(__file__).parent / "fixtures" / "ml-mini"


def test_import_command_reports_and_is_idempotent(db_url: str, tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "cache" / "ml-100k")
    env = {"MARQUEE_DATABASE_URL": db_url, "MARQUEE_VAR_DIR": str(tmp_path)}
    runner = CliRunner()
    first = runner.invoke(app, ["catalog", "import-movielens"], env=env)
    assert first.exit_code == 0, first.output
    assert "imported 14 titles, 3 accounts and 9 events" in first.output
    second = runner.invoke(app, ["catalog", "import-movielens"], env=env)
    assert "imported 0 titles, 0 accounts and 0 events" in second.output

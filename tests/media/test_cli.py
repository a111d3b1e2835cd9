"""`marquee media probe|package` on local files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from marquee.cli import app

runner = CliRunner()


def test_probe_prints_json(clip: Path) -> None:
    result = runner.invoke(app, ["media", "probe", str(clip)])
    assert result.exit_code == 0, result.output
    described = json.loads(result.stdout)
    assert (described["video"]["width"], described["duration"]) == (640, 10.0)


def test_probe_explains_a_refusal(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["media", "probe", str(empty)])
    assert result.exit_code == 2
    assert "media_empty" in result.output


def test_package_writes_both_manifests(clip: Path, srt: Path, tmp_path: Path) -> None:
    args = ["media", "package", str(clip), str(tmp_path), "--preset", "superfast"]
    result = runner.invoke(app, [*args, "--subtitle", f"fr+forced:{srt}"])
    assert result.exit_code == 0, result.output
    assert "360p" in result.stdout
    package = tmp_path / "package"
    assert 'LANGUAGE="fr"' in (package / "master.m3u8").read_text()
    assert (package / "manifest.mpd").is_file()
    assert (tmp_path / "artwork" / "thumbnails.vtt").is_file()


def test_package_rejects_a_malformed_subtitle_option(clip: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["media", "package", str(clip), str(tmp_path), "--subtitle", "fr"])
    assert result.exit_code != 0
    assert not (tmp_path / "package").exists()

"""`marquee media package --ladder per-title|fixed` and `--codec hevc|av1`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from marquee.cli import app
from tests.media import sources as media

runner = CliRunner()


def _package(source: Path, out: Path, *extra: str) -> str:
    args = ["media", "package", str(source), str(out), "--preset", "superfast", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_per_title_is_the_default_and_fixed_keeps_the_table(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="640x360", seconds=3)
    per_title = _package(source, tmp_path / "pt")
    assert "per-title h264 ladder from 8 trial encodes" in per_title
    assert "(predicted)" in per_title
    fixed = _package(source, tmp_path / "fixed", "--ladder", "fixed")
    assert "trial encodes" not in fixed
    lines = [line.split()[0] for line in fixed.splitlines() if " kb/s " in line]
    assert lines[:2] == ["240p", "360p"]
    master = (tmp_path / "pt" / "package" / "master.m3u8").read_text()
    assert master.count("#EXT-X-STREAM-INF") == len(
        [line for line in per_title.splitlines() if "(predicted)" in line]
    )


def test_an_unknown_ladder_or_target_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "src.mp4"
    source.write_bytes(b"not read")
    for extra in (["--ladder", "adaptive"], ["--target-vmaf", "120"], ["--codec", "vp9"]):
        result = runner.invoke(app, ["media", "package", str(source), str(tmp_path), *extra])
        assert result.exit_code == 2, result.output
        assert not (tmp_path / "package").exists()


def test_av1_rungs_are_encoded_beside_h264_when_asked(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="426x240", seconds=2)
    fixed = _package(source, tmp_path / "out", "--ladder", "fixed", "--codec", "av1")
    rows = [line.split() for line in fixed.splitlines() if " kb/s " in line]
    video = {row[0]: row[4] for row in rows if row[0].startswith("240p")}
    assert set(video) == {"240p", "240p-av1"}
    assert video["240p"].startswith("avc1.")
    assert video["240p-av1"].startswith("av01.")

"""The whole pipeline on a real clip (Big Buck Bunny, 720p with 5.1 audio), played back by FFmpeg."""

from __future__ import annotations

from pathlib import Path

from marquee.media.pipeline import PipelineOptions, run_pipeline
from marquee.media.subtitles import SubtitleInput
from tests.media.fixtures import FAST
from tests.media.sources import ffmpeg_client
from tests.media.test_package import CLIENT_PROBE_NOISE


def test_big_buck_bunny_end_to_end(big_buck_bunny: Path, srt: Path, tmp_path: Path) -> None:
    reports: list[tuple[str, float]] = []
    result = run_pipeline(
        big_buck_bunny,
        tmp_path / "work",
        subtitles=[SubtitleInput(srt, "en")],
        options=PipelineOptions(encode=FAST),
        progress=lambda stage, percent: reports.append((stage, percent)),
    )
    package = result.package
    table = [(r.name, r.width, r.height, r.codecs, r.segment_count) for r in package.video]
    assert table == [
        ("240p", 426, 240, "avc1.640015", 2),
        ("360p", 640, 360, "avc1.64001e", 2),
        ("480p", 854, 480, "avc1.64001e", 2),
        ("720p", 1280, 720, "avc1.64001f", 2),
    ]
    assert [(a.language, a.codecs) for a in package.audio] == [("und", "mp4a.40.2")]
    stages = [stage.split(" ")[0] for stage, _ in reports]
    assert "encode 4/4" in {stage for stage, _ in reports}
    assert stages[0] == "probe"
    assert stages.index("encode") < stages.index("package") < stages.index("artwork")
    assert reports[-1] == ("artwork", 100.0)
    assert result.artwork is not None
    assert result.artwork.poster.stat().st_size > 0

    frames = round(result.probe.duration * 25)
    for manifest in (package.master, package.mpd):
        for index in range(len(package.video)):
            decoded, errors = ffmpeg_client(manifest, f"0:v:{index}", "0:a:0")
            assert abs(decoded - frames) <= 1, (manifest.name, index, decoded)
            assert [e for e in errors if not CLIENT_PROBE_NOISE.match(e)] == []

"""Chunked encoding: boundaries on segments near scene cuts, aligned output, a killed chunk."""

from __future__ import annotations

from pathlib import Path

import pytest

from marquee.media.chunks import (
    Chunk,
    encode_chunk,
    encode_chunked,
    plan_chunks,
    scene_cuts,
)
from marquee.media.encode import EncodeOptions, encode
from marquee.media.errors import TranscodeFailed
from marquee.media.ladder import build_ladder
from marquee.media.package import package
from marquee.media.probe import probe
from tests.media import sources as media
from tests.media.test_encode import keyframe_times
from tests.media.test_package import CLIENT_PROBE_NOISE

OPTIONS = EncodeOptions(preset="superfast", segment_seconds=2.0)


def test_chunks_start_on_segment_boundaries_and_cover_the_title() -> None:
    chunks = plan_chunks(61.0, 4.0, chunk_seconds=20.0)
    assert [c.start for c in chunks] == [0.0, 20.0, 40.0, 60.0]
    assert sum(c.duration for c in chunks) == pytest.approx(61.0)
    assert plan_chunks(3.0, 4.0, chunk_seconds=20.0) == (Chunk(0, 0.0, 3.0),)


def test_a_boundary_moves_to_the_segment_nearest_a_scene_cut() -> None:
    chunks = plan_chunks(60.0, 4.0, chunk_seconds=20.0, cuts=[27.9, 5.0])
    assert [c.start for c in chunks] == [0.0, 28.0, 48.0]
    far = plan_chunks(60.0, 4.0, chunk_seconds=20.0, cuts=[9.0])  # more than half a chunk off
    assert [c.start for c in far] == [0.0, 20.0, 40.0]


@pytest.fixture(scope="module")
def two_scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s of 640x360: a test pattern, then from 6.1 s a fractal, with one audio track."""
    folder = tmp_path_factory.mktemp("chunks")
    first = media.make_clip(folder / "a.mp4", seconds=6.1)
    second = folder / "b.mp4"
    media.ffmpeg(
        "-f", "lavfi", "-i", "mandelbrot=size=640x360:rate=25", "-f", "lavfi",
        "-i", "sine=frequency=660", "-t", "5.9", "-c:v", "libx264", "-preset", "superfast",
        "-pix_fmt", "yuv420p", "-c:a", "aac", second,
    )  # fmt: skip
    joined = folder / "two-scenes.mp4"
    media.ffmpeg(
        "-i", first, "-i", second, "-filter_complex",
        "[0:v][0:a][1:v][1:a]concat=n=2:v=1:a=1[v][a]", "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", "superfast", "-c:a", "aac", joined,
    )  # fmt: skip
    return joined


def test_scene_cuts_are_found(two_scenes: Path, tmp_path: Path) -> None:
    cuts = scene_cuts(two_scenes, tmp_path, duration=12.0)
    assert any(abs(cut - 6.1) < 0.1 for cut in cuts), cuts


def test_chunked_output_is_aligned_and_plays_like_one_pass(
    two_scenes: Path, tmp_path: Path
) -> None:
    probed = probe(two_scenes)
    ladder = build_ladder(probed)
    common = {"source_fps": probed.video.frame_rate, "duration": probed.duration}
    chunked = encode_chunked(
        two_scenes, ladder, **common, out_dir=tmp_path / "chunked", chunk_dir=tmp_path / "parts",
        options=OPTIONS, chunk_seconds=4.0, workers=2,
    )  # fmt: skip
    # 0-6 (moved to the scene cut at 6.1 s), 6-10, 10-12.04
    assert len(list((tmp_path / "parts").glob("chunk-*.mp4"))) == 3
    single = encode(two_scenes, ladder, **common, out_dir=tmp_path / "single", options=OPTIONS)
    for a, b in zip(chunked.tracks, single.tracks, strict=True):
        assert len(a.segments) == len(b.segments)
        assert [round(s.start, 3) for s in a.segments] == [round(s.start, 3) for s in b.segments]
    expected = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]  # 12.0-12.04: the last frame
    for ours, one_pass in zip(chunked.video, single.video, strict=True):
        keyframes, starts = keyframe_times(ours, tmp_path / "chunked")
        assert starts == expected
        assert set(expected) <= set(keyframes)
        assert (keyframes, starts) == keyframe_times(one_pass, tmp_path / "single")
    packaged = package(chunked)
    frames = round(probed.duration * 25)
    for index in range(len(packaged.video)):
        decoded, errors = media.ffmpeg_client(packaged.master, f"0:v:{index}", "0:a:0")
        assert abs(decoded - frames) <= 1
        assert [e for e in errors if not CLIENT_PROBE_NOISE.match(e)] == []


def test_a_killed_chunk_costs_only_that_chunk(two_scenes: Path, tmp_path: Path) -> None:
    probed = probe(two_scenes)
    ladder = build_ladder(probed)
    fps = probed.video.frame_rate
    parts = tmp_path / "parts"
    cuts = scene_cuts(two_scenes, parts, duration=probed.duration)
    chunks = plan_chunks(probed.duration, 2.0, chunk_seconds=4.0, cuts=cuts)
    done = [
        encode_chunk(two_scenes, ladder, c, parts, source_fps=fps, options=OPTIONS)
        for c in chunks[:1]
    ]
    before = {p.name: p.stat().st_mtime_ns for p in done}
    hurried = EncodeOptions(preset="veryslow", segment_seconds=2.0, timeout_seconds=0.3)
    with pytest.raises(TranscodeFailed, match="longer than"):
        encode_chunk(two_scenes, ladder, chunks[1], parts, source_fps=fps, options=hurried)
    assert not (parts / chunks[1].name).exists()  # nothing half-written is trusted
    result = encode_chunked(
        two_scenes, ladder, source_fps=fps, duration=probed.duration, out_dir=tmp_path / "out",
        chunk_dir=parts, options=OPTIONS, chunk_seconds=4.0,
    )  # fmt: skip
    assert {p: (parts / p).stat().st_mtime_ns for p in before} == before  # not encoded again
    assert (parts / chunks[1].name).is_file()
    assert all(len(t.segments) == 7 for t in result.video)

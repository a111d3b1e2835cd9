"""Encoding: every rendition in one pass, keyframes aligned on every segment boundary."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from marquee.media import ffmpeg
from marquee.media.encode import EncodedTrack, EncodeOptions, build_command, encode
from marquee.media.errors import TranscodeFailed
from marquee.media.ladder import build_ladder
from marquee.media.pipeline import PipelineResult
from marquee.media.probe import probe
from tests.media import sources as media


def keyframe_times(track: EncodedTrack, scratch: Path) -> tuple[list[float], list[float]]:
    """(keyframe times, first-frame time of each segment) read back with PyAV."""
    joined = scratch / f"{track.representation_id}.mp4"
    joined.write_bytes(
        track.init.read_bytes() + b"".join(s.path.read_bytes() for s in track.segments)
    )
    keyframes: list[float] = []
    with av.open(str(joined)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is not None and packet.is_keyframe:
                keyframes.append(round(float(packet.pts * stream.time_base), 3))
    starts = [round(s.start, 3) for s in track.segments]
    return sorted(keyframes), starts


def test_every_rendition_is_encoded(bilingual_package: PipelineResult) -> None:
    encoded = bilingual_package.encoded
    assert [t.rendition.name for t in encoded.video] == ["240p", "360p", "480p"]
    assert [t.rendition.name for t in encoded.audio] == ["audio_eng_0", "audio_fra_1"]
    for track in encoded.tracks:
        assert track.init.stat().st_size > 0
        assert track.duration == pytest.approx(8.0, abs=0.1)
        assert all(s.size > 0 for s in track.segments)
    # Video cuts exactly every 4 s; AAC frames (21.3 ms) cannot, so audio may add a sliver.
    assert all(len(t.segments) == 2 for t in encoded.video)
    assert all(2 <= len(t.segments) <= 3 for t in encoded.audio)


def test_keyframes_align_on_every_segment_boundary(
    bilingual_package: PipelineResult, tmp_path: Path
) -> None:
    boundaries = None
    for track in bilingual_package.encoded.video:
        keyframes, starts = keyframe_times(track, tmp_path)
        assert keyframes == starts  # one keyframe per segment, exactly where it starts
        assert starts == [0.0, 4.0]
        boundaries = boundaries or starts
        assert starts == boundaries


def test_half_rate_rungs_cut_at_the_same_instants(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "hfr.mp4", size="1280x720", rate="50", seconds=4)
    probed = probe(source)
    ladder = build_ladder(probed)
    assert {r.name: r.frame_rate for r in ladder.video} == {
        "240p": 25, "360p": 25, "480p": 25, "720p": 50,
    }  # fmt: skip
    reports: list[tuple[str, float]] = []
    result = encode(
        source,
        ladder,
        source_fps=probed.video.frame_rate,
        duration=probed.duration,
        out_dir=tmp_path / "out",
        options=EncodeOptions(segment_seconds=1.0, preset="superfast"),
        progress=lambda stage, percent: reports.append((stage, percent)),
    )
    expected = [0.0, 1.0, 2.0, 3.0]
    for track in result.video:
        keyframes, starts = keyframe_times(track, tmp_path)
        assert starts == expected
        assert keyframes == expected
    percents = [p for _, p in reports]
    # Four renditions in one pass: "encode i/4" steps as the pass crosses each quarter.
    assert [stage for stage, _ in reports][-1] == "encode 4/4"
    for stage, percent in reports:
        assert stage == f"encode {min(4, int(percent // 25) + 1)}/4", (stage, percent)
    assert {stage for stage, _ in reports} >= {"encode 1/4", "encode 4/4"}
    assert percents == sorted(percents)
    assert percents[-1] == 100.0


def test_the_command_pins_gop_scenecut_and_threads(clip: Path) -> None:
    probed = probe(clip)
    ladder = build_ladder(probed)
    options = EncodeOptions(threads=2, preset="medium")
    command = build_command(clip, ladder, Fraction(25), Path("out"), options)
    joined = " ".join(command)
    assert command.count("libx264") == len(ladder.video) == 2
    assert "-g:v:1 100" in joined  # 4 s at 25 fps
    assert "-keyint_min:v:1 100" in joined
    # x264's own settings apply per stream: other codecs in the pass take theirs.
    assert "-sc_threshold:v:1 0" in joined
    assert "-threads 2" in joined
    assert "-preset:v:0 medium" in joined
    assert "-preset:v:1 medium" in joined
    assert "expr:gte(t,n_forced*4.0-" in joined
    assert "split=2" in joined


def test_ffmpeg_failures_carry_ffmpegs_reason(tmp_path: Path) -> None:
    with pytest.raises(TranscodeFailed) as caught:
        ffmpeg.run(
            ["-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"], timeout=30, stage="encode"
        )
    assert "encode" in caught.value.detail
    assert "No such file or directory" in caught.value.detail
    assert caught.value.code == "transcode_failed"


def test_ffmpeg_is_stopped_at_its_time_limit() -> None:
    endless = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=5", "-f", "null", "-"]
    with pytest.raises(TranscodeFailed) as caught:
        ffmpeg.run(endless, timeout=0.5, stage="encode")
    assert "longer than" in caught.value.detail


def test_hdr10_masters_are_tone_mapped_to_bt709(tmp_path: Path) -> None:
    source = media.make_clip(
        tmp_path / "hdr.mp4",
        size="320x240",
        seconds=2,
        languages=(),
        extra=(
            "-pix_fmt", "yuv420p10le", "-profile:v", "high10",
            "-vf", "setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
        ),
    )  # fmt: skip
    probed = probe(source)
    assert probed.video.hdr == "pq"
    result = encode(
        source,
        build_ladder(probed),
        source_fps=probed.video.frame_rate,
        duration=probed.duration,
        out_dir=tmp_path / "out",
        options=EncodeOptions(preset="superfast"),
        hdr=probed.video.hdr,
    )
    (track,) = result.video
    joined = tmp_path / "joined.mp4"
    joined.write_bytes(track.init.read_bytes() + track.segments[0].path.read_bytes())
    video = probe(joined).video
    assert (video.pix_fmt, video.color_primaries, video.color_transfer, video.hdr) == (
        "yuv420p", "bt709", "bt709", None,
    )  # fmt: skip


def test_rotated_sources_are_encoded_upright(clip: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "phone.mp4"
    media.ffmpeg("-display_rotation", "90", "-i", clip, "-c", "copy", rotated)
    probed = probe(rotated)
    result = encode(
        rotated,
        build_ladder(probed),
        source_fps=probed.video.frame_rate,
        duration=probed.duration,
        out_dir=tmp_path / "out",
        options=EncodeOptions(preset="superfast"),
    )
    sizes = []
    for track in result.video:
        joined = tmp_path / f"{track.representation_id}.mp4"
        joined.write_bytes(track.init.read_bytes() + track.segments[0].path.read_bytes())
        with av.open(str(joined)) as container:
            frame = next(container.decode(video=0))
            sizes.append((frame.width, frame.height, frame.rotation))
    assert sizes == [(240, 426, 0), (360, 640, 0)]

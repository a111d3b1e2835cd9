"""Per-title encoding end to end: capped CRF within the declared BANDWIDTH, good openings."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from marquee.media.codecs import VideoCodec, spec
from marquee.media.encode import EncodedTrack, EncodeOptions, build_command, encode
from marquee.media.ladder import Ladder, LadderMode, VideoRendition, build_ladder
from marquee.media.package import package
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from marquee.media.probe import probe
from marquee.media.quality import TrialOptions, video_stats, vmaf
from tests.media import sources as media
from tests.media.fixtures import FAST

OPENING_FRAMES = 15
# Two 1 s windows of the 5.3 s clip: enough to place the rungs, a third of the trial cost.
QUICK_TRIALS = TrialOptions(windows=2, window_seconds=1.0)


@pytest.fixture(scope="module")
def bbb_per_title(big_buck_bunny: Path, tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    options = PipelineOptions(
        encode=FAST, with_artwork=False, ladder=LadderMode.PER_TITLE, trials=QUICK_TRIALS
    )
    return run_pipeline(big_buck_bunny, tmp_path_factory.mktemp("bbb-pt"), options=options)


def joined(track: EncodedTrack, into: Path) -> Path:
    path = into / f"{track.representation_id}.mp4"
    path.write_bytes(
        track.init.read_bytes() + b"".join(s.path.read_bytes() for s in track.segments)
    )
    return path


def vbv_bound(rung: VideoRendition, segment_seconds: float) -> float:
    """The most a VBV-capped segment can average: maxrate plus one full buffer over it."""
    return rung.maxrate + rung.bufsize / segment_seconds


def test_the_pipeline_keeps_its_ladder_decision(bbb_per_title: PipelineResult) -> None:
    decision = bbb_per_title.decision
    assert decision is not None
    names = [r.name for r in bbb_per_title.package.video]
    assert names == [r.name for r in decision.rungs]
    assert len(decision.points) == 4 * len(
        spec(VideoCodec.H264).trial_crfs
    )  # 240p..720p x every CRF
    assert decision.sample_seconds == pytest.approx(2.0, abs=0.1)
    assert all(r.crf is not None for r in bbb_per_title.ladder.video)
    top = decision.rungs[-1]
    assert top.vmaf <= decision.policy.target_vmaf
    assert decision.source_bitrate is not None
    assert top.bitrate <= decision.source_bitrate  # never above what the master holds


def test_segments_stay_within_the_declared_bandwidth(bbb_per_title: PipelineResult) -> None:
    encoded = bbb_per_title.encoded
    master = bbb_per_title.package.master.read_text()
    declared = {uri: int(bw) for bw, uri in re.findall(r"BANDWIDTH=(\d+),.*\n(\S+)\.m3u8", master)}
    audio = max(a.bandwidth for a in bbb_per_title.package.audio)
    for track, info in zip(encoded.video, bbb_per_title.package.video, strict=True):
        assert isinstance(track.rendition, VideoRendition)
        for segment in track.segments:
            # RFC 8216 rates runs of at least half the target duration: a short last
            # segment is held by the VBV alone (maxrate over its length plus one buffer).
            if segment.duration >= encoded.segment_seconds / 2:
                assert segment.size * 8 / segment.duration <= info.bandwidth
            bits = track.rendition.maxrate * segment.duration + track.rendition.bufsize
            assert segment.size * 8 <= bits * 1.03
        assert declared[info.name] == info.bandwidth + audio
        assert info.bandwidth <= vbv_bound(track.rendition, encoded.segment_seconds) * 1.03


def test_the_opening_frames_are_as_good_as_the_rest(
    bbb_per_title: PipelineResult, big_buck_bunny: Path, tmp_path: Path
) -> None:
    top = bbb_per_title.encoded.video[-1]
    assert isinstance(top.rendition, VideoRendition)
    video = bbb_per_title.probe.video
    score = vmaf(
        joined(top, tmp_path),
        big_buck_bunny,
        width=video.width,
        height=video.height,
        frame_rate=video.frame_rate,
        seconds=bbb_per_title.probe.duration,
    )
    opening = score.frames[:OPENING_FRAMES]
    rest = score.frames[OPENING_FRAMES:]
    # One-pass average bitrate scored the opening ~5 VMAF below the rest on this clip.
    assert sum(opening) / len(opening) >= sum(rest) / len(rest) - 2.0


def test_the_fixed_ladder_still_encodes_at_its_table_bitrates(clip: Path) -> None:
    probed = probe(clip)
    fixed = " ".join(build_command(clip, build_ladder(probed), Fraction(25), Path("o"), FAST))
    assert "-b:v:0 365000" in fixed
    assert "-crf" not in fixed


def test_a_vbv_cap_holds_a_hard_scene_within_its_bandwidth(tmp_path: Path) -> None:
    source = tmp_path / "hard.mp4"
    media.ffmpeg(
        "-f", "lavfi", "-i", "mandelbrot=size=640x360:rate=25,noise=alls=30:allf=t+u",
        "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", source,
    )  # fmt: skip
    probed = probe(source)
    (base,) = [r for r in build_ladder(probed).video if r.name == "360p"]
    uncapped, _ = video_stats(_crf_only(source, tmp_path / "crf18.mp4"))
    rung = VideoRendition(
        "360p", base.width, base.height, base.frame_rate, 400_000, 600_000, 600_000, crf=18.0
    )
    assert uncapped > 3 * rung.maxrate  # the cap, not the CRF, decides this encode's size
    result = encode(
        source,
        Ladder(video=(rung,), audio=()),
        source_fps=probed.video.frame_rate,
        duration=probed.duration,
        out_dir=tmp_path / "out",
        options=EncodeOptions(preset="superfast", segment_seconds=2.0),
    )
    info = package(result).video[0]
    (track,) = result.video
    assert max(s.size * 8 / s.duration for s in track.segments) <= info.bandwidth
    assert info.bandwidth <= vbv_bound(rung, result.segment_seconds) * 1.03


def _crf_only(source: Path, out: Path) -> Path:
    media.ffmpeg("-i", source, "-c:v", "libx264", "-preset", "superfast", "-crf", "18", out)
    return out

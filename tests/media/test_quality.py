"""VMAF with libvmaf, and real trial encodes of a short title."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from marquee.media.ladder import LadderMode, build_ladder
from marquee.media.pipeline import PipelineOptions, choose_ladder
from marquee.media.probe import probe
from marquee.media.quality import (
    TrialOptions,
    make_reference,
    run_trials,
    sample_windows,
    video_stats,
    vmaf,
    vmaf_many,
)
from tests.media import sources as media


def test_a_short_title_is_tried_whole_and_a_long_one_in_spread_windows() -> None:
    assert sample_windows(5.0, 3, 2.0) == ((0.0, 5.0),)
    windows = sample_windows(60.0, 3, 2.0)
    assert [length for _, length in windows] == [2.0, 2.0, 2.0]
    starts = [start for start, _ in windows]
    assert starts == sorted(starts)
    assert starts[0] > 0
    assert starts[-1] + 2.0 < 60.0
    assert starts[1] == pytest.approx(29.0)  # the middle window sits in the middle


def test_vmaf_scores_a_copy_near_100_and_a_starved_encode_far_below(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="640x360", seconds=2, languages=())
    reference = make_reference(source, tmp_path / "ref.mkv", [(0.0, 2.0)], frame_rate=Fraction(25))
    starved = tmp_path / "starved.mp4"
    media.ffmpeg("-i", reference, "-vf", "scale=320:180", "-c:v", "libx264", "-crf", "45", starved)
    same = vmaf(reference, reference, width=640, height=360, frame_rate=Fraction(25))
    worse = vmaf(starved, reference, width=640, height=360, frame_rate=Fraction(25))
    assert same.mean > 97
    assert worse.mean < same.mean - 30
    assert len(same.frames) == 50  # every frame of 2 s at 25 fps
    bitrate, seconds = video_stats(starved)
    assert seconds == pytest.approx(2.0, abs=0.05)
    assert bitrate < video_stats(reference)[0]


def test_trials_measure_every_size_and_crf_and_pick_rungs_from_them(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="640x360", seconds=2, languages=())
    options = TrialOptions(crfs=(18.0, 26.0, 34.0), preset="superfast")
    decision = run_trials(probe(source), tmp_path / "trials", segment_seconds=1.0, options=options)
    assert {(p.name, p.crf) for p in decision.points} == {
        (name, crf) for name in ("240p", "360p") for crf in options.crfs
    }
    for name in ("240p", "360p"):
        curve = sorted((p for p in decision.points if p.name == name), key=lambda p: p.crf)
        assert [p.vmaf for p in curve] == sorted((p.vmaf for p in curve), reverse=True)
        assert [p.bitrate for p in curve] == sorted((p.bitrate for p in curve), reverse=True)
    assert decision.hull
    assert decision.rungs
    assert all(r.height <= 360 and r.width <= 640 for r in decision.rungs)
    assert decision.sample_seconds == pytest.approx(2.0, abs=0.05)
    assert decision.trial_cpu_seconds > 0
    top = decision.rungs[-1]
    assert top.vmaf <= decision.policy.target_vmaf


def test_scoring_several_encodes_in_one_run_matches_scoring_each(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="320x180", seconds=1, languages=())
    reference = make_reference(source, tmp_path / "ref.mkv", [(0.0, 1.0)], frame_rate=Fraction(25))
    encodes = []
    for crf in (20, 40):
        path = tmp_path / f"crf{crf}.mp4"
        media.ffmpeg("-i", reference, "-c:v", "libx264", "-crf", str(crf), path)
        encodes.append(path)
    rate = Fraction(25)
    together = vmaf_many(encodes, reference, width=320, height=180, frame_rate=rate)
    alone = [vmaf(p, reference, width=320, height=180, frame_rate=rate) for p in encodes]
    assert [s.frames for s in together] == [s.frames for s in alone]
    assert together[0].mean > together[1].mean


def test_trials_that_cannot_run_leave_the_title_on_the_fixed_table(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="320x180", seconds=2, languages=())
    broken = PipelineOptions(ladder=LadderMode.PER_TITLE, trials=TrialOptions(crfs=()))
    ladder, decisions = choose_ladder(probe(source), tmp_path, broken, None)
    assert decisions == ()
    assert ladder == build_ladder(probe(source))
    assert not (tmp_path / "trials").exists()

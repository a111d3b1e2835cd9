"""Per-title rung choice on the convex hull, from synthetic trial points (no FFmpeg)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from marquee.media.hull import (
    HullPolicy,
    RungChoice,
    TrialPoint,
    at_quality,
    choose_rungs,
    decide,
    hull_quality_at,
    upper_hull,
)
from marquee.media.ladder import MAXRATE_FACTOR, per_title_video

CRFS = (17.0, 22.0, 27.0, 33.0)
SIZES = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}


def curve(name: str, *, ceiling: float, scale: float, top_bitrate: int) -> list[TrialPoint]:
    """A resolution's trials: bitrate halves every 6 CRF, VMAF saturates towards `ceiling`."""
    width, height = SIZES[name]
    points = []
    for crf in CRFS:
        bitrate = round(top_bitrate * 2 ** (-(crf - CRFS[0]) / 6))
        vmaf = ceiling * (1 - math.exp(-bitrate / scale))
        points.append(TrialPoint(name, width, height, crf, bitrate, round(vmaf, 2)))
    return points


def three_sizes() -> list[TrialPoint]:
    # Small pictures are good at low rates and saturate low; big ones need bits, then win.
    return [
        *curve("360p", ceiling=80, scale=250_000, top_bitrate=1_500_000),
        *curve("720p", ceiling=97, scale=900_000, top_bitrate=4_000_000),
        *curve("1080p", ceiling=100, scale=2_000_000, top_bitrate=9_000_000),
    ]


def test_the_hull_is_convex_rising_and_drops_points_under_a_chord() -> None:
    a = TrialPoint("360p", 640, 360, 30, 100_000, 40.0)
    under = TrialPoint("360p", 640, 360, 25, 200_000, 45.0)  # below the chord a-b
    b = TrialPoint("720p", 1280, 720, 25, 300_000, 70.0)
    c = TrialPoint("720p", 1280, 720, 20, 600_000, 85.0)
    past_best = TrialPoint("1080p", 1920, 1080, 20, 900_000, 84.0)
    hull = upper_hull([past_best, c, under, b, a])
    assert hull == (a, b, c)
    slopes = [(q.vmaf - p.vmaf) / (q.bitrate - p.bitrate) for p, q in itertools.pairwise(hull)]
    assert slopes == sorted(slopes, reverse=True)
    assert hull_quality_at(hull, 200_000) == pytest.approx(55.0)


def test_crf_and_bitrate_are_interpolated_between_trials() -> None:
    points = curve("720p", ceiling=97, scale=900_000, top_bitrate=4_000_000)
    target = (points[1].vmaf + points[2].vmaf) / 2
    rung = at_quality(points, target)
    assert rung is not None
    assert points[1].crf < rung.crf < points[2].crf
    assert points[2].bitrate < rung.bitrate < points[1].bitrate
    assert at_quality(points, 99.0) is None  # beyond the lowest CRF tried


def test_the_top_rung_meets_the_target_at_the_cheapest_resolution() -> None:
    rungs = choose_rungs(three_sizes())
    top = rungs[-1]
    assert top.vmaf == pytest.approx(95.0)
    at_720 = at_quality([p for p in three_sizes() if p.name == "720p"], 95.0)
    at_1080 = at_quality([p for p in three_sizes() if p.name == "1080p"], 95.0)
    assert at_720 is not None
    assert at_1080 is not None
    assert top.bitrate == min(at_720.bitrate, at_1080.bitrate)


def test_rungs_step_down_in_quality_and_switch_to_smaller_pictures() -> None:
    policy = HullPolicy()
    rungs = choose_rungs(three_sizes(), policy)
    assert 3 <= len(rungs) <= policy.max_rungs
    for low, high in itertools.pairwise(rungs):
        assert low.vmaf < high.vmaf
        assert low.bitrate * policy.min_ratio <= high.bitrate
        assert low.width * low.height <= high.width * high.height
    assert rungs[0].name.startswith("360p")  # where small pictures win, the hull says so
    assert {r.name.split("-")[0] for r in rungs} >= {"360p", "720p"}
    assert len({r.name for r in rungs}) == len(rungs)


def test_the_top_rung_never_costs_more_than_the_source_holds() -> None:
    source_bitrate = 1_200_000
    rungs = choose_rungs(three_sizes(), source_bitrate=source_bitrate)
    assert rungs[-1].bitrate <= source_bitrate * 1.01
    assert rungs[-1].vmaf < 95.0


def test_an_easy_source_stops_where_more_bits_buy_nothing() -> None:
    # A still picture: VMAF 98 at every rate; the ladder's top is the cheapest such point.
    flat = [TrialPoint("720p", 1280, 720, crf, round(1e6 / (crf - 15)), 98.0) for crf in CRFS]
    steep = curve("360p", ceiling=80, scale=250_000, top_bitrate=1_500_000)
    decision = decide([*flat, *steep], HullPolicy(target_vmaf=99))
    top = decision.rungs[-1]
    assert top.bitrate == min(p.bitrate for p in flat)
    assert decision.hull[-1].vmaf == 98.0


def test_a_hard_source_below_the_target_tops_out_at_its_best() -> None:
    hard = curve("1080p", ceiling=80, scale=6_000_000, top_bitrate=9_000_000)
    rungs = choose_rungs(hard, HullPolicy(min_gain=0.0))
    assert rungs[-1].vmaf == max(p.vmaf for p in hard)
    assert rungs[-1].crf == CRFS[0]


def test_no_trials_no_rungs() -> None:
    assert choose_rungs([]) == ()


def test_per_title_renditions_keep_geometry_and_cap_the_crf() -> None:
    rungs = choose_rungs(three_sizes())
    renditions = per_title_video(1920, 1080, Fraction(25), rungs)
    assert [r.name for r in renditions] == [r.name for r in rungs]
    for rendition, rung in zip(renditions, rungs, strict=True):
        assert (rendition.width, rendition.height) == (rung.width, rung.height)
        assert rendition.crf == rung.crf
        assert rendition.maxrate == round(rung.bitrate * MAXRATE_FACTOR)
        assert rendition.height <= 1080
    full_hd = RungChoice("1080p", 1920, 1080, 20.0, 5_000_000, 96.0)
    with pytest.raises(ValueError, match="No 1920x1080 rung"):
        per_title_video(1280, 720, Fraction(25), (full_hd,))  # never upscaled


def test_a_hard_title_s_top_rung_costs_no_more_than_the_table_s_top() -> None:
    hard = curve("1080p", ceiling=90, scale=8_000_000, top_bitrate=30_000_000)
    uncapped = choose_rungs(hard, HullPolicy(min_gain=0.0))
    capped = choose_rungs(hard, HullPolicy(min_gain=0.0), max_bitrate=6_000_000)
    assert uncapped[-1].bitrate > 6_000_000
    assert capped[-1].bitrate <= 6_000_000
    assert capped[-1].vmaf < uncapped[-1].vmaf

"""Per-title rung choice: the upper convex hull of trial encodes in (bitrate, VMAF), pure.

Each trial encode of a title at one resolution and one CRF gives a point: what it
costs (average bits per second) and what it looks like (VMAF, upscaled to the
source). Time-sharing between two encodes reaches any point on the segment between
them, so the best any encoder set-up can do is the upper convex hull of the points;
where the hull passes from one resolution's points to another's is where a ladder
should switch resolution. Nothing here runs FFmpeg.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

DEFAULT_TARGET_VMAF = 95.0


@dataclass(frozen=True)
class TrialPoint:
    """One trial encode: the rung box it was scaled to, its CRF and what it measured."""

    name: str  # the rung box, "720p"
    width: int
    height: int
    crf: float
    bitrate: int  # average, bits per second
    vmaf: float


@dataclass(frozen=True)
class HullPolicy:
    target_vmaf: float = DEFAULT_TARGET_VMAF  # the top rung's quality, when reachable
    step: float = 10.0  # VMAF between neighbouring rungs (a JND is about 6)
    floor_vmaf: float = 40.0  # no rung is planned below this quality
    max_rungs: int = 6
    # Neighbouring rungs closer than this in bitrate add storage but no useful switch.
    min_ratio: float = 1.5
    # Past the point where doubling the bitrate buys less than this, the source needs no more.
    min_gain: float = 1.0
    min_bitrate: int = 80_000


@dataclass(frozen=True)
class RungChoice:
    """A rung the hull chose: its resolution, its CRF and the trials' prediction for it."""

    name: str
    width: int
    height: int
    crf: float
    bitrate: int  # predicted average, bits per second
    vmaf: float  # predicted


@dataclass(frozen=True)
class LadderDecision:
    """Why a title got its ladder: every trial, the hull through them and the rungs picked."""

    policy: HullPolicy
    points: tuple[TrialPoint, ...]
    hull: tuple[TrialPoint, ...]
    rungs: tuple[RungChoice, ...]
    source_bitrate: int | None = None
    max_bitrate: int | None = None  # the most the top rung may cost to deliver
    sample_seconds: float = 0.0  # how much of the title the trials encoded
    trial_cpu_seconds: float = 0.0
    measured_vmaf: dict[str, float] = field(default_factory=dict)  # rung name -> final VMAF
    codec: str = "h264"  # media/codecs.py VideoCodec: each codec has its own trials and hull


def _cross(o: TrialPoint, a: TrialPoint, b: TrialPoint) -> float:
    return (a.bitrate - o.bitrate) * (b.vmaf - o.vmaf) - (a.vmaf - o.vmaf) * (b.bitrate - o.bitrate)


def upper_hull(points: Sequence[TrialPoint]) -> tuple[TrialPoint, ...]:
    """The upper convex hull, cheapest first, cut where quality stops rising.

    Andrew's monotone chain over (bitrate, VMAF). A point below a chord between two
    others is never worth encoding; the hull past its best quality only costs more.
    """
    ordered = sorted(points, key=lambda p: (p.bitrate, -p.vmaf))
    hull: list[TrialPoint] = []
    for point in ordered:
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], point) >= 0:
            hull.pop()
        hull.append(point)
    best = max(range(len(hull)), key=lambda i: hull[i].vmaf, default=-1)
    return tuple(hull[: best + 1])


def hull_quality_at(hull: Sequence[TrialPoint], bitrate: float) -> float:
    """The VMAF the hull reaches at `bitrate` (flat past its ends)."""
    if bitrate <= hull[0].bitrate:
        return hull[0].vmaf
    for low, high in itertools.pairwise(hull):
        if bitrate <= high.bitrate:
            share = (bitrate - low.bitrate) / (high.bitrate - low.bitrate)
            return low.vmaf + share * (high.vmaf - low.vmaf)
    return hull[-1].vmaf


def saturation_quality(hull: Sequence[TrialPoint], min_gain: float) -> float:
    """The quality past which doubling the bitrate gains less than `min_gain` VMAF."""
    for low, high in itertools.pairwise(hull):
        doublings = math.log2(high.bitrate / max(1, low.bitrate))
        if doublings > 0 and (high.vmaf - low.vmaf) / doublings < min_gain:
            return low.vmaf
    return hull[-1].vmaf


def at_quality(curve: Sequence[TrialPoint], vmaf: float) -> RungChoice | None:
    """One resolution's CRF and bitrate for `vmaf`, interpolated between its trials.

    CRF is close to linear in VMAF between neighbouring trials, and bitrate close to
    exponential in CRF, so the bitrate is interpolated on a log scale. None when the
    resolution cannot reach `vmaf` within the CRFs tried.
    """
    ordered = sorted(curve, key=lambda p: p.crf)
    for a, b in itertools.pairwise(ordered):
        top, bottom = max(a.vmaf, b.vmaf), min(a.vmaf, b.vmaf)
        if not bottom <= vmaf <= top:
            continue
        share = 0.0 if math.isclose(a.vmaf, b.vmaf) else (a.vmaf - vmaf) / (a.vmaf - b.vmaf)
        crf = a.crf + share * (b.crf - a.crf)
        bitrate = math.exp(math.log(a.bitrate) + share * math.log(b.bitrate / a.bitrate))
        return RungChoice(a.name, a.width, a.height, round(crf, 1), round(bitrate), vmaf)
    exact = [p for p in ordered if math.isclose(p.vmaf, vmaf)]
    if exact:
        p = exact[0]
        return RungChoice(p.name, p.width, p.height, p.crf, p.bitrate, p.vmaf)
    return None


def _by_name(points: Sequence[TrialPoint]) -> dict[str, list[TrialPoint]]:
    curves: dict[str, list[TrialPoint]] = {}
    for point in points:
        curves.setdefault(point.name, []).append(point)
    return curves


def rung_for(
    points: Sequence[TrialPoint], hull: Sequence[TrialPoint], vmaf: float
) -> RungChoice | None:
    """The rung for `vmaf` at the resolution the hull passes through there.

    On a hull segment between two resolutions' points, the one whose own curve is
    cheaper at `vmaf` is taken: that is the switch point the hull shows.
    """
    if not hull or vmaf > hull[-1].vmaf:
        return None
    curves = _by_name(points)
    if vmaf <= hull[0].vmaf:
        low = hull[0]
        return RungChoice(low.name, low.width, low.height, low.crf, low.bitrate, low.vmaf)
    segment = next((a, b) for a, b in itertools.pairwise(hull) if a.vmaf <= vmaf <= b.vmaf)
    options = [at_quality(curves[name], vmaf) for name in {segment[0].name, segment[1].name}]
    found = [o for o in options if o is not None]
    return min(found, key=lambda o: o.bitrate) if found else None


def top_quality(hull: Sequence[TrialPoint], policy: HullPolicy, cap: int | None) -> float:
    """The top rung's quality: the target, unless the source needs less or `cap` affords less."""
    quality = min(policy.target_vmaf, hull[-1].vmaf, saturation_quality(hull, policy.min_gain))
    if cap:
        quality = min(quality, hull_quality_at(hull, cap))
    return quality


def bitrate_cap(source_bitrate: int | None, max_bitrate: int | None) -> int | None:
    """More bits than the master has cannot add detail it never had; `max_bitrate` bounds
    what a hard title's top rung costs to deliver."""
    caps = [cap for cap in (source_bitrate, max_bitrate) if cap]
    return min(caps) if caps else None


def _unique_names(rungs: list[RungChoice]) -> list[RungChoice]:
    seen: dict[str, int] = {}
    named = []
    for rung in reversed(rungs):  # the best rung at a size keeps the plain name
        count = seen.get(rung.name, 0)
        seen[rung.name] = count + 1
        name = rung.name if count == 0 else f"{rung.name}-{count + 1}"
        named.append(RungChoice(name, rung.width, rung.height, rung.crf, rung.bitrate, rung.vmaf))
    return list(reversed(named))


def choose_rungs(
    points: Sequence[TrialPoint],
    policy: HullPolicy | None = None,
    *,
    source_bitrate: int | None = None,
    max_bitrate: int | None = None,
) -> tuple[RungChoice, ...]:
    """The ladder, lowest rung first: quality steps down from the top rung along the hull.

    A rung is dropped when it would sit within `min_ratio` of the rung above in
    bitrate, or be larger in pixels than the rung above: a lower rung never switches
    to a larger picture.
    """
    policy = policy or HullPolicy()
    hull = upper_hull(points)
    if not hull:
        return ()
    cap = bitrate_cap(source_bitrate, max_bitrate)
    quality = _affordable(points, hull, top_quality(hull, policy, cap), cap)
    chosen: list[RungChoice] = []
    while len(chosen) < policy.max_rungs:
        rung = rung_for(points, hull, quality)
        if rung is not None and _fits_below(chosen, rung, policy):
            chosen.append(rung)
        if quality <= hull[0].vmaf or quality - policy.step < policy.floor_vmaf:
            break
        quality -= policy.step
    return tuple(_unique_names(list(reversed(chosen))))


def _affordable(
    points: Sequence[TrialPoint],
    hull: Sequence[TrialPoint],
    quality: float,
    cap: int | None,
) -> float:
    """Lower `quality` until its rung costs no more than `cap`.

    The hull between two resolutions is a time-sharing bound that a single encode
    reaches only at its vertices, so the quality the hull gives at `cap` may cost a
    little more at a real resolution: bisect down to what fits.
    """
    rung = rung_for(points, hull, quality)
    if not cap or rung is None or rung.bitrate <= cap:
        return quality
    low, high = hull[0].vmaf, quality
    for _ in range(40):
        middle = (low + high) / 2
        found = rung_for(points, hull, middle)
        if found is not None and found.bitrate <= cap:
            low = middle
        else:
            high = middle
    return low


def _fits_below(chosen: list[RungChoice], rung: RungChoice, policy: HullPolicy) -> bool:
    if rung.bitrate < policy.min_bitrate and chosen:
        return False
    if not chosen:
        return True
    above = chosen[-1]
    smaller = rung.width * rung.height <= above.width * above.height
    return rung.bitrate * policy.min_ratio <= above.bitrate and smaller


def decide(
    points: Sequence[TrialPoint],
    policy: HullPolicy | None = None,
    *,
    source_bitrate: int | None = None,
    max_bitrate: int | None = None,
    sample_seconds: float = 0.0,
    trial_cpu_seconds: float = 0.0,
    codec: str = "h264",
) -> LadderDecision:
    policy = policy or HullPolicy()
    return LadderDecision(
        policy=policy,
        points=tuple(points),
        hull=upper_hull(points),
        rungs=choose_rungs(points, policy, source_bitrate=source_bitrate, max_bitrate=max_bitrate),
        source_bitrate=source_bitrate,
        max_bitrate=max_bitrate,
        sample_seconds=sample_seconds,
        trial_cpu_seconds=trial_cpu_seconds,
        codec=codec,
    )


def decision_record(decision: LadderDecision) -> dict[str, Any]:
    """The decision as plain JSON, to be kept with the version it produced."""
    record: dict[str, Any] = TypeAdapter(LadderDecision).dump_python(decision, mode="json")
    return record

"""Per-session manifests: the stored HLS master and DASH MPD cut down to what a session may play.

A session may see video renditions no taller than its `max_height` (the plan's and the
device's limit) in codecs its device decodes. Audio and subtitle groups pass through
untouched, and so does every line or element this module does not understand (keys,
session data, content protection), so packaging can grow without changing the rewrite.
URIs stay relative to the version, under one signed prefix, except that each video
rendition is moved into the lane of its height (`v720/720p.m3u8`, a DASH `BaseURL` of
`v720/`): the signed link names the heights it allows, so the edge refuses other lanes.

A session plays one video codec: of those its device decodes, the one that spends the
fewest bits (AV1, then HEVC, then H.264), so that a player never has to change decoders
between rungs. A device that names no codecs gets H.264, which every screen decodes.

When nothing fits the height limit the lowest decodable rendition stays, so a small
screen still plays; when the device decodes none of the video codecs the rewrite
refuses with `no_supported_rendition`.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from marquee.delivery.signing import lane
from marquee.media.codecs import EFFICIENCY_ORDER, family_of
from marquee.playback.errors import NoSupportedRendition

# Codec families (the RFC 6381 four-character code) that name a video bitstream.
VIDEO_FAMILIES = frozenset(
    {"avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "vp08", "vp09", "av01", "mp4v"}
)
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')
_MPD = "urn:mpeg:dash:schema:mpd:2011"
_URI = re.compile(r'URI="([^"]*)"')
# Representation children that come after BaseURL (ISO/IEC 23009-1 RepresentationType).
_AFTER_BASE = ("ExtendedBandwidth", "SubRepresentation", "SegmentBase", "SegmentList")


@dataclass(frozen=True)
class StreamFilter:
    """What one session may play: renditions up to `max_height`, in `codecs` families.

    An empty `codecs` set means the device did not say, and every codec is allowed.
    """

    max_height: int
    codecs: frozenset[str] = frozenset()

    @classmethod
    def of(cls, max_height: int, codecs: Sequence[str] = ()) -> StreamFilter:
        return cls(max_height, frozenset(c.split(".", 1)[0].strip().lower() for c in codecs))

    def decodes(self, codecs: str) -> bool:
        """Whether every video codec in an RFC 6381 list like "avc1.64001f,mp4a.40.2" is decodable."""
        if not self.codecs:
            return True
        families = {c.split(".", 1)[0].strip().lower() for c in codecs.split(",") if c.strip()}
        return (families & VIDEO_FAMILIES) <= self.codecs


@dataclass(frozen=True)
class _Variant:
    height: int
    bandwidth: int
    codecs: str


def _one_codec(rule: StreamFilter, variants: Sequence[_Variant]) -> StreamFilter:
    """`rule` narrowed to the one video codec the session plays: of the decodable codecs
    with a rendition within the height limit (any, if none has one), the most efficient;
    H.264 first for a device that named no codecs."""
    decodable = [(family_of(v.codecs), v.height) for v in variants if rule.decodes(v.codecs)]
    found = {(family, height <= rule.max_height) for family, height in decodable if family}
    if not found:
        return rule
    order = EFFICIENCY_ORDER if rule.codecs else EFFICIENCY_ORDER[::-1]
    rank = {family: n for n, family in enumerate(order)}
    best, _ = min(found, key=lambda item: (not item[1], rank.get(item[0] or "", len(rank))))
    return StreamFilter(rule.max_height, frozenset({best or ""}))


def _keep(variants: Sequence[_Variant], rule: StreamFilter) -> set[int]:
    """Indexes of the variants to keep: all that fit, else the lowest decodable one."""
    decodable = [i for i, v in enumerate(variants) if rule.decodes(v.codecs)]
    if not decodable:
        raise NoSupportedRendition("This device decodes none of the title's video codecs.")
    fitting = {i for i in decodable if variants[i].height <= rule.max_height}
    if fitting:
        return fitting
    return {min(decodable, key=lambda i: (variants[i].height, variants[i].bandwidth))}


def _in_lane(uri: str, height: int) -> str:
    """A relative URI moved into its height's lane; absolute ones are left alone."""
    if not uri or uri.startswith("#") or "://" in uri or uri.startswith(("/", "data:")):
        return uri
    return f"{lane(height)}/{uri}"


# HLS (RFC 8216)


def _iframe_in_lane(tag_line: str, height: int) -> str:
    match = _URI.search(tag_line)
    if match is None:
        return tag_line
    moved = _in_lane(match.group(1), height)
    return f'{tag_line[: match.start()]}URI="{moved}"{tag_line[match.end() :]}'


def _attributes(tag_line: str) -> dict[str, str]:
    body = tag_line.split(":", 1)[1] if ":" in tag_line else ""
    return {name: value.strip('"') for name, value in _ATTRIBUTE.findall(body)}


def _hls_variant(tag_line: str) -> _Variant:
    attrs = _attributes(tag_line)
    resolution = attrs.get("RESOLUTION", "0x0")
    height = int(resolution.split("x")[1]) if re.fullmatch(r"\d+x\d+", resolution) else 0
    bandwidth = int(attrs["BANDWIDTH"]) if attrs.get("BANDWIDTH", "").isdigit() else 0
    return _Variant(height, bandwidth, attrs.get("CODECS", ""))


def _hls_entries(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, last line) of each variant: the STREAM-INF tag through its URI line."""
    entries: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("#EXT-X-STREAM-INF:"):
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or lines[end].startswith("#")):
                end += 1
            entries.append((i, min(end, len(lines) - 1)))
            i = end
        i += 1
    return entries


def rewrite_hls_master(text: str, rule: StreamFilter) -> str:
    """The master playlist without the variants (and I-frame variants) `rule` excludes."""
    lines = text.splitlines()
    entries = _hls_entries(lines)
    variants = [_hls_variant(lines[first]) for first, _ in entries]
    rule = _one_codec(rule, variants)
    dropped: set[int] = set()
    if variants:
        kept = _keep(variants, rule)
        for n, (first, last) in enumerate(entries):
            if n not in kept:
                dropped.update(range(first, last + 1))
            else:
                lines[last] = _in_lane(lines[last], variants[n].height)
    for n, line in enumerate(lines):
        # I-frame playlists serve trick play only; they follow the same limits, no fallback.
        if line.startswith("#EXT-X-I-FRAME-STREAM-INF:"):
            variant = _hls_variant(line)
            if variant.height > rule.max_height or not rule.decodes(variant.codecs):
                dropped.add(n)
            else:
                lines[n] = _iframe_in_lane(line, variant.height)
    return "".join(line + "\n" for n, line in enumerate(lines) if n not in dropped)


# DASH (ISO/IEC 23009-1)


def _register_prefixes(document: bytes) -> None:
    """Keep the document's own namespace prefixes when it is written back out."""
    events = ET.iterparse(io.BytesIO(document), events=("start-ns",))  # noqa: S314 - ours
    for _, (prefix, uri) in events:
        if not re.fullmatch(r"ns\d+", prefix):
            ET.register_namespace(prefix, uri)


def _is_video(adaptation: ET.Element) -> bool:
    if adaptation.get("contentType") == "video":
        return True
    mime = adaptation.get("mimeType") or ""
    reps = adaptation.findall(f"{{{_MPD}}}Representation")
    return mime.startswith("video/") or any(
        (r.get("mimeType") or "").startswith("video/") for r in reps
    )


def _dash_variant(adaptation: ET.Element, rep: ET.Element) -> _Variant:
    height = rep.get("height") or adaptation.get("height") or "0"
    codecs = rep.get("codecs") or adaptation.get("codecs") or ""
    bandwidth = rep.get("bandwidth") or "0"
    return _Variant(
        int(height) if height.isdigit() else 0,
        int(bandwidth) if bandwidth.isdigit() else 0,
        codecs,
    )


def _fix_limits(adaptation: ET.Element) -> None:
    """maxWidth/maxHeight describe the representations left, not the ones removed."""
    reps = adaptation.findall(f"{{{_MPD}}}Representation")
    for attribute, name in (("maxWidth", "width"), ("maxHeight", "height")):
        values = [r.get(name) or "" for r in reps]
        if adaptation.get(attribute) is not None and all(v.isdigit() for v in values):
            adaptation.set(attribute, str(max(int(v) for v in values)))


def _put_in_lane(rep: ET.Element, height: int) -> None:
    """Resolve the representation's files inside its lane: prefix its BaseURL, or add one."""
    tag = f"{{{_MPD}}}BaseURL"
    existing = rep.find(tag)
    if existing is not None:
        existing.text = _in_lane((existing.text or "").strip(), height)
        return
    base = ET.Element(tag)
    base.text = f"{lane(height)}/"
    names = {f"{{{_MPD}}}{name}" for name in (*_AFTER_BASE, "SegmentTemplate")}
    children = list(rep)
    at = next((i for i, child in enumerate(children) if child.tag in names), len(children))
    rep.insert(at, base)
    base.tail = rep.text  # the children's indentation, so the document stays pretty-printed


def _filter_period(period: ET.Element, rule: StreamFilter) -> None:
    """Filter across all video sets of a period, so a set in another codec can stand in."""
    sets = [a for a in period.findall(f"{{{_MPD}}}AdaptationSet") if _is_video(a)]
    pairs = [(a, r) for a in sets for r in a.findall(f"{{{_MPD}}}Representation")]
    if not pairs:
        return
    variants = [_dash_variant(a, r) for a, r in pairs]
    rule = _one_codec(rule, variants)
    kept = _keep(variants, rule)
    for n, (adaptation, rep) in enumerate(pairs):
        if n not in kept:
            adaptation.remove(rep)
        else:
            _put_in_lane(rep, variants[n].height)
    for adaptation in sets:
        if adaptation.find(f"{{{_MPD}}}Representation") is None:
            period.remove(adaptation)
        else:
            _fix_limits(adaptation)


def rewrite_dash(document: bytes, rule: StreamFilter) -> bytes:
    """The MPD without the video representations `rule` excludes."""
    _register_prefixes(document)
    root = ET.fromstring(document)  # noqa: S314 - written by our own packager
    for period in root.findall(f"{{{_MPD}}}Period"):
        _filter_period(period, rule)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))

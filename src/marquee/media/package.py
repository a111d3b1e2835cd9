"""Writes the HLS (RFC 8216) and DASH manifests over one shared set of CMAF segments."""

from __future__ import annotations

import math
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from marquee.media import boxes, cmaf, encrypt, packager
from marquee.media.codecs import codec_string
from marquee.media.encode import MPD_NS, EncodedTrack, EncodeResult, Segment
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import Progress
from marquee.media.ladder import AudioRendition, VideoRendition
from marquee.media.languages import bcp47
from marquee.media.subtitles import SubtitleTrack, VttSegment, display_name, write_segments

MASTER_PLAYLIST = "master.m3u8"
DASH_MANIFEST = "manifest.mpd"
AUDIO_GROUP = "audio"
SUBTITLE_GROUP = "subs"
ROLE_SCHEME = "urn:mpeg:dash:role:2011"
# DVB/DASH-IF scheme for "hard of hearing" accessibility; value 2 = subtitles for the deaf.
ACCESSIBILITY_SCHEME = "urn:tva:metadata:cs:AudioPurposeCS:2007"
SDH_CHARACTERISTICS = (
    "public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound"
)
for _prefix, _uri in (
    ("", MPD_NS["mpd"]),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ("xlink", "http://www.w3.org/1999/xlink"),
):
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class RenditionInfo:
    name: str
    kind: str  # "video" | "audio"
    codecs: str
    playlist: str
    bandwidth: int  # peak segment bit rate, bits/s
    average_bandwidth: int
    segment_count: int
    width: int = 0
    height: int = 0
    frame_rate: float = 0.0
    language: str = ""


@dataclass(frozen=True)
class Package:
    out_dir: Path
    master: Path
    mpd: Path
    duration: float
    renditions: tuple[RenditionInfo, ...]
    subtitles: tuple[SubtitleTrack, ...]

    @property
    def video(self) -> tuple[RenditionInfo, ...]:
        return tuple(r for r in self.renditions if r.kind == "video")

    @property
    def audio(self) -> tuple[RenditionInfo, ...]:
        return tuple(r for r in self.renditions if r.kind == "audio")


def peak_bit_rate(segments: Sequence[Segment], target: float) -> float:
    """RFC 8216 4.3.4.2: the largest bit rate of any run of contiguous segments lasting
    between 0.5 and 1.5 times the target duration (the whole track if none qualifies)."""
    best = 0.0
    for first in range(len(segments)):
        size, length = 0, 0.0
        for segment in segments[first:]:
            if length + segment.duration > 1.5 * target:
                break
            size, length = size + segment.size, length + segment.duration
            if length >= 0.5 * target:
                best = max(best, size * 8 / length)
    if best == 0.0:
        best = sum(s.size for s in segments) * 8 / sum(s.duration for s in segments)
    return best


def _rates(track: EncodedTrack) -> tuple[int, int]:
    """(peak, average) segment bit rate in bits per second."""
    target = max(1, round(max(s.duration for s in track.segments)))
    average = sum(s.size for s in track.segments) * 8 / track.duration
    peak = max(peak_bit_rate(track.segments, target), average)
    return math.ceil(peak), math.ceil(average)


def describe(track: EncodedTrack) -> RenditionInfo:
    init = track.init.read_bytes()
    peak, average = _rates(track)
    rendition = track.rendition
    info = RenditionInfo(
        name=rendition.name,
        kind=track.kind,
        codecs="",
        playlist=f"{rendition.name}.m3u8",
        bandwidth=peak,
        average_bandwidth=average,
        segment_count=len(track.segments),
    )
    if isinstance(rendition, VideoRendition):
        return replace(
            info,
            codecs=codec_string(rendition.codec, init),
            width=rendition.width,
            height=rendition.height,
            frame_rate=rendition.fps,
        )
    assert isinstance(rendition, AudioRendition)
    return replace(info, codecs=boxes.aac_codec_string(init), language=bcp47(rendition.language))


def media_playlist(track: EncodedTrack, out_dir: Path, kid: uuid.UUID | None = None) -> str:
    target = max(round(s.duration) for s in track.segments)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, target)}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    if kid is not None:  # before the map: the key applies to the init section too
        lines.append(encrypt.hls_key_tag(kid))
    lines.append(f'#EXT-X-MAP:URI="{track.init.relative_to(out_dir).as_posix()}"')
    for segment in track.segments:
        lines += [f"#EXTINF:{segment.duration:.6f},", segment.path.relative_to(out_dir).as_posix()]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def subtitle_playlist(segments: Sequence[VttSegment]) -> str:
    """The WebVTT segments, cut where the video's are (DASH keeps the whole file)."""
    target = max(1, *(round(s.duration) for s in segments))
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{target}"]
    lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.6f},", segment.path.name]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def write_subtitles(encoded: EncodeResult, subs: Sequence[SubtitleTrack]) -> None:
    """Each track's HLS segments and media playlist, on the first video track's timeline."""
    timeline = encoded.video[0].segments
    origin = timeline[0].start
    windows = [(s.start - origin, s.duration) for s in timeline]
    for sub in subs:
        if sub.path.parent != encoded.out_dir:
            raise TranscodeFailed(
                f"Subtitle {sub.path.name} must be written into the package directory."
            )
        segments = write_segments(sub, windows, origin)
        (encoded.out_dir / f"{sub.key}.m3u8").write_text(subtitle_playlist(segments))


def _quoted(attrs: dict[str, str | int]) -> str:
    return ",".join(f"{k}={v}" for k, v in attrs.items())


def _audio_names(audio: Sequence[RenditionInfo]) -> list[str]:
    """Human names, unique within the group as RFC 8216 requires."""
    names: list[str] = []
    for info in audio:
        base = (
            "Original"
            if info.language == "und"
            else display_name(info.language, forced=False, sdh=False)
        )
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base} {n}"
        names.append(name)
    return names


def _audio_media(info: RenditionInfo, name: str, default: bool) -> str:
    yes = "YES" if default else "NO"
    return "#EXT-X-MEDIA:" + _quoted(
        {
            "TYPE": "AUDIO",
            "GROUP-ID": f'"{AUDIO_GROUP}"',
            "LANGUAGE": f'"{info.language}"',
            "NAME": f'"{name}"',
            "DEFAULT": yes,
            "AUTOSELECT": "YES",
            "CHANNELS": '"2"',
            "URI": f'"{info.playlist}"',
        }
    )


def _subtitle_media(track: SubtitleTrack, default: bool) -> str:
    attrs: dict[str, str | int] = {
        "TYPE": "SUBTITLES",
        "GROUP-ID": f'"{SUBTITLE_GROUP}"',
        "LANGUAGE": f'"{track.language}"',
        "NAME": f'"{track.name}"',
        "DEFAULT": "YES" if default else "NO",
        "AUTOSELECT": "YES",
        "FORCED": "YES" if track.forced else "NO",
    }
    if track.sdh:
        attrs["CHARACTERISTICS"] = f'"{SDH_CHARACTERISTICS}"'
    attrs["URI"] = f'"{track.key}.m3u8"'
    return "#EXT-X-MEDIA:" + _quoted(attrs)


def _stream_inf(video: RenditionInfo, audio: Sequence[RenditionInfo], has_subs: bool) -> str:
    # A variant's rates must cover the heaviest audio rendition it may be played with.
    peak = video.bandwidth + max((a.bandwidth for a in audio), default=0)
    average = video.average_bandwidth + max((a.average_bandwidth for a in audio), default=0)
    codecs = ",".join([video.codecs, *sorted({a.codecs for a in audio})])
    attrs: dict[str, str | int] = {
        "BANDWIDTH": peak,
        "AVERAGE-BANDWIDTH": average,
        "CODECS": f'"{codecs}"',
        "RESOLUTION": f"{video.width}x{video.height}",
        "FRAME-RATE": f"{video.frame_rate:.3f}",
    }
    if audio:
        attrs["AUDIO"] = f'"{AUDIO_GROUP}"'
    if has_subs:
        attrs["SUBTITLES"] = f'"{SUBTITLE_GROUP}"'
    # Said outright: a player may otherwise look for CEA-608 captions in the video.
    attrs["CLOSED-CAPTIONS"] = "NONE"
    return "#EXT-X-STREAM-INF:" + _quoted(attrs)


def master_playlist(
    video: Sequence[RenditionInfo],
    audio: Sequence[RenditionInfo],
    subs: Sequence[SubtitleTrack],
    kid: uuid.UUID | None = None,
    iframes: dict[RenditionInfo, tuple[str, int]] | None = None,
) -> str:
    """`iframes`: each video rendition's I-frame playlist and its peak bit rate."""
    iframes = iframes or {}
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if kid is not None:  # lets a player ask for the licence before the first media playlist
        lines.append(encrypt.hls_session_key_tag(kid))
    names = _audio_names(audio)
    lines += [_audio_media(a, names[i], i == 0) for i, a in enumerate(audio)]
    lines += [_subtitle_media(s, False) for s in subs]
    for info in sorted(video, key=lambda v: v.bandwidth):
        lines += [_stream_inf(info, audio, bool(subs)), info.playlist]
    for info, (uri, bandwidth) in sorted(iframes.items(), key=lambda i: i[0].bandwidth):
        attrs: dict[str, str | int] = {
            "BANDWIDTH": bandwidth,
            "CODECS": f'"{info.codecs}"',
            "RESOLUTION": f"{info.width}x{info.height}",
            "URI": f'"{uri}"',
        }
        lines.append("#EXT-X-I-FRAME-STREAM-INF:" + _quoted(attrs))
    return "\n".join(lines) + "\n"


def _tag(name: str) -> str:
    return f"{{{MPD_NS['mpd']}}}{name}"


def _subtitle_set(track: SubtitleTrack, set_id: int) -> ET.Element:
    adaptation = ET.Element(
        _tag("AdaptationSet"),
        {"id": str(set_id), "contentType": "text", "mimeType": "text/vtt", "lang": track.language},
    )
    # MPD schema order: Label, then Accessibility, then Role, then Representation.
    ET.SubElement(adaptation, _tag("Label")).text = track.name
    if track.sdh:
        accessibility = {"schemeIdUri": ACCESSIBILITY_SCHEME, "value": "2"}
        ET.SubElement(adaptation, _tag("Accessibility"), accessibility)
    role = "forced-subtitle" if track.forced else "subtitle"
    ET.SubElement(adaptation, _tag("Role"), {"schemeIdUri": ROLE_SCHEME, "value": role})
    rep = ET.SubElement(adaptation, _tag("Representation"), {"id": track.key, "bandwidth": "256"})
    ET.SubElement(rep, _tag("BaseURL")).text = track.path.name
    return adaptation


def _iso_seconds(seconds: float) -> str:
    """An xs:duration rounded up to the millisecond: a shorter one would cut the last frames."""
    return f"PT{math.ceil(seconds * 1000 - 1e-6) / 1000:.3f}S"


def _codec_config(init: Path) -> bytes:
    data = init.read_bytes()
    for box in (b"avcC", b"hvcC", b"av1C", b"esds"):
        at = data.find(box)
        if at >= 4:
            return data[at - 4 : at - 4 + int.from_bytes(data[at - 4 : at], "big")]
    return data


def _conform(root: ET.Element, period: ET.Element, encoded: EncodeResult) -> None:
    """Durations the media really has, and bitstream switching only where it is true.

    FFmpeg truncates `mediaPresentationDuration` to a tenth of a second (a player that
    trusts it never reaches the end) and takes `maxSegmentDuration` from the video only.
    """
    end = max(s.start + s.duration for t in encoded.tracks for s in t.segments)
    longest = max(s.duration for t in encoded.tracks for s in t.segments)
    root.set("mediaPresentationDuration", _iso_seconds(end))
    root.set("maxSegmentDuration", _iso_seconds(longest))
    inits = {t.representation_id: t.init for t in encoded.tracks}
    for adaptation in period.findall("mpd:AdaptationSet", MPD_NS):
        reps = [r.get("id", "") for r in adaptation.findall("mpd:Representation", MPD_NS)]
        configs = {_codec_config(inits[r]) for r in reps if r in inits}
        # Switching without a new init segment needs one decoder configuration for all.
        if adaptation.get("bitstreamSwitching") == "true" and len(configs) > 1:
            del adaptation.attrib["bitstreamSwitching"]


def dash_manifest(
    encoded: EncodeResult, infos: dict[str, RenditionInfo], subs: Sequence[SubtitleTrack]
) -> bytes:
    """FFmpeg's segment timeline, with measured bandwidths, roles, labels and subtitles added."""
    root = ET.parse(encoded.segmenter_mpd).getroot()  # noqa: S314 - written by FFmpeg just now
    period = root.find("mpd:Period", MPD_NS)
    if period is None:
        raise TranscodeFailed("The segmenter's manifest has no period.")
    for track in encoded.tracks:
        rep = period.find(f".//mpd:Representation[@id='{track.representation_id}']", MPD_NS)
        if rep is not None:
            rep.set("bandwidth", str(infos[track.representation_id].bandwidth))
    audio_sets = [
        s for s in period.findall("mpd:AdaptationSet", MPD_NS) if s.get("contentType") == "audio"
    ]
    for i, adaptation in enumerate(audio_sets):
        rep = adaptation.find("mpd:Representation", MPD_NS)
        if rep is not None and rep.get("id") in infos:  # FFmpeg copies the master's "eng"
            adaptation.set("lang", infos[rep.get("id", "")].language)
        role = ET.Element(
            _tag("Role"), {"schemeIdUri": ROLE_SCHEME, "value": "main" if i == 0 else "dub"}
        )
        adaptation.insert(0, role)
    first_free = len(period.findall("mpd:AdaptationSet", MPD_NS))
    for offset, sub in enumerate(subs):
        period.append(_subtitle_set(sub, first_free + offset))
    if encoded.protection is not None:
        encrypt.protect_mpd(root, encoded.protection.kid)
    _conform(root, period, encoded)
    for empty in ("mpd:ProgramInformation", "mpd:ServiceDescription"):
        for element in root.findall(empty, MPD_NS):
            if len(element) == 0:
                root.remove(element)
    ET.indent(root, space="  ")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def package(
    encoded: EncodeResult,
    *,
    subtitles: Sequence[SubtitleTrack] = (),
    progress: Progress | None = None,
) -> Package:
    """Re-package FFmpeg's segments with Shaka Packager (`cbcs` when `encoded` has a key),
    then write master/media playlists and the MPD next to them in `encoded.out_dir`."""
    encoded = packager.package_tracks(encoded, encoded.protection)
    for track in encoded.tracks:
        cmaf.brand_init(track)
    out_dir = encoded.out_dir
    kid = encoded.protection.kid if encoded.protection is not None else None
    infos = {t.representation_id: describe(t) for t in encoded.tracks}
    for track in encoded.tracks:
        playlist = infos[track.representation_id].playlist
        (out_dir / playlist).write_text(media_playlist(track, out_dir, kid))
    duration = max(t.duration for t in encoded.video)
    write_subtitles(encoded, subtitles)
    video = [infos[t.representation_id] for t in encoded.video]
    audio = [infos[t.representation_id] for t in encoded.audio]
    iframes = {
        infos[t.representation_id]: (
            packager.iframe_playlist_name(t),
            packager.iframe_playlist(t, out_dir, kid),
        )
        for t in encoded.video
    }
    master = master_playlist(video, audio, subtitles, kid, iframes)
    (out_dir / MASTER_PLAYLIST).write_text(master)
    (out_dir / DASH_MANIFEST).write_bytes(dash_manifest(encoded, infos, subtitles))
    encoded.segmenter_mpd.unlink(missing_ok=True)
    if progress is not None:
        progress("package", 100.0)
    return Package(
        out_dir=out_dir,
        master=out_dir / MASTER_PLAYLIST,
        mpd=out_dir / DASH_MANIFEST,
        duration=duration,
        renditions=tuple(infos.values()),
        subtitles=tuple(subtitles),
    )

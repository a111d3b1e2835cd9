"""A stored package with a full ladder (240p to 1080p), written as files rather than encoded.

The gate only reads manifests and moves bytes, so small made-up segments under real HLS and
DASH manifests test it as well as an encode would, and a 1080p rung costs nothing.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from fastapi import FastAPI

from marquee.storage import keys
from tests.playback.conftest import HEIGHTS

_WIDTHS = {240: 426, 480: 854, 720: 1280, 1080: 1920}
MPD = """<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S"
     minBufferTime="PT4S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <Period id="0">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" maxHeight="1080">
      <SegmentTemplate timescale="1000" duration="4000" startNumber="1"
          initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s"/>
{representations}
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="en">
      <SegmentTemplate timescale="1000" duration="4000" startNumber="1"
          initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s"/>
      <Representation id="a" codecs="mp4a.40.2" bandwidth="128000"/>
    </AdaptationSet>
  </Period>
</MPD>
"""


@dataclass(frozen=True)
class Ladder:
    version_id: uuid.UUID
    files: dict[str, bytes]  # relative path inside the version -> its bytes

    @staticmethod
    def index(height: int) -> int:
        return HEIGHTS.index(height)

    def segment(self, height: int, n: int = 1) -> str:
        return f"seg-{self.index(height)}-{n:05d}.m4s"

    def playlist(self, height: int) -> str:
        return f"{height}p.m3u8"


def _media_playlist(init: str, segments: list[str]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"]
    lines.append(f'#EXT-X-MAP:URI="{init}"')
    for name in segments:
        lines += ["#EXTINF:4.000000,", name]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def _master() -> str:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",LANGUAGE="en",NAME="English",DEFAULT=YES,'
        'URI="audio_en.m3u8"',
    ]
    for height in HEIGHTS:
        size = f"{_WIDTHS[height]}x{height}"
        lines += [
            f'#EXT-X-STREAM-INF:BANDWIDTH={height * 5000},CODECS="avc1.640028,mp4a.40.2",'
            f'RESOLUTION={size},AUDIO="audio"',
            f"{height}p.m3u8",
        ]
    lines.append(
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.640028",'
        'RESOLUTION=1920x1080,URI="1080p-iframes.m3u8"'
    )
    return "\n".join([*lines, ""])


def _representations() -> str:
    return "\n".join(
        f'      <Representation id="{n}" codecs="avc1.640028" bandwidth="{h * 5000}" '
        f'width="{_WIDTHS[h]}" height="{h}"/>'
        for n, h in enumerate(HEIGHTS)
    )


def ladder_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for n, height in enumerate(HEIGHTS):
        segments = [f"seg-{n}-{k:05d}.m4s" for k in (1, 2)]
        files[f"{height}p.m3u8"] = _media_playlist(f"init-{n}.m4s", segments).encode()
        for name in (f"init-{n}.m4s", *segments):
            files[name] = name.encode() + os.urandom(2000)
    files["1080p-iframes.m3u8"] = _media_playlist("init-3.m4s", ["seg-3-00001.m4s"]).encode()
    files["audio_en.m3u8"] = _media_playlist("init-a.m4s", ["seg-a-00001.m4s"]).encode()
    for name in ("init-a.m4s", "seg-a-00001.m4s", "seg-a-00002.m4s"):
        files[name] = name.encode() + os.urandom(500)
    files["master.m3u8"] = _master().encode()
    files["manifest.mpd"] = MPD.format(representations=_representations()).encode()
    return files


def store_ladder(app: FastAPI, version_id: uuid.UUID) -> Ladder:
    """Write the ladder's files into `version_id` in the app's store."""
    files = ladder_files()
    for relative, data in files.items():
        app.state.runtime.store.put(keys.version_file(version_id, relative), [data])
    return Ladder(version_id, files)

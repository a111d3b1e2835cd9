"""Per-session manifests: real packaged HLS and DASH output cut to a session's limits."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from marquee.delivery import renditions
from marquee.media.ffmpeg import ffmpeg_exe
from marquee.playback.errors import NoSupportedRendition
from marquee.playback.manifests import StreamFilter, rewrite_dash, rewrite_hls_master
from tests.media.sources import ffmpeg_client
from tests.playback.packaged import multi_codec, packaged

__all__ = ["multi_codec", "packaged"]
NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}
AVC = StreamFilter.of(360, ["avc1", "mp4a"])


def _variants(master: str) -> list[str]:
    lines = master.splitlines()
    return [lines[i + 1] for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF")]


def _heights(mpd: bytes) -> list[int]:
    root = ET.fromstring(mpd)
    video = root.find(".//mpd:AdaptationSet[@contentType='video']", NS)
    assert video is not None
    return [int(r.get("height", "0")) for r in video.findall("mpd:Representation", NS)]


def test_the_hls_master_keeps_renditions_up_to_the_session_height(packaged: Path) -> None:
    stored = (packaged / "master.m3u8").read_text()
    assert _variants(stored) == ["240p.m3u8", "360p.m3u8", "480p.m3u8"]
    rewritten = rewrite_hls_master(stored, AVC)
    # Each variant moves into the lane of its height, which the signed link names.
    assert _variants(rewritten) == ["v240/240p.m3u8", "v360/360p.m3u8"]
    assert "480p" not in rewritten
    # Audio and subtitle groups pass through untouched, URIs stay relative.
    media_lines = [line for line in stored.splitlines() if line.startswith("#EXT-X-MEDIA")]
    assert len(media_lines) == 3
    assert all(line in rewritten.splitlines() for line in media_lines)
    assert not re.search(r"URI=\"(/|https?:)", rewritten)


def test_the_dash_manifest_keeps_renditions_up_to_the_session_height(packaged: Path) -> None:
    stored = (packaged / "manifest.mpd").read_bytes()
    assert _heights(stored) == [240, 360, 480]
    rewritten = rewrite_dash(stored, AVC)
    assert _heights(rewritten) == [240, 360]
    root = ET.fromstring(rewritten)
    video = root.find(".//mpd:AdaptationSet[@contentType='video']", NS)
    assert video is not None
    bases = [
        r.findtext("mpd:BaseURL", namespaces=NS) for r in video.findall("mpd:Representation", NS)
    ]
    assert bases == ["v240/", "v360/"]
    audio = root.findall(".//mpd:AdaptationSet[@contentType='audio']/mpd:Representation", NS)
    assert all(r.find("mpd:BaseURL", NS) is None for r in audio)
    assert (video.get("maxHeight"), video.get("maxWidth")) == ("360", "640")
    kinds = [a.get("contentType") for a in root.findall(".//mpd:AdaptationSet", NS)]
    assert kinds == ["video", "audio", "audio", "text"]
    assert b'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"' in rewritten
    assert b"ns0:" not in rewritten


def test_a_screen_below_every_rendition_still_gets_the_lowest(packaged: Path) -> None:
    rule = StreamFilter.of(144, ["avc1"])
    assert _variants(rewrite_hls_master((packaged / "master.m3u8").read_text(), rule)) == [
        "v240/240p.m3u8"
    ]
    assert _heights(rewrite_dash((packaged / "manifest.mpd").read_bytes(), rule)) == [240]


def test_a_device_without_the_video_codec_is_refused(packaged: Path) -> None:
    rule = StreamFilter.of(1080, ["hvc1", "mp4a"])
    with pytest.raises(NoSupportedRendition):
        rewrite_hls_master((packaged / "master.m3u8").read_text(), rule)
    with pytest.raises(NoSupportedRendition):
        rewrite_dash((packaged / "manifest.mpd").read_bytes(), rule)


def test_no_codec_list_means_every_codec(packaged: Path) -> None:
    rule = StreamFilter.of(2160)
    stored = (packaged / "master.m3u8").read_text()
    # Only the lanes differ: variants and I-frame playlists each move into their height's.
    unlaned = re.sub(r'(^|URI=")v\d+/', r"\1", rewrite_hls_master(stored, rule), flags=re.M)
    assert unlaned == stored


def _video_heights(manifest: Path) -> list[int]:
    """The video streams FFmpeg finds when it opens `manifest` as a player would."""
    command = [ffmpeg_exe(), "-hide_banner", "-allowed_extensions", "ALL", "-i", str(manifest)]
    listing = subprocess.run(command, capture_output=True, text=True, timeout=60).stderr
    return sorted(int(h) for h in re.findall(r"Video: .*?, (?:\d+)x(\d+)", listing))


@pytest.mark.parametrize("stored", ["master.m3u8", "manifest.mpd"])
def test_players_open_the_rewritten_manifests(packaged: Path, stored: str, tmp_path: Path) -> None:
    source = packaged / stored
    # The files as the origin serves them: each lane is the version's own folder.
    for file in packaged.iterdir():
        (tmp_path / file.name).symlink_to(file)
    for height in (240, 360, 480):
        (tmp_path / f"v{height}").symlink_to(tmp_path)
    path = tmp_path / f"session-{stored}"
    if stored.endswith("m3u8"):
        path.write_text(rewrite_hls_master(source.read_text(), AVC))
    else:
        path.write_bytes(rewrite_dash(source.read_bytes(), AVC))
    assert _video_heights(source) == [240, 360, 480]
    assert _video_heights(path) == [240, 360]
    frames, errors = ffmpeg_client(path, "0:v:0")
    assert frames >= 90, errors  # 4 s at 25 fps, less what a stream switch may skip


HLS_EXTRAS = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://key",KEYFORMAT="com.apple.streamingkeydelivery"
#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="hvc1.1.6.L93.B0,mp4a.40.2",RESOLUTION=1280x720
hevc/720p.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720
avc/720p.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=5000000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080
avc/1080p.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001f",RESOLUTION=1280x720,URI="avc/720p-iframes.m3u8"
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=190000,CODECS="avc1.640028",RESOLUTION=1920x1080,URI="avc/1080p-iframes.m3u8"
"""


def test_hls_keeps_one_codec_drops_taller_i_frame_playlists_and_keeps_unknown_tags() -> None:
    rewritten = rewrite_hls_master(HLS_EXTRAS, StreamFilter.of(720, ["avc1", "mp4a"]))
    assert _variants(rewritten) == ["v720/avc/720p.m3u8"]
    assert 'URI="v720/avc/720p-iframes.m3u8"' in rewritten
    assert "1080p-iframes" not in rewritten
    assert "#EXT-X-SESSION-KEY:" in rewritten
    # A device that decodes both plays HEVC only: no decoder change between rungs.
    hevc = rewrite_hls_master(HLS_EXTRAS, StreamFilter.of(720, ["hvc1", "avc1"]))
    assert _variants(hevc) == ["v720/hevc/720p.m3u8"]
    assert "iframes" not in hevc  # the only I-frame playlists are H.264's


DASH_TWO_CODECS = b"""<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" type="static">
  <Period>
    <AdaptationSet id="0" mimeType="video/mp4" codecs="hvc1.1.6.L120.90" maxHeight="2160">
      <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"
        cenc:default_KID="9eb4050d-e44b-4802-932e-27d75083e266"/>
      <Representation id="h0" height="1080" width="1920" bandwidth="4000000"/>
      <Representation id="h1" height="2160" width="3840" bandwidth="12000000"/>
    </AdaptationSet>
    <AdaptationSet id="1" mimeType="video/mp4" codecs="avc1.640028" maxHeight="1080">
      <Representation id="a0" height="720" width="1280" bandwidth="3000000"/>
      <Representation id="a1" height="1080" width="1920" bandwidth="6000000"/>
    </AdaptationSet>
    <AdaptationSet id="2" mimeType="audio/mp4" codecs="ec-3" lang="en">
      <Representation id="au" bandwidth="384000"/>
    </AdaptationSet>
  </Period>
</MPD>"""


def test_dash_keeps_the_set_of_one_codec_and_its_protection() -> None:
    rewritten = rewrite_dash(DASH_TWO_CODECS, StreamFilter.of(1080, ["avc1", "mp4a"]))
    root = ET.fromstring(rewritten)
    reps = [r.get("id") for r in root.iter("{urn:mpeg:dash:schema:mpd:2011}Representation")]
    assert reps == ["a0", "a1", "au"]  # audio is never filtered by the device's codec list
    hevc = rewrite_dash(DASH_TWO_CODECS, StreamFilter.of(1080, ["hvc1", "avc1"]))
    assert b"cenc:default_KID" in hevc
    root = ET.fromstring(hevc)
    reps = [r.get("id") for r in root.iter("{urn:mpeg:dash:schema:mpd:2011}Representation")]
    assert reps == ["h0", "au"]  # HEVC alone, with the H.264 set gone
    first = root.find(".//{urn:mpeg:dash:schema:mpd:2011}AdaptationSet")
    assert first is not None
    assert first.get("maxHeight") == "1080"
    # HEVC has nothing within 720 lines, H.264 has: the session plays H.264 there.
    small = ET.fromstring(rewrite_dash(DASH_TWO_CODECS, StreamFilter.of(720, ["hvc1", "avc1"])))
    reps = [r.get("id") for r in small.iter("{urn:mpeg:dash:schema:mpd:2011}Representation")]
    assert reps == ["a0", "au"]


def _families(master: str) -> set[str]:
    return {c.split(".")[0] for c in re.findall(r'STREAM-INF:.*?CODECS="([^"]+)"', master)}


@pytest.mark.parametrize(
    ("device", "plays"),
    [
        (["av01", "hvc1", "avc1", "mp4a"], "av01"),  # Chromium, a recent TV
        (["hvc1", "avc1", "mp4a"], "hvc1"),  # Safari
        (["avc1", "mp4a"], "avc1"),  # every other screen
        ([], "avc1"),  # a device that did not say: the codec every screen decodes
    ],
)
def test_a_session_plays_the_most_efficient_codec_its_device_decodes(
    multi_codec: Path, device: list[str], plays: str
) -> None:
    rule = StreamFilter.of(1080, device)
    master = rewrite_hls_master((multi_codec / "master.m3u8").read_text(), rule)
    assert _families(master) == {plays}
    assert len(_variants(master)) == 2  # both rungs of that codec, 240p and 360p
    root = ET.fromstring(rewrite_dash((multi_codec / "manifest.mpd").read_bytes(), rule))
    video = [
        s for s in root.iterfind(".//mpd:AdaptationSet", NS) if s.get("contentType") == "video"
    ]
    assert [
        {r.get("codecs", "").split(".")[0] for r in s.iterfind("mpd:Representation", NS)}
        for s in video
    ] == [{plays}]


def test_subtitle_segments_stay_outside_the_height_lanes(packaged: Path) -> None:
    def read(relative: str) -> bytes | None:
        path = packaged / relative
        return path.read_bytes() if path.is_file() else None

    files = renditions.build(read)
    segments = sorted(p.name for p in packaged.glob("subs_en-*.vtt"))
    assert len(segments) == len(list(packaged.glob("seg-0-*.m4s"))) > 0  # one per video segment
    for name in (*segments, "subs_en.m3u8", "subs_en.vtt"):
        assert files.height_of(name) is None, name  # served to every session, in no lane
    assert all(files.height_of(p.name) is not None for p in packaged.glob("seg-0-*.m4s"))
    master = rewrite_hls_master((packaged / "master.m3u8").read_text(), AVC)
    assert 'URI="subs_en.m3u8"' in master

"""Packaging: one set of CMAF segments behind an HLS master and a DASH MPD, read back by FFmpeg."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from marquee.media.encode import Segment
from marquee.media.package import peak_bit_rate
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from tests.media.fixtures import FAST
from tests.media.sources import ffmpeg_client

NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}
# FFmpeg's HLS client probes every variant at open and its parsers log these lines for
# fMP4 variants it is not playing (H.264's two, AV1's two); its own HLS muxer's output
# triggers them too. Each media playlist on its own decodes without them.
CLIENT_PROBE_NOISE = re.compile(
    r"^\[NULL @ 0x[0-9a-f]+\] "
    r"(Invalid NAL unit size|missing picture|Invalid OBU length|Failed to parse temporal unit)"
)


def _attributes(line: str) -> dict[str, str]:
    body = line.split(":", 1)[1]
    pairs = re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', body)
    return {key: value.strip('"') for key, value in pairs}


def _master(result: PipelineResult) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    lines = result.package.master.read_text().splitlines()
    media = [_attributes(line) for line in lines if line.startswith("#EXT-X-MEDIA:")]
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            variants.append({**_attributes(line), "URI": lines[i + 1]})
    return media, variants


def _mpd(result: PipelineResult) -> ET.Element:
    return ET.parse(result.package.mpd).getroot()


def test_master_playlist_declares_every_variant(bilingual_package: PipelineResult) -> None:
    _, variants = _master(bilingual_package)
    assert [v["RESOLUTION"] for v in variants] == ["426x240", "640x360", "854x480"]
    for variant in variants:
        video, audio = variant["CODECS"].split(",")
        assert re.fullmatch(r"avc1\.64[0-9a-f]{4}", video)
        assert audio == "mp4a.40.2"
        assert variant["FRAME-RATE"] == "25.000"
        assert int(variant["BANDWIDTH"]) >= int(variant["AVERAGE-BANDWIDTH"]) > 0
        assert (variant["AUDIO"], variant["SUBTITLES"]) == ("audio", "subs")


def test_declared_bandwidth_matches_the_segments(bilingual_package: PipelineResult) -> None:
    # Apple: measured average within 10 % of AVERAGE-BANDWIDTH.
    _, variants = _master(bilingual_package)
    out = bilingual_package.package.out_dir
    audio_rate = max(
        sum(s.size for s in t.segments) * 8 / t.duration for t in bilingual_package.encoded.audio
    )
    for variant, track in zip(variants, bilingual_package.encoded.video, strict=True):
        playlist = (out / variant["URI"]).read_text()
        files = [out / name for name in re.findall(r"^(seg-.*\.m4s)$", playlist, re.MULTILINE)]
        measured = sum(f.stat().st_size for f in files) * 8 / track.duration + audio_rate
        assert int(variant["AVERAGE-BANDWIDTH"]) == pytest.approx(measured, rel=0.10)


def test_audio_and_subtitle_groups(bilingual_package: PipelineResult) -> None:
    media, _ = _master(bilingual_package)
    audio = [m for m in media if m["TYPE"] == "AUDIO"]
    subs = [m for m in media if m["TYPE"] == "SUBTITLES"]
    assert [(a["LANGUAGE"], a["NAME"], a["DEFAULT"]) for a in audio] == [
        ("en", "English", "YES"),
        ("fr", "Français", "NO"),
    ]
    assert all(a["AUTOSELECT"] == "YES" and a["GROUP-ID"] == "audio" for a in audio)
    assert [(s["LANGUAGE"], s["NAME"], s["FORCED"]) for s in subs] == [
        ("en", "English", "NO"),
        ("fr", "Français (forced)", "YES"),
        ("en", "English (SDH)", "NO"),
    ]
    assert "transcribes-spoken-dialog" in subs[2]["CHARACTERISTICS"]
    assert "CHARACTERISTICS" not in subs[0]


def test_media_playlists_are_complete_vod_playlists(bilingual_package: PipelineResult) -> None:
    out = bilingual_package.package.out_dir
    for info in bilingual_package.package.renditions:
        text = (out / info.playlist).read_text()
        target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", text).group(1))  # type: ignore[union-attr]
        durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+),", text)]
        assert all(round(d) <= target for d in durations)
        assert sum(durations) == pytest.approx(8.0, abs=0.1)
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
        assert '#EXT-X-MAP:URI="init-' in text
        assert text.rstrip().endswith("#EXT-X-ENDLIST")


def _hls_files(out: Path) -> set[str]:
    names: set[str] = set()
    for playlist in out.glob("*.m3u8"):
        text = playlist.read_text()
        names |= set(re.findall(r'URI="([^"]+\.(?:m4s))"', text))
        names |= set(re.findall(r"^([^#\s].*\.(?:m4s|vtt))$", text, re.MULTILINE))
    return names


def _dash_files(root: ET.Element) -> set[str]:
    names: set[str] = set()
    for rep in root.iterfind(".//mpd:Representation", NS):
        rep_id = rep.get("id", "")
        template = rep.find("mpd:SegmentTemplate", NS)
        if template is None:
            names.add(rep.findtext("mpd:BaseURL", "", NS))
            continue
        names.add(template.get("initialization", "").replace("$RepresentationID$", rep_id))
        count = sum(int(s.get("r", "0")) + 1 for s in template.iterfind(".//mpd:S", NS))
        for number in range(1, count + 1):
            name = template.get("media", "").replace("$RepresentationID$", rep_id)
            names.add(name.replace("$Number%05d$", f"{number:05d}"))
    return names


SUBTITLE_SEGMENT = re.compile(r"^subs_\w+-\d{5}\.vtt$")


def test_one_set_of_segments_two_manifests(bilingual_package: PipelineResult) -> None:
    out = bilingual_package.package.out_dir
    hls, dash = _hls_files(out), _dash_files(_mpd(bilingual_package))
    # The media segments are shared; subtitles are segmented for HLS, whole for DASH.
    hls_subs = {name for name in hls if SUBTITLE_SEGMENT.match(name)}
    dash_subs = {name for name in dash if name.endswith(".vtt")}
    assert hls - hls_subs == dash - dash_subs
    assert len(dash_subs) == len(bilingual_package.package.subtitles)
    assert {name.split("-")[0] + ".vtt" for name in hls_subs} == dash_subs
    on_disk = {p.name for p in out.iterdir() if p.suffix in (".m4s", ".vtt")}
    assert hls | dash == on_disk


def _extinfs(playlist: str) -> list[str]:
    return re.findall(r"^#EXTINF:([\d.]+),", playlist, re.MULTILINE)


def test_subtitles_are_segmented_on_the_video_timeline(bilingual_package: PipelineResult) -> None:
    package = bilingual_package.package
    out = package.out_dir
    video = bilingual_package.encoded.video[0]
    mpegts = round(video.segments[0].start * 90_000)  # the CMAF timeline's first frame
    video_extinfs = _extinfs((out / package.video[0].playlist).read_text())
    for sub in package.subtitles:
        playlist = (out / f"{sub.key}.m3u8").read_text()
        names = re.findall(r"^([^#\s].*)$", playlist, re.MULTILINE)
        assert len(names) == len(video.segments) > 1
        assert _extinfs(playlist) == video_extinfs
        target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", playlist).group(1))  # type: ignore[union-attr]
        assert all(round(float(d)) <= target for d in _extinfs(playlist))
        for name in names:
            header = (out / name).read_text(encoding="utf-8").split("\n\n")[0].splitlines()
            assert header == ["WEBVTT", f"X-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000"]


def test_dash_manifest_carries_languages_roles_and_codecs(
    bilingual_package: PipelineResult,
) -> None:
    root = _mpd(bilingual_package)
    sets = root.findall(".//mpd:AdaptationSet", NS)
    kinds = [(s.get("contentType"), s.get("lang")) for s in sets]
    assert kinds == [
        ("video", None), ("audio", "en"), ("audio", "fr"),
        ("text", "en"), ("text", "fr"), ("text", "en"),
    ]  # fmt: skip
    roles = [s.find("mpd:Role", NS).get("value") for s in sets[1:]]  # type: ignore[union-attr]
    assert roles == ["main", "dub", "subtitle", "forced-subtitle", "subtitle"]
    assert sets[5].find("mpd:Accessibility", NS) is not None
    _, variants = _master(bilingual_package)
    dash_codecs = [r.get("codecs") for r in sets[0].iterfind("mpd:Representation", NS)]
    # FFmpeg derives the MPD's codecs itself; Marquee reads them from the init segments.
    assert dash_codecs == [v["CODECS"].split(",")[0] for v in variants]


def _seconds(duration: str | None) -> float:
    found = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", duration or "")
    assert found, duration
    return float(found.group(1))


def test_the_mpd_states_the_media_s_own_durations(bilingual_package: PipelineResult) -> None:
    root = _mpd(bilingual_package)
    tracks = bilingual_package.encoded.tracks
    end = max(s.start + s.duration for t in tracks for s in t.segments)
    # Exact to the millisecond, never shorter than the media (a player would stop early).
    assert end <= _seconds(root.get("mediaPresentationDuration")) < end + 0.001
    longest = max(s.duration for t in tracks for s in t.segments)
    assert longest <= _seconds(root.get("maxSegmentDuration")) < longest + 0.001


def test_bitstream_switching_is_claimed_only_when_true(bilingual_package: PipelineResult) -> None:
    video = _mpd(bilingual_package).find(".//mpd:AdaptationSet[@contentType='video']", NS)
    assert video is not None
    assert len(video.findall("mpd:Representation", NS)) > 1  # each with its own SPS/PPS
    assert video.get("bitstreamSwitching") is None


def _brands(init: Path) -> list[str]:
    """The compatible brands of the `ftyp` box an init segment starts with."""
    data = init.read_bytes()
    size = int.from_bytes(data[:4], "big")
    assert data[4:8] == b"ftyp"
    return [data[at : at + 4].decode() for at in range(16, size, 4)]


def test_init_segments_carry_cmaf_brands(bilingual_package: PipelineResult) -> None:
    for track in bilingual_package.encoded.tracks:
        brands = _brands(track.init)
        assert "cmfc" in brands, track.representation_id
        # 426x240 to 854x480 in AVC High up to level 3.1 is CMAF's AVC SD profile.
        assert ("cfsd" if track.kind == "video" else "caac") in brands, track.representation_id
        assert len(brands) == len(set(brands))
        assert track.init.read_bytes()[len(brands) * 4 + 20 : len(brands) * 4 + 24] == b"moov"


def test_variants_say_they_have_no_closed_captions(bilingual_package: PipelineResult) -> None:
    _, variants = _master(bilingual_package)
    assert variants
    assert {v["CLOSED-CAPTIONS"] for v in variants} == {"NONE"}


def test_every_video_rendition_has_an_i_frame_playlist(bilingual_package: PipelineResult) -> None:
    out = bilingual_package.package.out_dir
    lines = bilingual_package.package.master.read_text().splitlines()
    iframes = [_attributes(line) for line in lines if line.startswith("#EXT-X-I-FRAME-STREAM-INF:")]
    heights = sorted(int(i["RESOLUTION"].split("x")[1]) for i in iframes)
    assert heights == sorted(v.height for v in bilingual_package.package.video)
    for attrs in iframes:
        playlist = (out / attrs["URI"]).read_text().splitlines()
        assert "#EXT-X-I-FRAMES-ONLY" in playlist
        assert not any(line.startswith("#EXT-X-KEY") for line in playlist)  # a clear title
        ranges = [
            line.split(":", 1)[1] for line in playlist if line.startswith("#EXT-X-BYTERANGE:")
        ]
        uris = [line for line in playlist if line.endswith(".m4s") and not line.startswith("#")]
        assert len(ranges) == len(uris) > 0
        for byte_range, uri in zip(ranges, uris, strict=True):
            length, offset = (int(n) for n in byte_range.split("@"))
            data = (out / uri).read_bytes()
            assert offset + length <= len(data)
            assert data[offset + 4 : offset + 8] == b"moof"  # the keyframe's own fragment
        assert int(attrs["BANDWIDTH"]) > 0


def _clean(errors: list[str]) -> list[str]:
    return [line for line in errors if not CLIENT_PROBE_NOISE.match(line)]


def test_ffmpeg_plays_every_rendition_from_both_manifests(
    bilingual_package: PipelineResult,
) -> None:
    package = bilingual_package.package
    frames = 8 * 25
    for manifest in (package.master, package.mpd):
        for index in range(len(package.video)):
            decoded, errors = ffmpeg_client(manifest, f"0:v:{index}")
            assert decoded == frames, (manifest.name, index)
            assert _clean(errors) == [], (manifest.name, index)
        for index in range(len(package.audio)):
            _, errors = ffmpeg_client(manifest, f"0:a:{index}")
            assert _clean(errors) == []


def test_peak_follows_rfc_8216_windows() -> None:
    def seg(duration: float, kbits: int) -> Segment:
        return Segment(Path("s.m4s"), 0.0, duration, kbits * 1000 // 8)

    # Target 4 s: windows of 2-6 s. One 4 s segment at 2 Mb/s beside 1 Mb/s ones.
    segments = [seg(4, 4000), seg(4, 8000), seg(4, 4000), seg(1, 4000)]
    assert peak_bit_rate(segments, 4) == pytest.approx(2_000_000)
    # A lone short final burst is only judged inside a long enough window.
    assert peak_bit_rate([seg(4, 4000), seg(1, 4000)], 4) == pytest.approx(1_600_000)


def test_a_package_written_under_a_relative_folder(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `marquee demo` encodes under the relative `var/cache`; the packager runs in the output
    # folder, where a relative path to its flag file or its inputs would not resolve.
    monkeypatch.chdir(tmp_path)
    options = PipelineOptions(encode=FAST, with_artwork=False)
    result = run_pipeline(clip, Path("var") / "out", options=options)
    assert result.package.master.is_file()
    assert result.package.master.resolve().is_relative_to(tmp_path / "var" / "out")

"""Packages encrypted with CMAF cbcs by Shaka Packager: boxes, manifests, decodable only with the key."""

from __future__ import annotations

import os
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from marquee.media import encrypt, packager
from marquee.media.encode import EncodeOptions, EncodeResult, encode
from marquee.media.encrypt import Protection
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import ffmpeg_exe
from marquee.media.ladder import build_ladder
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from marquee.media.probe import probe
from tests.media import sources as media

PROTECTION = Protection(kid=uuid.uuid4(), key=os.urandom(16))
MPD = {"mpd": encrypt.MPD, "cenc": encrypt.CENC_NS}
COMMON_SYSTEM_ID = uuid.UUID("1077efec-c0b2-4d02-ace3-3c1e52e2fb4b")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    work = tmp_path_factory.mktemp("encrypted")
    clip = media.make_clip(work / "clip.mp4", size="426x240", seconds=5)
    options = PipelineOptions(
        encode=EncodeOptions(preset="superfast", segment_seconds=2.0, protection=PROTECTION),
        with_artwork=False,
    )
    return run_pipeline(clip, work, options=options)


def encode_only(clip: Path, out_dir: Path, options: PipelineOptions) -> EncodeResult:
    """FFmpeg's clear segments, before the packager has seen them."""
    probed = probe(clip)
    return encode(
        clip,
        build_ladder(probed),
        source_fps=probed.video.frame_rate,
        duration=probed.duration,
        out_dir=out_dir,
        options=options.encode,
    )


def _track_file(result: PipelineResult, kind: str, work: Path) -> Path:
    """The init segment and every media segment of the first `kind` track, joined."""
    track = next(t for t in result.encoded.tracks if t.kind == kind)
    joined = work / f"{kind}.mp4"
    joined.write_bytes(
        track.init.read_bytes() + b"".join(s.path.read_bytes() for s in track.segments)
    )
    return joined


def _decode(path: Path, key: bytes | None) -> subprocess.CompletedProcess[str]:
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-xerror"]
    if key is not None:
        args += ["-decryption_key", key.hex()]
    args += ["-i", str(path), "-f", "null", "-"]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_init_segments_carry_the_protection_scheme_and_kid(packaged: PipelineResult) -> None:
    for track in packaged.encoded.tracks:
        init = track.init.read_bytes()
        for box in (b"sinf", b"frma", b"schm", b"schi", b"tenc", b"pssh"):
            assert box in init, (track.representation_id, box)
        assert (b"encv" if track.kind == "video" else b"enca") in init
        assert encrypt.scheme(init) == "cbcs"
        assert encrypt.default_kid(init) == PROTECTION.kid
        # The common-system PSSH (version 1) lists the KID: ClearKey CDMs read it from there.
        at = init.find(b"pssh")
        assert init[at + 4] == 1
        assert init[at + 8 : at + 24] == COMMON_SYSTEM_ID.bytes
        assert init[at + 28 : at + 44] == PROTECTION.kid.bytes


def test_every_fragment_carries_sample_encryption_info(packaged: PipelineResult) -> None:
    for track in packaged.encoded.tracks:
        for segment in track.segments:
            data = segment.path.read_bytes()
            assert b"senc" in data, segment.path.name


def test_no_key_material_is_written_into_the_package(packaged: PipelineResult) -> None:
    for path in packaged.package.out_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PROTECTION.key not in data
            assert PROTECTION.key.hex().encode() not in data


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_tracks_decode_with_the_key_and_not_without(
    packaged: PipelineResult, kind: str, tmp_path: Path
) -> None:
    joined = _track_file(packaged, kind, tmp_path)
    assert _decode(joined, PROTECTION.key).returncode == 0
    assert _decode(joined, None).returncode != 0
    assert _decode(joined, os.urandom(16)).returncode != 0


def test_the_dash_manifest_declares_cbcs_and_clearkey(packaged: PipelineResult) -> None:
    root = ET.parse(packaged.package.mpd).getroot()
    media_sets = [
        s
        for s in root.iterfind(".//mpd:AdaptationSet", MPD)
        if s.get("contentType") in ("video", "audio")
    ]
    assert media_sets
    for adaptation in media_sets:
        children = [child.tag.split("}")[1] for child in adaptation]
        protections = adaptation.findall("mpd:ContentProtection", MPD)
        assert children[: len(protections)] == ["ContentProtection"] * 2
        schemes = {p.get("schemeIdUri"): p for p in protections}
        mp4 = schemes["urn:mpeg:dash:mp4protection:2011"]
        assert mp4.get("value") == "cbcs"
        assert mp4.get(f"{{{encrypt.CENC_NS}}}default_KID") == str(PROTECTION.kid)
        clearkey = schemes["urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"]
        assert clearkey.get("value") == "ClearKey1.0"
        # No PSSH in the manifest: dash.js would send it to the licence server as key ids.
        assert adaptation.find(".//cenc:pssh", MPD) is None
    for text_set in root.iterfind(".//mpd:AdaptationSet[@contentType='text']", MPD):
        assert text_set.find("mpd:ContentProtection", MPD) is None


def test_hls_playlists_name_the_key(packaged: PipelineResult) -> None:
    out = packaged.package.out_dir
    master = (out / "master.m3u8").read_text()
    assert master.count("#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,") == 1
    assert "SAMPLE-AES-CTR" not in master
    for info in packaged.package.renditions:
        lines = (out / info.playlist).read_text().splitlines()
        key = next(i for i, line in enumerate(lines) if line.startswith("#EXT-X-KEY:"))
        assert lines[key].startswith("#EXT-X-KEY:METHOD=SAMPLE-AES,")
        assert f"KEYID=0x{PROTECTION.kid.hex}" in lines[key]
        assert 'KEYFORMAT="org.w3.clearkey"' in lines[key]
        assert lines[key + 1].startswith("#EXT-X-MAP:")


def test_i_frame_playlists_carry_the_clearkey_tag_only(packaged: PipelineResult) -> None:
    out = packaged.package.out_dir
    for track in packaged.encoded.video:
        text = (out / packager.iframe_playlist_name(track)).read_text()
        assert "#EXT-X-I-FRAMES-ONLY" in text
        assert encrypt.hls_key_tag(PROTECTION.kid) in text
        # The packager's own tag is an identity key whose data is the KID: none is left.
        assert 'KEYFORMAT="identity"' not in text


def test_a_clear_package_has_no_protection(tmp_path: Path) -> None:
    clip = media.make_clip(tmp_path / "clip.mp4", size="320x180", seconds=2)
    options = PipelineOptions(encode=EncodeOptions(preset="superfast"), with_artwork=False)
    result = run_pipeline(clip, tmp_path / "work", options=options)
    for track in result.encoded.tracks:
        assert encrypt.default_kid(track.init.read_bytes()) is None
    assert "ContentProtection" not in result.package.mpd.read_text()
    assert "KEY" not in (result.package.out_dir / "master.m3u8").read_text()


def test_a_protection_key_must_be_sixteen_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Protection(kid=uuid.uuid4(), key=b"short")
    assert PROTECTION.key.hex() not in repr(PROTECTION)


def test_the_packager_is_the_pinned_build() -> None:
    assert packager.check_packager() == packager.PACKAGER_VERSION


def test_a_packager_failure_says_why(tmp_path: Path) -> None:
    clip = media.make_clip(tmp_path / "clip.mp4", size="320x180", seconds=2)
    options = PipelineOptions(encode=EncodeOptions(preset="superfast"), with_artwork=False)
    encoded = encode_only(clip, tmp_path / "out", options)
    encoded.tracks[0].segments[0].path.write_bytes(b"not an mp4 fragment")
    with pytest.raises(TranscodeFailed, match="Shaka Packager"):
        packager.package_tracks(encoded, PROTECTION)


def test_another_packager_build_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "packager"
    other.write_text("#!/bin/sh\necho 'packager version v2.6.1-634af65-release'\n")
    other.chmod(0o755)
    monkeypatch.setattr(packager, "packager_exe", lambda: str(other))
    packager.check_packager.cache_clear()
    try:
        with pytest.raises(TranscodeFailed, match=r"v2\.6\.1 is installed"):
            packager.check_packager()
    finally:
        packager.check_packager.cache_clear()


def test_encrypted_init_segments_keep_their_cmaf_brands(packaged: PipelineResult) -> None:
    for track in packaged.encoded.tracks:
        data = track.init.read_bytes()
        size = int.from_bytes(data[:4], "big")
        brands = {data[at : at + 4] for at in range(16, size, 4)}
        assert {b"cmfc", b"cfsd" if track.kind == "video" else b"caac"} <= brands
        assert encrypt.default_kid(data) == PROTECTION.kid  # the rewrite left the moov alone

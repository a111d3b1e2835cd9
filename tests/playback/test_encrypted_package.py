"""Packages encrypted with CENC (AES-CTR): protected boxes, manifests, decodable only with the key."""

from __future__ import annotations

import os
import subprocess
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from marquee.media import encrypt
from marquee.media.encode import EncodeOptions
from marquee.media.encrypt import Protection
from marquee.media.errors import TranscodeFailed
from marquee.media.ffmpeg import ffmpeg_exe
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from tests.media import sources as media

PROTECTION = Protection(kid=uuid.uuid4(), key=os.urandom(16))
MPD = {"mpd": encrypt.MPD, "cenc": encrypt.CENC_NS}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    work = tmp_path_factory.mktemp("encrypted")
    clip = media.make_clip(work / "clip.mp4", size="426x240", seconds=5)
    options = PipelineOptions(
        encode=EncodeOptions(preset="superfast", segment_seconds=2.0, protection=PROTECTION),
        with_artwork=False,
    )
    return run_pipeline(clip, work, options=options)


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
        assert encrypt.default_kid(init) == PROTECTION.kid
        assert encrypt.pssh(PROTECTION.kid) in init
        assert [b[0] for b in encrypt.top_level_boxes(init)][:2] == [b"ftyp", b"moov"]


def test_every_fragment_carries_sample_encryption_info(packaged: PipelineResult) -> None:
    for track in packaged.encoded.tracks:
        for segment in track.segments:
            data = segment.path.read_bytes()
            assert all(box in data for box in (b"senc", b"saiz", b"saio")), segment.path.name


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


def test_the_dash_manifest_declares_cenc_and_clearkey(packaged: PipelineResult) -> None:
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
        assert children[: len(protections)] == ["ContentProtection"] * 3
        schemes = {p.get("schemeIdUri"): p for p in protections}
        mp4 = schemes["urn:mpeg:dash:mp4protection:2011"]
        assert mp4.get("value") == "cenc"
        assert mp4.get(f"{{{encrypt.CENC_NS}}}default_KID") == str(PROTECTION.kid)
        clearkey = schemes["urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"]
        assert clearkey.findtext("cenc:pssh", namespaces=MPD)
    for text_set in root.iterfind(".//mpd:AdaptationSet[@contentType='text']", MPD):
        assert text_set.find("mpd:ContentProtection", MPD) is None


def test_hls_playlists_name_the_key(packaged: PipelineResult) -> None:
    out = packaged.package.out_dir
    master = (out / "master.m3u8").read_text()
    assert master.count("#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR") == 1
    for info in packaged.package.renditions:
        lines = (out / info.playlist).read_text().splitlines()
        key = next(i for i, line in enumerate(lines) if line.startswith("#EXT-X-KEY:"))
        assert f"KEYID=0x{PROTECTION.kid.hex}" in lines[key]
        assert lines[key + 1].startswith("#EXT-X-MAP:")


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


def test_a_pssh_box_lists_the_kid_under_the_common_system() -> None:
    box = encrypt.pssh(PROTECTION.kid)
    assert len(box) == int.from_bytes(box[:4], "big") == 52
    assert box[4:8] == b"pssh"
    assert box[8] == 1  # version 1: key ids listed
    assert box[12:28] == encrypt.COMMON_SYSTEM_ID.bytes
    assert int.from_bytes(box[28:32], "big") == 1
    assert box[32:48] == PROTECTION.kid.bytes


def test_a_damaged_init_segment_is_refused(tmp_path: Path) -> None:
    no_moov = tmp_path / "no-moov.m4s"
    no_moov.write_bytes(b"\x00\x00\x00\x08ftyp")
    with pytest.raises(TranscodeFailed):
        encrypt.add_pssh(no_moov, PROTECTION)
    truncated = tmp_path / "truncated.m4s"
    truncated.write_bytes(b"\x00\x00\x00\x08ftyp\x00\x00\x01\x00moov")
    with pytest.raises(TranscodeFailed):
        encrypt.add_pssh(truncated, PROTECTION)

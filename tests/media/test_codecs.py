"""HEVC and AV1 renditions beside H.264: the ladder, the one-pass encode and the package.

The multi-codec clip goes through the real pipeline (x264, x265 and SVT-AV1 in one FFmpeg
pass, then Shaka Packager); PyAV decodes every track and reads where its keyframes fall.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import av
import pytest

from marquee.media import boxes
from marquee.media.codecs import VideoCodec, parse_codecs
from marquee.media.encode import MPD_NS, EncodeOptions
from marquee.media.errors import TranscodeFailed
from marquee.media.ladder import LadderMode, video_rungs
from marquee.media.pipeline import PipelineOptions, run_pipeline
from marquee.media.quality import TrialOptions
from tests.media import sources as media
from tests.playback.packaged import multi_codec

__all__ = ["multi_codec"]

DECODER = {"avc1": "h264", "hvc1": "hevc", "av01": "av1"}
CODEC_STRING = {
    "avc1": re.compile(r"^avc1\.[0-9a-f]{6}$"),
    "hvc1": re.compile(r"^hvc1\.[ABC]?\d+\.[0-9a-f]+\.[LH]\d+(\.[0-9a-f]{1,2})*$"),
    "av01": re.compile(r"^av01\.[0-2]\.\d{2}[MH]\.(08|10|12)$"),
}


def test_h264_is_always_encoded_and_each_codec_once() -> None:
    assert parse_codecs("") == (VideoCodec.H264,)
    assert parse_codecs("av1, hevc,av1") == (VideoCodec.H264, VideoCodec.HEVC, VideoCodec.AV1)
    assert parse_codecs(["AV1", "h264"]) == (VideoCodec.H264, VideoCodec.AV1)
    with pytest.raises(ValueError, match="vp9"):
        parse_codecs("vp9")


def test_other_codecs_share_the_sizes_at_a_share_of_the_bitrate() -> None:
    h264 = video_rungs(1920, 1080, Fraction(25))
    av1 = video_rungs(1920, 1080, Fraction(25), VideoCodec.AV1)
    hevc = video_rungs(1920, 1080, Fraction(25), VideoCodec.HEVC)
    assert [(r.width, r.height) for r in av1] == [(r.width, r.height) for r in h264]
    assert [r.name for r in av1] == [f"{r.name}-av1" for r in h264]
    assert all(r.codec is VideoCodec.AV1 for r in av1)
    for base, a, h in zip(h264, av1, hevc, strict=True):
        assert a.bitrate == pytest.approx(base.bitrate * 0.6, rel=0.01)
        assert h.bitrate == pytest.approx(base.bitrate * 0.75, rel=0.01)


def _tracks(package: Path) -> dict[str, tuple[str, str]]:
    """Representation id -> (its codecs, its init segment name), from the MPD."""
    root = ET.parse(package / "manifest.mpd").getroot()
    found = {}
    for rep in root.iterfind(".//mpd:Representation", MPD_NS):
        template = rep.find("mpd:SegmentTemplate", MPD_NS)
        assert template is not None
        found[rep.get("id", "")] = (rep.get("codecs", ""), template.get("initialization", ""))
    return found


def _keyframes(package: Path, rep_id: str) -> tuple[str, list[float], int]:
    """(decoder name, keyframe times, frames decoded) of one video track, init + segments."""
    joined = package / f"joined-{rep_id}.mp4"
    with joined.open("wb") as out:
        out.write((package / f"init-{rep_id}.m4s").read_bytes())
        for segment in sorted(package.glob(f"seg-{rep_id}-*.m4s")):
            out.write(segment.read_bytes())
    try:
        with av.open(str(joined)) as container:
            stream = container.streams.video[0]
            keys, frames = [], 0
            for frame in container.decode(stream):
                frames += 1
                if frame.key_frame:
                    keys.append(round(float(frame.time or 0.0), 3))
            return stream.codec_context.codec.canonical_name, keys, frames
    finally:
        joined.unlink()


def test_every_codec_decodes_with_keyframes_on_the_same_boundaries(multi_codec: Path) -> None:
    tracks = _tracks(multi_codec)
    video = {rid: codecs for rid, (codecs, _) in tracks.items() if not codecs.startswith("mp4a")}
    families = {codecs.split(".")[0] for codecs in video.values()}
    assert families == {"avc1", "hvc1", "av01"}
    boundaries = set()
    for rep_id, codecs in video.items():
        family = codecs.split(".")[0]
        assert CODEC_STRING[family].match(codecs), codecs
        decoder, keys, frames = _keyframes(multi_codec, rep_id)
        assert decoder == DECODER[family]
        assert frames == 150  # 6 s at 25 fps, every frame there
        boundaries.add(tuple(keys))
    # Every rendition of every codec starts a segment at 0, 2 and 4 s and nowhere else.
    assert boundaries == {(0.0, 2.0, 4.0)}


def test_the_package_declares_each_codec_in_its_own_set(multi_codec: Path) -> None:
    root = ET.parse(multi_codec / "manifest.mpd").getroot()
    video_sets = [
        s for s in root.iterfind(".//mpd:AdaptationSet", MPD_NS) if s.get("contentType") == "video"
    ]
    per_set = [
        {r.get("codecs", "").split(".")[0] for r in s.iterfind("mpd:Representation", MPD_NS)}
        for s in video_sets
    ]
    # DASH switches inside a set only: one codec per set, in the ladder's order.
    assert per_set == [{"avc1"}, {"hvc1"}, {"av01"}]
    master = (multi_codec / "master.m3u8").read_text()
    variants = re.findall(r'#EXT-X-STREAM-INF:.*CODECS="([^"]+)".*\n(\S+)', master)
    assert {(c.split(".")[0], uri) for c, uri in variants} == {
        ("avc1", "240p.m3u8"), ("avc1", "360p.m3u8"),
        ("hvc1", "240p-hevc.m3u8"), ("hvc1", "360p-hevc.m3u8"),
        ("av01", "240p-av1.m3u8"), ("av01", "360p-av1.m3u8"),
    }  # fmt: skip
    iframes = re.findall(r'#EXT-X-I-FRAME-STREAM-INF:.*URI="([^"]+)"', master)
    assert len(iframes) == 6
    assert all((multi_codec / uri).is_file() for uri in iframes)


def test_codec_strings_are_read_from_the_decoder_configuration(multi_codec: Path) -> None:
    for codecs, init in _tracks(multi_codec).values():
        data = (multi_codec / init).read_bytes()
        family = codecs.split(".")[0]
        read = {
            "avc1": boxes.avc_codec_string,
            "hvc1": boxes.hevc_codec_string,
            "av01": boxes.av1_codec_string,
            "mp4a": boxes.aac_codec_string,
        }[family]
        assert read(data) == codecs
    with pytest.raises(TranscodeFailed, match="av1C"):
        boxes.av1_codec_string(b"\x00\x00\x00\x10ftypcmfc\x00\x00\x00\x00")


def test_av1_gets_a_per_title_ladder_from_its_own_trials(tmp_path: Path) -> None:
    source = media.make_clip(tmp_path / "src.mp4", size="640x360", seconds=2, languages=())
    options = PipelineOptions(
        encode=EncodeOptions(preset="superfast", segment_seconds=2.0),
        ladder=LadderMode.PER_TITLE,
        trials=TrialOptions(windows=1),
        with_artwork=False,
        codecs=(VideoCodec.H264, VideoCodec.AV1),
    )
    result = run_pipeline(source, tmp_path / "out", options=options)
    assert [d.codec for d in result.decisions] == ["h264", "av1"]
    h264, av1 = result.decisions
    # SVT-AV1's own CRF scale, whole numbers only, tried at every size.
    assert {p.crf for p in av1.points} == {24.0, 32.0, 41.0, 50.0}
    assert {p.crf for p in h264.points} == {17.0, 22.0, 27.0, 33.0}
    av1_rungs = [r for r in result.ladder.video if r.codec is VideoCodec.AV1]
    assert [r.name for r in av1_rungs] == [f"{r.name}-av1" for r in av1.rungs]
    assert all(r.crf is not None for r in av1_rungs)
    families = {r.codecs.split(".")[0] for r in result.package.video}
    assert families == {"avc1", "av01"}
    # Each hull's top rung is capped by its own codec's table, AV1's below H.264's.
    assert av1.max_bitrate is not None
    assert h264.max_bitrate is not None
    assert av1.max_bitrate < h264.max_bitrate

"""Reads RFC 6381 codec strings out of CMAF init segments (`avcC`, `hvcC`, `av1C`, `esds`)."""

from __future__ import annotations

from marquee.media.errors import TranscodeFailed

_ES_DESCRIPTOR = 0x03
_DECODER_CONFIG = 0x04
_DECODER_SPECIFIC = 0x05


def _payload(init: bytes, box: bytes) -> bytes:
    at = init.find(box)
    if at < 4:
        raise TranscodeFailed(f"The init segment has no '{box.decode()}' box.")
    size = int.from_bytes(init[at - 4 : at], "big")
    return init[at + 4 : at - 4 + size]


def _avc_config(init: bytes) -> bytes:
    config = _payload(init, b"avcC")
    if len(config) < 4:
        raise TranscodeFailed("The 'avcC' box is too short.")
    return config


def avc_codec_string(init: bytes) -> str:
    """`avc1.PPCCLL`: profile, constraint flags and level from the AVC decoder configuration."""
    config = _avc_config(init)
    return f"avc1.{config[1]:02x}{config[2]:02x}{config[3]:02x}"


def avc_profile_level(init: bytes) -> tuple[int, int]:
    """(profile_idc, level_idc) of the AVC decoder configuration: (100, 40) is High 4.0."""
    config = _avc_config(init)
    return config[1], config[3]


def _descriptor(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, payload start, payload end) of the MPEG-4 descriptor at `at`."""
    tag = data[at]
    size = 0
    at += 1
    for _ in range(4):  # the size is up to four 7-bit groups
        byte = data[at]
        at += 1
        size = (size << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return tag, at, at + size


def _es_children_start(data: bytes, start: int) -> int:
    flags = data[start + 2]
    at = start + 3
    if flags & 0x80:  # streamDependenceFlag: dependsOn_ES_ID
        at += 2
    if flags & 0x40:  # URL_Flag: length-prefixed URL
        at += 1 + data[at]
    if flags & 0x20:  # OCRstreamFlag: OCR_ES_Id
        at += 2
    return at


def aac_codec_string(init: bytes) -> str:
    """`mp4a.40.N`: object type indication and the audio object type (2 = AAC-LC)."""
    data = _payload(init, b"esds")[4:]  # skip version and flags
    try:
        tag, start, _ = _descriptor(data, 0)
        if tag != _ES_DESCRIPTOR:
            raise TranscodeFailed("The 'esds' box does not start with an ES descriptor.")
        tag, start, _ = _descriptor(data, _es_children_start(data, start))
        if tag != _DECODER_CONFIG:
            raise TranscodeFailed("The ES descriptor has no decoder configuration.")
        object_type = data[start]
        tag, start, _ = _descriptor(data, start + 13)
        if tag != _DECODER_SPECIFIC:
            return f"mp4a.{object_type:02x}"
        audio_object_type = data[start] >> 3
        if audio_object_type == 31:  # escape: six more bits follow
            audio_object_type = 32 + (((data[start] & 0x07) << 3) | (data[start + 1] >> 5))
    except IndexError as exc:
        raise TranscodeFailed("The 'esds' box is truncated.") from exc
    return f"mp4a.{object_type:02x}.{audio_object_type}"


def hevc_codec_string(init: bytes) -> str:
    """`hvc1.P.C.TL.B…` (ISO/IEC 14496-15 Annex E) from the HEVC decoder configuration."""
    config = _payload(init, b"hvcC")
    if len(config) < 13:
        raise TranscodeFailed("The 'hvcC' box is too short.")
    space = ("", "A", "B", "C")[config[1] >> 6]
    tier = "H" if config[1] & 0x20 else "L"
    profile = config[1] & 0x1F
    compatibility = int.from_bytes(config[2:6], "big")
    reversed_flags = int(f"{compatibility:032b}"[::-1], 2)
    constraints = list(config[6:12])
    while constraints and constraints[-1] == 0:
        constraints.pop()
    parts = [f"hvc1.{space}{profile}", f"{reversed_flags:x}", f"{tier}{config[12]}"]
    parts += [f"{byte:x}" for byte in constraints]
    return ".".join(parts)


def av1_codec_string(init: bytes) -> str:
    """`av01.P.LLT.DD` (AV1 Codec ISO Media File Format Binding, Codecs Parameter String)."""
    config = _payload(init, b"av1C")
    if len(config) < 3 or not config[0] & 0x80:
        raise TranscodeFailed("The 'av1C' box is not an AV1 codec configuration.")
    profile, level = config[1] >> 5, config[1] & 0x1F
    tier = "H" if config[2] & 0x80 else "M"
    high, twelve = bool(config[2] & 0x40), bool(config[2] & 0x20)
    depth = 12 if high and twelve else 10 if high else 8
    return f"av01.{profile}.{level:02d}{tier}.{depth:02d}"

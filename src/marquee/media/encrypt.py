"""Common Encryption (CENC, AES-CTR) of packaged CMAF tracks and its signalling in manifests.

FFmpeg's MP4 muxer encrypts fragmented output itself (`encryption_scheme=cenc-aes-ctr`,
handed to each track's muxer by the DASH muxer's `format_options`): it writes
`encv`/`enca` sample entries with `sinf/frma/schm/schi/tenc` into the init segments and
`senc` + `saiz` + `saio` into every fragment, keeping NAL unit headers of H.264 in the
clear (subsample encryption) and encrypting whole AAC frames. This module adds what
FFmpeg leaves out: a PSSH box carrying the KID, so a browser's `encrypted` event has
initialisation data, and the protection descriptors of the DASH and HLS manifests.
"""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from marquee.media.errors import TranscodeFailed

SCHEME = "cenc"
# The W3C "common" PSSH system: the one browsers' ClearKey CDMs read key ids from.
COMMON_SYSTEM_ID = uuid.UUID("1077efec-c0b2-4d02-ace3-3c1e52e2fb4b")
# DASH-IF's identifier for W3C ClearKey in manifests.
CLEARKEY_SYSTEM_ID = uuid.UUID("e2719d58-a985-b3c9-781a-b030af78d30e")
MP4_PROTECTION_SCHEME = "urn:mpeg:dash:mp4protection:2011"
MPD = "urn:mpeg:dash:schema:mpd:2011"
CENC_NS = "urn:mpeg:cenc:2013"
ET.register_namespace("cenc", CENC_NS)


@dataclass(frozen=True)
class Protection:
    """The key a package is encrypted with; never printed, never written next to the media."""

    kid: uuid.UUID
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 16:
            raise ValueError("A CENC content key is 16 bytes.")


def ffmpeg_args(protection: Protection) -> list[str]:
    """DASH muxer arguments that make every track's MP4 muxer encrypt with CENC AES-CTR."""
    options = ":".join(
        [
            "encryption_scheme=cenc-aes-ctr",
            f"encryption_key={protection.key.hex()}",
            f"encryption_kid={protection.kid.hex}",
        ]
    )
    return ["-format_options", options]


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def pssh(kid: uuid.UUID, system_id: uuid.UUID = COMMON_SYSTEM_ID) -> bytes:
    """A version 1 `pssh` box listing `kid` and carrying no system-specific data."""
    payload = b"\x01\x00\x00\x00" + system_id.bytes + (1).to_bytes(4, "big") + kid.bytes
    return _box(b"pssh", payload + (0).to_bytes(4, "big"))


def top_level_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start, end) of each top-level box of an MP4 file."""
    boxes, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        elif size == 0:
            size = len(data) - at
        if size < 8 or at + size > len(data):
            raise TranscodeFailed(f"A box in the segment is damaged at byte {at}.")
        boxes.append((kind, at, at + size))
        at += size
    return boxes


def add_pssh(init: Path, protection: Protection) -> None:
    """Append a PSSH box to the init segment's `moov` (fragmented: no sample offsets move)."""
    data = init.read_bytes()
    moov = next((b for b in top_level_boxes(data) if b[0] == b"moov"), None)
    if moov is None or int.from_bytes(data[moov[1] : moov[1] + 4], "big") == 1:
        raise TranscodeFailed(f"{init.name} has no ordinary 'moov' box.")
    _, start, end = moov
    extra = pssh(protection.kid)
    size = (end - start + len(extra)).to_bytes(4, "big")
    init.write_bytes(data[:start] + size + data[start + 4 : end] + extra + data[end:])


def default_kid(init: bytes) -> uuid.UUID | None:
    """The KID in an init segment's `tenc` box, or None if the track is in the clear."""
    at = init.find(b"tenc")
    if at < 4:
        return None
    # version+flags (4), reserved (1), pattern or reserved (1), isProtected (1), IV size (1).
    kid = init[at + 4 + 8 : at + 4 + 24]
    return uuid.UUID(bytes=kid) if len(kid) == 16 else None


# -- manifests -------------------------------------------------------------------------------


def _content_protection(attrs: dict[str, str], pssh_box: bytes | None = None) -> ET.Element:
    element = ET.Element(f"{{{MPD}}}ContentProtection", attrs)
    if pssh_box is not None:
        ET.SubElement(element, f"{{{CENC_NS}}}pssh").text = base64.b64encode(pssh_box).decode()
    return element


def mpd_descriptors(kid: uuid.UUID) -> list[ET.Element]:
    """mp4protection (scheme and default KID), then ClearKey and the W3C common system."""
    # Both systems take the common PSSH: it is what ClearKey CDMs read key ids from.
    common = pssh(kid)
    return [
        _content_protection(
            {
                "schemeIdUri": MP4_PROTECTION_SCHEME,
                "value": SCHEME,
                f"{{{CENC_NS}}}default_KID": str(kid),
            }
        ),
        _content_protection(
            {"schemeIdUri": f"urn:uuid:{CLEARKEY_SYSTEM_ID}", "value": "ClearKey1.0"}, common
        ),
        _content_protection({"schemeIdUri": f"urn:uuid:{COMMON_SYSTEM_ID}"}, common),
    ]


def protect_mpd(root: ET.Element, kid: uuid.UUID) -> int:
    """Put the descriptors first in every audio and video adaptation set; returns how many."""
    count = 0
    for adaptation in root.iter(f"{{{MPD}}}AdaptationSet"):
        if adaptation.get("contentType") not in ("video", "audio"):
            continue
        # Schema order: ContentProtection precedes Role, Label and the representations.
        for offset, descriptor in enumerate(mpd_descriptors(kid)):
            adaptation.insert(offset, descriptor)
        count += 1
    return count


def hls_key_attributes(kid: uuid.UUID) -> str:
    """SAMPLE-AES-CTR (CENC) with the ClearKey system's key format and the PSSH as a data URI."""
    data = base64.b64encode(pssh(kid)).decode()
    return ",".join(
        [
            "METHOD=SAMPLE-AES-CTR",
            f'URI="data:text/plain;base64,{data}"',
            f"KEYID=0x{kid.hex}",
            f'KEYFORMAT="urn:uuid:{CLEARKEY_SYSTEM_ID}"',
            'KEYFORMATVERSIONS="1"',
        ]
    )


def hls_key_tag(kid: uuid.UUID) -> str:
    return f"#EXT-X-KEY:{hls_key_attributes(kid)}"


def hls_session_key_tag(kid: uuid.UUID) -> str:
    return f"#EXT-X-SESSION-KEY:{hls_key_attributes(kid)}"

"""CMAF `cbcs` protection: the content key a package is encrypted with, and its signalling.

Shaka Packager encrypts (see packager.py); this module says so in the manifests, the
way each player reads it:

- DASH, per DASH-IF IOP: an `mp4protection` descriptor (`cbcs`, `cenc:default_KID`) and a
  W3C ClearKey descriptor. No `cenc:pssh` in the MPD: players take the init segment's
  common-system PSSH from the browser's `encrypted` event, and dash.js would otherwise
  send a PSSH as key ids.
- HLS: `METHOD=SAMPLE-AES` (RFC 8216 4.3.2.4, the HLS name of `cbcs`) with
  `KEYFORMAT="org.w3.clearkey"` and the KID as the URI's data, as hls.js reads it.
  Shaka Player reads ClearKey from HLS only as an `identity` key fetched raw from a URI,
  which would publish the key; a Shaka + HLS page gets it from the licence endpoint.

Commercial systems add their own descriptors and key tags through a `DrmProvider`
(playback/drm.py); the media needs no change, because every system decrypts `cbcs`.
"""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

SCHEME = "cbcs"
HLS_METHOD = "SAMPLE-AES"
# DASH-IF's identifier for W3C ClearKey in manifests.
CLEARKEY_SYSTEM_ID = uuid.UUID("e2719d58-a985-b3c9-781a-b030af78d30e")
CLEARKEY_KEYFORMAT = "org.w3.clearkey"
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
            raise ValueError("A content key is 16 bytes.")


def default_kid(init: bytes) -> uuid.UUID | None:
    """The KID in an init segment's `tenc` box, or None if the track is in the clear."""
    at = init.find(b"tenc")
    if at < 4:
        return None
    # version+flags (4), reserved (1), pattern or reserved (1), isProtected (1), IV size (1).
    kid = init[at + 4 + 8 : at + 4 + 24]
    return uuid.UUID(bytes=kid) if len(kid) == 16 else None


def scheme(init: bytes) -> str | None:
    """The protection scheme an init segment's `schm` box names (`cbcs`, `cenc`), if any."""
    at = init.find(b"schm")
    if at < 4:
        return None
    return init[at + 8 : at + 12].decode("ascii", errors="replace")


# -- manifests -------------------------------------------------------------------------------


def mpd_descriptors(kid: uuid.UUID) -> list[ET.Element]:
    """mp4protection (the scheme and default KID), then W3C ClearKey."""
    return [
        ET.Element(
            f"{{{MPD}}}ContentProtection",
            {
                "schemeIdUri": MP4_PROTECTION_SCHEME,
                "value": SCHEME,
                f"{{{CENC_NS}}}default_KID": str(kid),
            },
        ),
        ET.Element(
            f"{{{MPD}}}ContentProtection",
            {"schemeIdUri": f"urn:uuid:{CLEARKEY_SYSTEM_ID}", "value": "ClearKey1.0"},
        ),
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
    """SAMPLE-AES (cbcs) for the ClearKey key format; the URI's data is the KID, not the key."""
    data = base64.b64encode(kid.bytes).decode()
    return ",".join(
        [
            f"METHOD={HLS_METHOD}",
            f'URI="data:text/plain;base64,{data}"',
            f"KEYID=0x{kid.hex}",
            f'KEYFORMAT="{CLEARKEY_KEYFORMAT}"',
            'KEYFORMATVERSIONS="1"',
        ]
    )


def hls_key_tag(kid: uuid.UUID) -> str:
    return f"#EXT-X-KEY:{hls_key_attributes(kid)}"


def hls_session_key_tag(kid: uuid.UUID) -> str:
    return f"#EXT-X-SESSION-KEY:{hls_key_attributes(kid)}"

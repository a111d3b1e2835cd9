"""DRM systems behind one protocol: the licence a key server answers and how manifests name it.

Every package is CMAF `cbcs` with one key per title (media/encrypt.py), so a DRM system
adds no media work: it is a licence format, the descriptors and key tags the manifests
carry for it, and the key system the player asks its browser for. W3C ClearKey is built
in and answers the licence endpoint. FairPlay, Widevine and PlayReady plug in here; what
each adapter fills in is in docs/drm.md.
"""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from marquee.media import encrypt
from marquee.versions.content_keys import TitleKey

CLEARKEY_SYSTEM = "org.w3.clearkey"


@dataclass(frozen=True)
class LicenceAnswer:
    """What the licence endpoint sends back: the system's own bytes and their media type."""

    body: bytes
    media_type: str


@runtime_checkable
class DrmProvider(Protocol):
    """One DRM system. The licence endpoint has already checked the session, the account's
    entitlement and the key ids before it asks for a licence; a provider only formats.

    Adapter points for a commercial system:
    - `licence`: wrap the keys for the CDM, or forward the CDM's challenge (`request`) to the
      studio's licence service with its credentials and return that service's answer;
    - `dash_descriptors`: the system's `ContentProtection`, with its PSSH when it needs one;
    - `hls_key_tags`: its `EXT-X-KEY` (FairPlay: `skd://` with
      `KEYFORMAT="com.apple.streamingkeydelivery"`).
    """

    @property
    def key_system(self) -> str:
        """The EME key system name the player asks the browser for."""
        ...

    def licence(self, *, keys: Sequence[TitleKey], request: bytes) -> LicenceAnswer: ...

    def dash_descriptors(self, kid: uuid.UUID) -> list[ET.Element]: ...

    def hls_key_tags(self, kid: uuid.UUID) -> list[str]: ...


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ClearKey:
    """W3C ClearKey (EME section 9.1): the keys themselves, as a JSON Web Key Set.

    ClearKey protects the media at rest and on the wire, and releases keys only to live,
    entitled sessions; it does not hide the key from the browser that plays it, which is
    what a commercial CDM adds.
    """

    key_system = CLEARKEY_SYSTEM

    def jwks(self, keys: Sequence[TitleKey]) -> dict[str, Any]:
        """Symmetric ("oct") keys, key and key id base64url without padding."""
        return {
            "keys": [{"kty": "oct", "k": b64url(k.key), "kid": b64url(k.kid.bytes)} for k in keys],
            "type": "temporary",
        }

    def licence(self, *, keys: Sequence[TitleKey], request: bytes = b"") -> LicenceAnswer:
        return LicenceAnswer(json.dumps(self.jwks(keys)).encode(), "application/json")

    def dash_descriptors(self, kid: uuid.UUID) -> list[ET.Element]:
        return encrypt.mpd_descriptors(kid)[1:]  # the first is the scheme's, shared by all

    def hls_key_tags(self, kid: uuid.UUID) -> list[str]:
        return [f"#EXT-X-KEY:{encrypt.hls_key_attributes(kid)}"]


def drm_provider() -> DrmProvider:
    """The one DRM system this installation licenses; a studio's adapter is chosen here."""
    return ClearKey()

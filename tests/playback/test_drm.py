"""The DRM provider protocol and its ClearKey implementation, against a real cbcs package."""

from __future__ import annotations

import base64
import json
import os
import uuid
import xml.etree.ElementTree as ET

from marquee.media import encrypt
from marquee.playback import licenses
from marquee.playback.drm import ClearKey, DrmProvider, drm_provider
from marquee.versions.content_keys import TitleKey

KEY = TitleKey(title_id=uuid.uuid4(), kid=uuid.uuid4(), key=os.urandom(16))


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_installed_provider_is_clearkey_and_meets_the_protocol() -> None:
    provider = drm_provider()
    assert isinstance(provider, DrmProvider)
    assert provider.key_system == "org.w3.clearkey"


def test_a_clearkey_licence_is_a_jwk_set_that_holds_the_key() -> None:
    answer = ClearKey().licence(keys=[KEY], request=b'{"kids": []}')
    assert answer.media_type == "application/json"
    body = json.loads(answer.body)
    assert body["type"] == "temporary"
    [jwk] = body["keys"]
    assert jwk["kty"] == "oct"
    assert _unb64url(jwk["k"]) == KEY.key
    assert _unb64url(jwk["kid"]) == KEY.kid.bytes
    assert "=" not in jwk["k"] + jwk["kid"]  # EME wants base64url without padding
    # The licence endpoint's answer is the provider's.
    assert licenses.license_response([KEY]) == body


def test_clearkey_signalling_is_what_the_package_carries() -> None:
    [descriptor] = ClearKey().dash_descriptors(KEY.kid)
    assert descriptor.get("schemeIdUri") == f"urn:uuid:{encrypt.CLEARKEY_SYSTEM_ID}"
    assert descriptor.get("value") == "ClearKey1.0"
    packaged = [ET.tostring(d) for d in encrypt.mpd_descriptors(KEY.kid)]
    assert ET.tostring(descriptor) in packaged
    [tag] = ClearKey().hls_key_tags(KEY.kid)
    assert tag.startswith("#EXT-X-KEY:METHOD=SAMPLE-AES,")
    assert 'KEYFORMAT="org.w3.clearkey"' in tag
    assert f"KEYID=0x{KEY.kid.hex}" in tag
    assert KEY.key.hex() not in tag.lower()
    assert base64.b64encode(KEY.key).decode() not in tag

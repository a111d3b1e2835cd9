"""Licence tokens bound to one session, and the ClearKey licence that carries a key."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from marquee.config import Settings
from marquee.playback import licenses
from marquee.playback.errors import LicenseDenied
from marquee.playback.models import PlaybackSession
from marquee.versions.content_keys import TitleKey

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

SETTINGS = Settings(env="test")


def test_a_licence_token_verifies_for_its_session_only() -> None:
    session_id = uuid.uuid4()
    token = licenses.license_token(
        SETTINGS, session_id=session_id, expires_at=NOW + timedelta(hours=1)
    )
    licenses.verify_license_token(SETTINGS, session_id=session_id, token=token, now=NOW)
    with pytest.raises(LicenseDenied):
        licenses.verify_license_token(SETTINGS, session_id=uuid.uuid4(), token=token, now=NOW)


def test_an_expired_licence_token_is_refused() -> None:
    session_id = uuid.uuid4()
    token = licenses.license_token(SETTINGS, session_id=session_id, expires_at=NOW)
    with pytest.raises(LicenseDenied, match="expired"):
        licenses.verify_license_token(SETTINGS, session_id=session_id, token=token, now=NOW)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: str(int(t.split(".")[0]) + 3600) + "." + t.split(".")[1],
        lambda t: "",
        lambda t: "12345",
        lambda t: "x." + t.split(".")[1],
        lambda t: "9" * 40 + "." + t.split(".")[1],
    ],
)
def test_a_tampered_licence_token_is_refused(mangle: object) -> None:
    session_id = uuid.uuid4()
    token = licenses.license_token(
        SETTINGS, session_id=session_id, expires_at=NOW + timedelta(hours=1)
    )
    assert callable(mangle)
    with pytest.raises(LicenseDenied):
        licenses.verify_license_token(SETTINGS, session_id=session_id, token=mangle(token), now=NOW)


def test_the_licence_url_carries_a_token_for_the_session() -> None:
    session = PlaybackSession(
        id=uuid.uuid4(), created_at=NOW, expires_at=NOW + timedelta(minutes=1)
    )
    url = licenses.license_url(SETTINGS, session)
    path, _, query = url.partition("?token=")
    assert path == f"/api/v1/playback/sessions/{session.id}/license"
    licenses.verify_license_token(SETTINGS, session_id=session.id, token=query, now=NOW)


def test_the_licence_is_a_clearkey_json_web_key_set() -> None:
    title_key = TitleKey(uuid.uuid4(), uuid.uuid4(), os.urandom(16))
    body = licenses.license_response([title_key])
    assert body["type"] == "temporary"
    (jwk,) = body["keys"]
    assert jwk["kty"] == "oct"
    assert "=" not in jwk["k"] + jwk["kid"]
    assert licenses.from_b64url(jwk["k"]) == title_key.key
    assert licenses.from_b64url(jwk["kid"]) == title_key.kid.bytes

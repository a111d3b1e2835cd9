"""Media link signatures: nginx-compatible, bound to session and version, expiring."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from marquee.delivery import signing
from marquee.delivery.errors import LinkExpired, LinkInvalid
from marquee.delivery.signing import MediaLink

SECRET = "edge-secret"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _link() -> MediaLink:
    return signing.sign(
        SECRET,
        session_id=uuid.uuid4(),
        version_id=uuid.uuid4(),
        heights=(720, 240, 360),
        expires_at=NOW + timedelta(hours=1),
    )


def test_signature_is_the_one_nginx_secure_link_md5_computes() -> None:
    link = _link()
    raw = f"{link.expires}:{link.session_id}:240-360-720:{link.version_id} {SECRET}".encode()
    expected = base64.urlsafe_b64encode(hashlib.md5(raw).digest()).decode().rstrip("=")
    assert link.signature == expected
    assert link.prefix == (
        f"/media/{link.session_id}/{link.expires}/{link.signature}/240-360-720/{link.version_id}/"
    )
    assert link.token == f"{link.expires}/{link.signature}/240-360-720"


def test_a_fresh_link_verifies() -> None:
    signing.verify(SECRET, _link(), now=NOW)


@pytest.mark.parametrize(
    "field", ["session_id", "version_id", "expires", "signature", "secret", "heights"]
)
def test_any_change_breaks_the_signature(field: str) -> None:
    link = _link()
    secret = SECRET
    if field == "secret":
        secret = "other-secret"
    elif field == "expires":
        link = replace(link, expires=link.expires + 3600)
    elif field == "signature":
        link = replace(
            link, signature=("A" if link.signature[0] != "A" else "B") + link.signature[1:]
        )
    elif field == "session_id":
        link = replace(link, session_id=uuid.uuid4())
    elif field == "heights":
        link = replace(link, heights=(*link.heights, 1080))
    else:
        link = replace(link, version_id=uuid.uuid4())
    with pytest.raises(LinkInvalid):
        signing.verify(secret, link, now=NOW)


def test_a_scope_has_one_spelling() -> None:
    assert signing.parse_scope("240-360-720") == (240, 360, 720)
    assert signing.scope_of(()) == "0"
    for text in ("720-360", "0720", "360-360", "360-", "", "a", "-".join(["1"] * 33)):
        with pytest.raises(LinkInvalid):
            signing.parse_scope(text)


def test_an_expired_link_is_refused() -> None:
    link = _link()
    with pytest.raises(LinkExpired):
        signing.verify(SECRET, link, now=NOW + timedelta(hours=1))

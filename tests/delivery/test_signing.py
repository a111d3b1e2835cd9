"""Media link signatures: nginx-compatible, bound to session and version, expiring."""

from __future__ import annotations

import base64
import hashlib
import uuid
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
        expires_at=NOW + timedelta(hours=1),
    )


def test_signature_is_the_one_nginx_secure_link_md5_computes() -> None:
    link = _link()
    raw = f"{link.expires}{link.session_id}{link.version_id} {SECRET}".encode()
    expected = base64.urlsafe_b64encode(hashlib.md5(raw).digest()).decode().rstrip("=")
    assert link.signature == expected
    assert link.prefix == (
        f"/media/{link.session_id}/{link.expires}/{link.signature}/{link.version_id}/"
    )


def test_a_fresh_link_verifies() -> None:
    signing.verify(SECRET, _link(), now=NOW)


@pytest.mark.parametrize("field", ["session_id", "version_id", "expires", "signature", "secret"])
def test_any_change_breaks_the_signature(field: str) -> None:
    link = _link()
    secret = SECRET
    if field == "secret":
        secret = "other-secret"
    elif field == "expires":
        link = MediaLink(link.session_id, link.version_id, link.expires + 3600, link.signature)
    elif field == "signature":
        flipped = ("A" if link.signature[0] != "A" else "B") + link.signature[1:]
        link = MediaLink(link.session_id, link.version_id, link.expires, flipped)
    elif field == "session_id":
        link = MediaLink(uuid.uuid4(), link.version_id, link.expires, link.signature)
    else:
        link = MediaLink(link.session_id, uuid.uuid4(), link.expires, link.signature)
    with pytest.raises(LinkInvalid):
        signing.verify(secret, link, now=NOW)


def test_an_expired_link_is_refused() -> None:
    link = _link()
    with pytest.raises(LinkExpired):
        signing.verify(SECRET, link, now=NOW + timedelta(hours=1))

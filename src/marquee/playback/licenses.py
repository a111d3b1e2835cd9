"""Licences: which content key a playback session may be given, and the ClearKey answer.

Keys leave the server only inside a licence answered to a live session of an entitled
account, for the key its version was encrypted with. The licence URL carries a token
bound to the session; that token is the only credential the player's EME request has.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from marquee.config import Settings
from marquee.db import utcnow
from marquee.playback import entitlement
from marquee.playback.errors import LicenseDenied
from marquee.playback.models import PlaybackSession
from marquee.versions import content_keys
from marquee.versions.content_keys import TitleKey

LICENSE_PATH = "/api/v1/playback/sessions/{session_id}/license"
CLEARKEY_SYSTEM = "org.w3.clearkey"


def key_for_playback(
    *, session: Session, settings: Settings, playback: PlaybackSession
) -> TitleKey | None:
    """The key the session's version was encrypted with, else its title's (see content_keys)."""
    return content_keys.key_for_version(
        session=session,
        settings=settings,
        version_id=playback.version_id,
        title_id=playback.title_id,
    )


# -- licence tokens: the credential the licence URL carries, bound to one session ----------


def _token_mac(settings: Settings, session_id: uuid.UUID, expires: int) -> str:
    secret = settings.secret_key.get_secret_value().encode()
    message = f"license:{session_id}:{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def license_token(settings: Settings, *, session_id: uuid.UUID, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    return f"{expires}.{_token_mac(settings, session_id, expires)}"


def verify_license_token(
    settings: Settings, *, session_id: uuid.UUID, token: str, now: datetime | None = None
) -> None:
    """Raise `LicenseDenied` unless `token` was issued for `session_id` and is unexpired."""
    expires_text, _, mac = token.partition(".")
    if not expires_text.isdigit() or len(expires_text) > 12 or not mac:
        raise LicenseDenied("This licence link is not valid.")
    expires = int(expires_text)
    if not hmac.compare_digest(_token_mac(settings, session_id, expires), mac):
        raise LicenseDenied("This licence link is not valid.")
    if expires <= (now or utcnow()).timestamp():
        raise LicenseDenied("This licence link has expired; start playback again.")


def license_url(
    settings: Settings, playback_session: PlaybackSession, *, now: datetime | None = None
) -> str:
    """Where the player's EME licence request goes; the token in it is the only credential.

    The token lives `playback_license_ttl_seconds` from `now` (the session's start when not
    given); each heartbeat hands out a fresh one, so a session licenses past any fixed age.
    """
    life = timedelta(seconds=settings.playback_license_ttl_seconds)
    token = license_token(
        settings,
        session_id=playback_session.id,
        expires_at=(now or playback_session.created_at) + life,
    )
    path = LICENSE_PATH.format(session_id=playback_session.id)
    return f"{path}?token={token}"


# -- W3C ClearKey (EME spec section 9.1) ---------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def license_response(keys: Iterable[TitleKey]) -> dict[str, Any]:
    """The ClearKey licence: a JSON Web Key Set of symmetric ("oct") keys, base64url unpadded."""
    return {
        "keys": [{"kty": "oct", "k": b64url(k.key), "kid": b64url(k.kid.bytes)} for k in keys],
        "type": "temporary",
    }


def _live_playback(
    session: Session, settings: Settings, session_id: uuid.UUID, now: datetime
) -> PlaybackSession:
    """The session if it is live and still entitled (region, publication, plan) right now."""
    playback = session.get(PlaybackSession, session_id)
    idle = timedelta(seconds=settings.playback_idle_seconds)
    if playback is None or playback.stopped_at is not None or playback.last_seen_at + idle <= now:
        raise LicenseDenied("Keys are released only to a live playback session.")
    entitlement.recheck(session=session, playback=playback, now=now)
    return playback


def release_keys(
    *,
    session: Session,
    settings: Settings,
    session_id: uuid.UUID,
    token: str,
    kids: Iterable[bytes],
    now: datetime | None = None,
) -> list[TitleKey]:
    """The keys a licence may carry: its version's, to a live session of an entitled account.

    Every refusal is the same `license_denied`. The token is checked first, so only the
    holder of the session's own token reads which later check failed; a stranger learns
    nothing about sessions or key ids.
    """
    now = now or utcnow()
    verify_license_token(settings, session_id=session_id, token=token, now=now)
    playback = _live_playback(session, settings, session_id, now)
    title_key = key_for_playback(session=session, settings=settings, playback=playback)
    wanted = set(kids)
    if title_key is None or not wanted or wanted != {title_key.kid.bytes}:
        raise LicenseDenied("This session has no key with the requested key id.")
    return [title_key]

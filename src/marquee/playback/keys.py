"""Per-title content keys under envelope encryption, licence tokens and ClearKey licences.

Each encrypted title has one 16-byte AES key and a random KID. The key is stored only
wrapped: AES-256-GCM under the operator's master key (`MARQUEE_MASTER_KEY`), with the
title id as associated data, so a wrapped key copied onto another title's row does not
unwrap. Keys leave the server only inside a licence answered to a live, entitled session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marquee.accounts.billing import entitlements
from marquee.accounts.models import User
from marquee.config import Settings
from marquee.db import utcnow
from marquee.playback.errors import KeyUnavailable, LicenseDenied
from marquee.playback.models import ContentKey, PlaybackSession
from marquee.versions.models import MediaVersion

KEY_BYTES = 16
NONCE_BYTES = 12
# The first byte of a wrapped key names its format, so the scheme can change without guessing.
WRAP_FORMAT = b"\x01"
LICENSE_PATH = "/api/v1/playback/sessions/{session_id}/license"
CLEARKEY_SYSTEM = "org.w3.clearkey"


@dataclass(frozen=True)
class TitleKey:
    """A title's content key in the clear; lives in memory only, never in a log line."""

    title_id: uuid.UUID
    kid: uuid.UUID
    key: bytes = field(repr=False)


def master_key(settings: Settings) -> bytes:
    try:
        raw = base64.b64decode(settings.master_key.get_secret_value(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyUnavailable("MARQUEE_MASTER_KEY is not valid base64.") from exc
    if len(raw) != 32:
        raise KeyUnavailable("MARQUEE_MASTER_KEY must decode to 32 bytes.")
    return raw


def wrap(master: bytes, *, title_id: uuid.UUID, key: bytes) -> bytes:
    """format byte + nonce + AES-GCM(key) with the title id bound as associated data."""
    nonce = os.urandom(NONCE_BYTES)
    return WRAP_FORMAT + nonce + AESGCM(master).encrypt(nonce, key, title_id.bytes)


def unwrap(master: bytes, *, title_id: uuid.UUID, wrapped: bytes) -> bytes:
    if not wrapped.startswith(WRAP_FORMAT) or len(wrapped) < 1 + NONCE_BYTES + 16:
        raise KeyUnavailable(f"The stored key of title {title_id} has an unknown format.")
    nonce, sealed = wrapped[1 : 1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES :]
    try:
        return AESGCM(master).decrypt(nonce, sealed, title_id.bytes)
    except InvalidTag as exc:
        raise KeyUnavailable(f"The stored key of title {title_id} does not unwrap.") from exc


def _load(session: Session, title_id: uuid.UUID) -> ContentKey | None:
    return session.scalars(select(ContentKey).where(ContentKey.title_id == title_id)).first()


def _create(session: Session, master: bytes, title_id: uuid.UUID) -> ContentKey:
    key = os.urandom(KEY_BYTES)
    row = ContentKey(
        title_id=title_id, key_id=uuid.uuid4(), wrapped_key=wrap(master, title_id=title_id, key=key)
    )
    # Two ingest jobs (two episodes of one series) may create the title's key at once:
    # the loser's insert fails on the primary key and it takes the winner's key.
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = _load(session, title_id)
        if existing is None:
            raise
        return existing
    return row


def _title_key(master: bytes, row: ContentKey) -> TitleKey:
    key = unwrap(master, title_id=row.title_id, wrapped=row.wrapped_key)
    return TitleKey(title_id=row.title_id, kid=row.key_id, key=key)


def key_for_title(
    *, session: Session, settings: Settings, title_id: uuid.UUID, create: bool = True
) -> TitleKey | None:
    """The title's key, made on first use when `create`; None if it has none and not `create`."""
    master = master_key(settings)
    row = _load(session, title_id)
    if row is None:
        if not create:
            return None
        row = _create(session, master, title_id)
    return _title_key(master, row)


def version_kid(version: MediaVersion) -> uuid.UUID | None:
    """The key id a version's tracks were encrypted with; None for a clear version."""
    for track in (*version.renditions, *version.audio_tracks):
        if track.get("kid"):
            return uuid.UUID(str(track["kid"]))
    return None


def key_for_playback(
    *, session: Session, settings: Settings, playback: PlaybackSession
) -> TitleKey | None:
    """The key the session's version was encrypted with (a version shared between titles
    keeps its first title's key); the title's key for a version that records none."""
    version = session.get(MediaVersion, playback.version_id)
    kid = version_kid(version) if version is not None else None
    if kid is None:
        return key_for_title(
            session=session, settings=settings, title_id=playback.title_id, create=False
        )
    row = session.scalars(select(ContentKey).where(ContentKey.key_id == kid)).first()
    return _title_key(master_key(settings), row) if row is not None else None


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


def license_url(settings: Settings, playback_session: PlaybackSession) -> str:
    """Where the player's EME licence request goes; the token in it is the only credential."""
    token = license_token(
        settings, session_id=playback_session.id, expires_at=playback_session.expires_at
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
    """The session if it is not stopped, not idle past the limit and not expired."""
    playback = session.get(PlaybackSession, session_id)
    idle = timedelta(seconds=settings.playback_idle_seconds)
    if (
        playback is None
        or playback.stopped_at is not None
        or playback.last_seen_at + idle <= now
        or playback.expires_at <= now
    ):
        raise LicenseDenied("Keys are released only to a live playback session.")
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
    user = session.get(User, playback.user_id)
    if user is None or not entitlements(user=user, now=now).active:
        raise LicenseDenied("Keys are released only to an active subscription.")
    title_key = key_for_playback(session=session, settings=settings, playback=playback)
    wanted = set(kids)
    if title_key is None or not wanted or wanted != {title_key.kid.bytes}:
        raise LicenseDenied("This session has no key with the requested key id.")
    return [title_key]

"""Per-title content keys under envelope encryption: made, wrapped, stored and unwrapped.

Each encrypted title has one 16-byte AES key and a random KID. The key is stored only
wrapped: AES-256-GCM under the operator's master key (`MARQUEE_MASTER_KEY`), with the
title id as associated data, so a wrapped key copied onto another title's row does not
unwrap. Ingest asks for a title's key to encrypt its media; playback asks for the key a
version was encrypted with, and decides itself whether a session may have it.
"""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marquee.config import Settings
from marquee.versions.errors import KeyUnavailable
from marquee.versions.models import ContentKey, MediaVersion

KEY_BYTES = 16
NONCE_BYTES = 12
# The first byte of a wrapped key names its format, so the scheme can change without guessing.
WRAP_FORMAT = b"\x01"


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


def has_key(*, session: Session, title_id: uuid.UUID) -> bool:
    """Whether the title has a content key, without unwrapping it."""
    return _load(session, title_id) is not None


def key_for_version(
    *, session: Session, settings: Settings, version_id: uuid.UUID, title_id: uuid.UUID
) -> TitleKey | None:
    """The key the version was encrypted with (a version shared between titles keeps its
    first title's key); `title_id`'s own key for a version that records none."""
    version = session.get(MediaVersion, version_id)
    kid = version.kid if version is not None else None
    if kid is None:
        return key_for_title(session=session, settings=settings, title_id=title_id, create=False)
    row = session.scalars(select(ContentKey).where(ContentKey.key_id == kid)).first()
    return _title_key(master_key(settings), row) if row is not None else None

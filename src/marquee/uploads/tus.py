"""The tus 1.0 protocol's wire details: versions, headers, metadata, checksums and its errors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from marquee.errors import BadRequest, Conflict, MarqueeError, NotFound

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
CHECKSUM_ALGORITHMS = ("sha1", "sha256")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
MAX_METADATA_LENGTH = 4096
# Browser clients on another origin (tus-js-client) must be allowed to read these.
TUS_EXPOSED_HEADERS = [
    "Location",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Tus-Checksum-Algorithm",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Expires",
    "Upload-Metadata",
]
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")


def tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **extra}


class _Tus:
    """Mixin so every tus error still tells the client which protocol version this is."""

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        MarqueeError.__init__(self, detail, code=code, headers=tus_headers(), **extra)  # type: ignore[arg-type]


class TusBadRequest(_Tus, BadRequest):
    code = "malformed_tus_request"


class TusVersionUnsupported(_Tus, MarqueeError):
    status, code, title = 412, "tus_version_unsupported", "Precondition failed"

    def __init__(self, detail: str) -> None:
        MarqueeError.__init__(self, detail, headers=tus_headers(**{"Tus-Version": TUS_VERSION}))


class UnsupportedMediaType(_Tus, MarqueeError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class UploadTooLarge(_Tus, MarqueeError):
    status, code, title = 413, "upload_too_large", "Upload too large"


class UploadNotFound(_Tus, NotFound):
    code = "upload_not_found"


class UploadGone(_Tus, MarqueeError):
    status, code, title = 410, "upload_expired", "Upload expired"


class UploadConflict(_Tus, Conflict):
    code = "upload_offset_mismatch"


class ChecksumMismatch(_Tus, MarqueeError):
    # 460 is the status the tus checksum extension defines for a chunk that does not match.
    status, code, title = 460, "checksum_mismatch", "Checksum mismatch"


def require_version(value: str | None) -> None:
    if value != TUS_VERSION:
        raise TusVersionUnsupported(f"This server speaks tus {TUS_VERSION} (Tus-Resumable).")


def parse_int(name: str, value: str | None) -> int:
    if value is None or not value.isdigit() or len(value) > 18:
        raise TusBadRequest(f"The {name} header must be a non-negative integer.")
    return int(value)


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode `Upload-Metadata`: comma-separated `key base64value` pairs (the value is optional)."""
    if not header:
        return {}
    if len(header) > MAX_METADATA_LENGTH:
        raise TusBadRequest("Upload-Metadata is too long.", code="invalid_upload_metadata")
    pairs: dict[str, str] = {}
    for item in header.split(","):
        parts = item.strip().split(" ")
        if len(parts) > 2 or not _KEY.match(parts[0]) or parts[0] in pairs:
            raise TusBadRequest(
                f"Upload-Metadata has a bad pair: {item.strip()[:60]!r}.",
                code="invalid_upload_metadata",
            )
        try:
            value = base64.b64decode(parts[1], validate=True).decode() if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise TusBadRequest(
                f"Upload-Metadata value for {parts[0]!r} is not base64 of UTF-8 text.",
                code="invalid_upload_metadata",
            ) from exc
        pairs[parts[0]] = value
    return pairs


def encode_metadata(pairs: dict[str, str]) -> str:
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key
        for key, value in pairs.items()
    )


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """`Upload-Checksum: <algorithm> <base64 digest>`, or None when absent."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusBadRequest(
            f"Checksum algorithm {algorithm!r} is not supported; use sha256 or sha1.",
            code="checksum_algorithm_unsupported",
        )
    try:
        digest = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise TusBadRequest("Upload-Checksum is not base64.", code="invalid_checksum") from exc
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise TusBadRequest("Upload-Checksum has the wrong length.", code="invalid_checksum")
    return algorithm, digest


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)

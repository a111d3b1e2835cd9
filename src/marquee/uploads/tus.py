"""The tus 1.0 protocol's wire details: versions, headers, metadata, checksums and its errors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import UTC, datetime
from email.utils import format_datetime

from marquee.uploads.errors import (
    ChecksumAlgorithmUnsupported,
    InvalidChecksum,
    InvalidUploadMetadata,
    TusBadRequest,
    TusVersionUnsupported,
)

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
        raise InvalidUploadMetadata("Upload-Metadata is too long.")
    pairs: dict[str, str] = {}
    for item in header.split(","):
        parts = item.strip().split(" ")
        if len(parts) > 2 or not _KEY.match(parts[0]) or parts[0] in pairs:
            raise InvalidUploadMetadata(f"Upload-Metadata has a bad pair: {item.strip()[:60]!r}.")
        try:
            value = base64.b64decode(parts[1], validate=True).decode() if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidUploadMetadata(
                f"Upload-Metadata value for {parts[0]!r} is not base64 of UTF-8 text."
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
        raise ChecksumAlgorithmUnsupported(
            f"Checksum algorithm {algorithm!r} is not supported; use sha256 or sha1."
        )
    try:
        digest = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise InvalidChecksum("Upload-Checksum is not base64.") from exc
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise InvalidChecksum("Upload-Checksum has the wrong length.")
    return algorithm, digest


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)

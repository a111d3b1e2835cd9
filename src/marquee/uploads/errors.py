"""The problems tus uploads answer with.

Every one carries the Tus-Resumable header, as the protocol asks of every answer, so a
tus client can read the failure as well as a browser can.
"""

from __future__ import annotations

from typing import Any

from marquee.errors import (
    BadRequest,
    Conflict,
    MarqueeError,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)


class _Tus(MarqueeError):
    def __init__(self, detail: str, **extra: Any) -> None:
        # Imported here: tus.py (the wire details) raises these errors, so it imports this module.
        from marquee.uploads.tus import tus_headers

        super().__init__(detail, headers=tus_headers(), **extra)


class TusBadRequest(_Tus, BadRequest):
    """A tus request with a missing or malformed header."""

    code, title = "malformed_tus_request", "Malformed tus request"


class InvalidUploadMetadata(TusBadRequest):
    """An Upload-Metadata header that is too long, has a bad pair or a value that is not base64."""

    code, title = "invalid_upload_metadata", "Invalid Upload-Metadata"


class ChecksumAlgorithmUnsupported(TusBadRequest):
    """An Upload-Checksum algorithm other than sha256 or sha1."""

    code, title = "checksum_algorithm_unsupported", "Checksum algorithm unsupported"


class InvalidChecksum(TusBadRequest):
    """An Upload-Checksum digest that is not base64 or has the wrong length."""

    code, title = "invalid_checksum", "Invalid Upload-Checksum"


class DeferLengthUnsupported(TusBadRequest):
    """An upload created without its length (Upload-Defer-Length)."""

    code, title = "defer_length_unsupported", "Deferred length unsupported"


class TusVersionUnsupported(_Tus):
    """A Tus-Resumable version this server does not speak (Tus-Version lists the one it does)."""

    status, code, title = 412, "tus_version_unsupported", "Precondition failed"

    def __init__(self, detail: str) -> None:
        from marquee.uploads.tus import TUS_VERSION, tus_headers

        MarqueeError.__init__(self, detail, headers=tus_headers(**{"Tus-Version": TUS_VERSION}))


class TusUnsupportedMediaType(_Tus, UnsupportedMediaType):
    """A PATCH whose body is not application/offset+octet-stream."""


class UploadTooLarge(_Tus, PayloadTooLarge):
    """An upload longer than the server's limit, or a chunk past the upload's length."""

    code, title = "upload_too_large", "Upload too large"


class UploadNotFound(_Tus, NotFound):
    """An upload id the server does not hold."""

    code, title = "upload_not_found", "Upload not found"


class UploadGone(_Tus):
    """An upload that expired before it was finished."""

    status, code, title = 410, "upload_expired", "Upload expired"


class UploadOffsetMismatch(_Tus, Conflict):
    """A PATCH at an offset other than the upload's (`offset` says where it is)."""

    code, title = "upload_offset_mismatch", "Upload offset mismatch"


class UploadBusy(_Tus, Conflict):
    """Another request is writing to the upload, or this request's lock lapsed."""

    code, title = "upload_busy", "Upload busy"


class ChecksumMismatch(_Tus):
    """A chunk that does not match its Upload-Checksum (nothing of it was kept)."""

    # 460 is the status the tus checksum extension defines for a chunk that does not match.
    status, code, title = 460, "checksum_mismatch", "Checksum mismatch"


class InvalidMetadata(Unprocessable):
    """Upload metadata with a bad value: kind, language, a flag or an id."""

    code, title = "invalid_metadata", "Invalid upload metadata"


class UploadUnbound(Unprocessable):
    """An upload that names neither a title nor an episode (or both)."""

    code, title = "upload_unbound", "Upload not bound to a title"


class UnknownTitle(Unprocessable):
    """Upload metadata naming a title that does not exist."""

    code, title = "unknown_title", "Unknown title"


class UnknownEpisode(Unprocessable):
    """Upload metadata naming an episode that does not exist."""

    code, title = "unknown_episode", "Unknown episode"

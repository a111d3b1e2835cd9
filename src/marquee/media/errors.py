"""The problems the media library raises: sources it refuses and encodes that fail.

Ingest records these on the failed job and the title (code and detail), so an editor
sees why an upload was refused; the library itself knows nothing of HTTP.
"""

from __future__ import annotations

from marquee.errors import Unprocessable


class MediaRejected(Unprocessable):
    """The source (or a sidecar) is not something Marquee can turn into a stream."""

    code, title = "media_rejected", "Media rejected"


class MediaEmpty(MediaRejected):
    """An uploaded master of 0 bytes."""

    code, title = "media_empty", "Empty media file"


class MediaTruncated(MediaRejected):
    """An MP4/MOV whose boxes run past the end of the file: the upload was cut short."""

    code, title = "media_truncated", "Truncated media file"


class MediaNotRecognized(MediaRejected):
    """A file no demuxer reads as audio or video."""

    code, title = "media_not_recognized", "Not a media file"


class MediaStillImage(MediaRejected):
    """A still image (JPEG, PNG, ...) uploaded as a master."""

    code, title = "media_still_image", "Still image, not a video"


class MediaNoVideo(MediaRejected):
    """A master with audio but no video stream."""

    code, title = "media_no_video", "No video stream"


class MediaBadDimensions(MediaRejected):
    """A picture too small, too large or too far from a screen's shape."""

    code, title = "media_bad_dimensions", "Unsupported dimensions"


class MediaUnsupportedCodec(MediaRejected):
    """A video codec with no decoder, or one Marquee does not transcode from."""

    code, title = "media_unsupported_codec", "Unsupported codec"


class MediaDurationMismatch(MediaRejected):
    """A container that declares a duration its media does not reach."""

    code, title = "media_duration_mismatch", "Duration mismatch"


class MediaCorrupt(MediaRejected):
    """Video frames that do not decode."""

    code, title = "media_corrupt", "Corrupt media"


class SubtitleInvalid(MediaRejected):
    """A subtitle sidecar that is empty, binary, too large or not SRT/WebVTT."""

    code, title = "subtitle_invalid", "Invalid subtitle file"


class SubtitleBadLanguage(MediaRejected):
    """A subtitle sidecar whose language is not a BCP 47 tag."""

    code, title = "subtitle_bad_language", "Invalid subtitle language"


class AudioTrackInvalid(MediaRejected):
    """An audio sidecar with no audio stream, or one that does not decode."""

    code, title = "audio_track_invalid", "Invalid audio track"


class TranscodeFailed(Unprocessable):
    """FFmpeg stopped with an error or ran past its time limit."""

    code, title = "transcode_failed", "Transcode failed"

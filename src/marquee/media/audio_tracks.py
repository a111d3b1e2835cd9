"""Extra audio-track sidecars (a dub, a commentary): checked, then added to the ladder."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import av

from marquee.media.errors import AudioTrackInvalid
from marquee.media.ladder import AudioRendition, Ladder
from marquee.media.languages import is_language_tag

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class AudioInput:
    path: Path
    language: str  # BCP 47 or ISO 639-2, e.g. "fr", "pt-BR", "deu"


def _reject(path: Path, reason: str) -> AudioTrackInvalid:
    return AudioTrackInvalid(f"'{path.name}' is not a usable audio track: {reason}")


def check(sidecar: AudioInput) -> AudioInput:
    """Refuse, before any encoding, a sidecar without a decodable audio stream."""
    if not _LANGUAGE.match(sidecar.language) or not is_language_tag(sidecar.language):
        raise _reject(sidecar.path, f"'{sidecar.language}' is not a language tag")
    try:
        with av.open(str(sidecar.path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            if not streams:
                raise _reject(sidecar.path, "it holds no audio stream")
            if streams[0].codec_context.name in ("", "none"):
                raise _reject(sidecar.path, "its audio codec is unknown")
            # One decoded frame proves the codec is really supported, not just labelled.
            next(container.decode(streams[0]))
    except (av.FFmpegError, StopIteration, UnicodeDecodeError) as exc:
        raise _reject(sidecar.path, "it cannot be decoded as audio") from exc
    return sidecar


def with_sidecars(ladder: Ladder, sidecars: Sequence[AudioInput]) -> Ladder:
    """The ladder plus one AAC rendition per sidecar, read from FFmpeg input 1, 2, ...

    Sidecars follow the master's own tracks, so the master's first track stays the
    default; a sidecar in a language the master already has is kept as a second
    rendition of it (a commentary, a described-video mix).
    """
    extra = tuple(
        AudioRendition(
            name=f"audio_{sidecar.language.replace('-', '_').lower()}_x{n}",
            source_index=0,
            language=sidecar.language,
            input_index=n,
        )
        for n, sidecar in enumerate(sidecars, start=1)
    )
    return replace(ladder, audio=ladder.audio + extra)

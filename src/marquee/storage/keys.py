"""Object keys for every stored thing, from pure functions, and the check that keeps keys safe."""

from __future__ import annotations

import re
import uuid

from marquee.storage.errors import InvalidKey

MAX_KEY_LENGTH = 1024
# One path segment that callers may choose (a rendition name, a language, an artwork kind).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_key(key: str) -> str:
    """Return `key` if it is a relative path that cannot escape its prefix; raise otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey("An object key must be 1 to 1024 characters long.")
    if "\\" in key or _CONTROL.search(key):
        raise InvalidKey("An object key may not hold backslashes or control characters.")
    if key.startswith("/"):
        raise InvalidKey("An object key must be relative.")
    for part in key.split("/"):
        if not part:
            raise InvalidKey("An object key may not hold empty path segments.")
        # Dot-segments could climb out of a prefix; dot-files are reserved for the store itself.
        if part.startswith("."):
            raise InvalidKey("An object key segment may not start with a dot.")
    return key


def safe_prefix(prefix: str) -> str:
    """A non-empty key prefix; a trailing slash is allowed so that `a/` does not match `ab`."""
    safe_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def _name(value: str) -> str:
    if not _NAME.match(value) or ".." in value:
        raise InvalidKey(f"{value!r} is not a valid object name segment.")
    return value


def upload_prefix(upload_id: uuid.UUID) -> str:
    return f"uploads/{upload_id}/"


def upload(upload_id: uuid.UUID) -> str:
    """The bytes of a resumable upload, once assembled."""
    return f"uploads/{upload_id}/data"


def upload_tail(upload_id: uuid.UUID, end_offset: int) -> str:
    """Received bytes not yet in a stored part, named by where they end so a retry never
    overwrites the tail that the database still points at."""
    return f"uploads/{upload_id}/tail-{end_offset:015d}"


def upload_sidecar(upload_id: uuid.UUID, name: str) -> str:
    return f"uploads/{upload_id}/sidecars/{_name(name)}"


VERSIONS = "versions/"


def version_prefix(version: uuid.UUID) -> str:
    """Everything of one immutable title version lives under this prefix."""
    return f"{VERSIONS}{version}/"


def version_file(version: uuid.UUID, relative: str) -> str:
    """A packaged file (manifest, segment, sidecar, artwork) at `relative` inside its version."""
    return safe_key(f"{version_prefix(version)}{relative}")


LANES = "lanes/"


def lane_prefix(version: uuid.UUID) -> str:
    """The version's video files again, one folder per height, for an edge that sends files
    itself: outside `versions/`, so nothing that serves a version's files can reach it."""
    return f"{LANES}{version}/"


def lanes_of(prefix: str) -> str | None:
    """The lane tree beside the version stored under `prefix`, if it is a version's."""
    rest = prefix.removeprefix(VERSIONS)
    return f"{LANES}{rest}" if rest != prefix and rest.count("/") == 1 else None


def lane_file(version: uuid.UUID, height: int, relative: str) -> str:
    """The video file at `relative` in the lane of its rendition's height (`v720/...`)."""
    return safe_key(f"{lane_prefix(version)}v{height}/{relative}")


def master(version: uuid.UUID) -> str:
    """The source file a version was encoded from."""
    return f"versions/{version}/master/source"


def manifest_hls(version: uuid.UUID) -> str:
    return f"versions/{version}/master.m3u8"


def manifest_dash(version: uuid.UUID) -> str:
    return f"versions/{version}/manifest.mpd"


def rendition_prefix(version: uuid.UUID, rendition: str) -> str:
    return f"versions/{version}/{_name(rendition)}/"


def rendition_playlist(version: uuid.UUID, rendition: str) -> str:
    return f"{rendition_prefix(version, rendition)}index.m3u8"


def rendition_init(version: uuid.UUID, rendition: str) -> str:
    return f"{rendition_prefix(version, rendition)}init.mp4"


def rendition_segment(version: uuid.UUID, rendition: str, n: int) -> str:
    if n < 0:
        raise InvalidKey("A segment number cannot be negative.")
    return f"{rendition_prefix(version, rendition)}seg-{n:05d}.m4s"


def subtitle(version: uuid.UUID, name: str) -> str:
    """A WebVTT subtitle track, named e.g. `en`, `fr-forced` or `en-sdh`."""
    return f"versions/{version}/subtitles/{_name(name)}.vtt"


def trickplay_sheet(version: uuid.UUID, n: int) -> str:
    return f"versions/{version}/trickplay/sheet-{n:04d}.jpg"


def trickplay_track(version: uuid.UUID) -> str:
    return f"versions/{version}/trickplay/thumbnails.vtt"


def artwork(title: uuid.UUID, kind: str, ext: str = "jpg") -> str:
    """Title artwork such as `poster`, `backdrop` or `thumbnail`."""
    return f"artwork/{title}/{_name(kind)}.{_name(ext)}"


def ingest_job_prefix(job_id: uuid.UUID) -> str:
    """What an ingest job keeps between its attempts; removed once it has published."""
    return f"ingest/{job_id}/"


def ingest_chunk(job_id: uuid.UUID, plan: str, name: str) -> str:
    """A finished chunk of an ingest job's encode, under the digest of the encode's plan."""
    return f"{ingest_job_prefix(job_id)}chunks/{_name(plan)}/{_name(name)}"

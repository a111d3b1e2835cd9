"""Which stored file belongs to which video height, read from a version's own manifests.

The origin serves a video file only under the lane of its height (`v720/...`), so it must
know every video file's height. That is read from the packaged manifests rather than from
file names, so any packager's layout works: the HLS master's variants (and I-frame
playlists), each variant's media playlist with its segments and `EXT-X-MAP`, and the DASH
representations' `SegmentTemplate` patterns and `BaseURL` files. A file named by none of
them (audio, subtitles, artwork, keys) is not video and is served to every session.
"""

from __future__ import annotations

import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from marquee.storage import keys
from marquee.storage.base import ObjectStore, read_all
from marquee.storage.errors import InvalidKey, ObjectNotFound

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')
_RESOLUTION = re.compile(r"^\d+x(\d+)$")
_URI = re.compile(r'URI="([^"]*)"')
_TEMPLATE = re.compile(r"\$(RepresentationID|Bandwidth|Number|Time)(%0\d+d)?\$|\$\$")
_MPD = "{urn:mpeg:dash:schema:mpd:2011}"


@dataclass(frozen=True)
class VideoFiles:
    """The video files of one version: exact paths and DASH template patterns, with heights."""

    exact: dict[str, int]
    patterns: tuple[tuple[re.Pattern[str], int], ...] = ()

    def height_of(self, relative: str) -> int | None:
        """The height of the rendition `relative` belongs to, or None when it is not video."""
        found = self.exact.get(relative)
        if found is not None:
            return found
        return next((h for pattern, h in self.patterns if pattern.fullmatch(relative)), None)


def _local(base: str, uri: str) -> str | None:
    """`uri` resolved against the folder `base` sits in, inside the version; None if elsewhere."""
    if not uri or "://" in uri or uri.startswith(("/", "data:", "skd:")):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), uri.split("?")[0]))
    return None if joined.startswith("..") else joined


def _height(tag_line: str) -> int:
    body = tag_line.split(":", 1)[1] if ":" in tag_line else ""
    attrs = {name: value.strip('"') for name, value in _ATTRIBUTE.findall(body)}
    match = _RESOLUTION.match(attrs.get("RESOLUTION", ""))
    return int(match.group(1)) if match else 0


def hls_variants(master: str, master_path: str) -> list[tuple[str, int]]:
    """(media playlist, height) of every variant and I-frame playlist in the master."""
    found: list[tuple[str, int]] = []
    lines = [line.strip() for line in master.splitlines()]
    for n, line in enumerate(lines):
        if line.startswith("#EXT-X-I-FRAME-STREAM-INF:"):
            uri = _URI.search(line)
            path = _local(master_path, uri.group(1)) if uri else None
            if path:
                found.append((path, _height(line)))
        elif line.startswith("#EXT-X-STREAM-INF:"):
            uri_line = next((x for x in lines[n + 1 :] if x and not x.startswith("#")), "")
            path = _local(master_path, uri_line)
            if path:
                found.append((path, _height(line)))
    return found


def _hls_media_files(playlist: str, playlist_path: str) -> list[str]:
    """The segments and initialisation sections a media playlist names."""
    files = []
    for raw in playlist.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-MAP:"):
            uri = _URI.search(line)
            path = _local(playlist_path, uri.group(1)) if uri else None
        elif line and not line.startswith("#"):
            path = _local(playlist_path, line)
        else:
            continue
        if path:
            files.append(path)
    return files


def index_hls(master: str, read: Callable[[str], str | None], master_path: str) -> dict[str, int]:
    """Every file of the HLS video renditions with its height; `read` fetches a playlist."""
    exact: dict[str, int] = {}
    for path, height in hls_variants(master, master_path):
        exact[path] = height
        text = read(path)
        for file in _hls_media_files(text or "", path):
            exact.setdefault(file, height)
    return exact


def _template_pattern(template: str, rep: ET.Element) -> re.Pattern[str]:
    def part(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return re.escape("$")
        if name == "RepresentationID":
            return re.escape(rep.get("id") or "")
        if name == "Bandwidth":
            return re.escape(rep.get("bandwidth") or "")
        return r"[0-9]+"

    pieces, last = [], 0
    for match in _TEMPLATE.finditer(template):
        pieces += [re.escape(template[last : match.start()]), part(match)]
        last = match.end()
    pieces.append(re.escape(template[last:]))
    return re.compile("".join(pieces))


def _is_video(adaptation: ET.Element, rep: ET.Element) -> bool:
    kinds = (adaptation.get("contentType"), adaptation.get("mimeType"), rep.get("mimeType"))
    return any((kind or "").startswith("video") for kind in kinds)


def _base(*elements: ET.Element) -> str:
    """The relative BaseURLs of the MPD's levels joined, outermost first."""
    joined = ""
    for element in elements:
        url = (element.findtext(f"{_MPD}BaseURL") or "").strip()
        if url and "://" not in url and not url.startswith("/"):
            folder = joined.rsplit("/", 1)[0] + "/" if "/" in joined else ""
            joined = folder + url
    return joined


def index_dash(document: bytes) -> tuple[dict[str, int], list[tuple[re.Pattern[str], int]]]:
    """The DASH video representations' single files and segment patterns, with heights."""
    root = ET.fromstring(document)  # noqa: S314 - written by our own packager
    exact: dict[str, int] = {}
    patterns: list[tuple[re.Pattern[str], int]] = []
    for period in root.findall(f"{_MPD}Period"):
        for adaptation in period.findall(f"{_MPD}AdaptationSet"):
            for rep in adaptation.findall(f"{_MPD}Representation"):
                if not _is_video(adaptation, rep):
                    continue
                text = rep.get("height") or adaptation.get("height") or "0"
                height = int(text) if text.isdigit() else 0
                base = _base(root, period, adaptation, rep)
                if base and not base.endswith("/"):
                    exact[base] = height
                folder = base if base.endswith("/") else posixpath.dirname(base)
                template = rep.find(f"{_MPD}SegmentTemplate")
                if template is None:
                    template = adaptation.find(f"{_MPD}SegmentTemplate")
                for attribute in ("initialization", "media"):
                    value = template.get(attribute) if template is not None else None
                    if value:
                        path = posixpath.join(folder, value) if folder else value
                        patterns.append((_template_pattern(path, rep), height))
    return exact, patterns


def build(
    read: Callable[[str], bytes | None], *, hls: str = "master.m3u8", dash: str = "manifest.mpd"
) -> VideoFiles:
    """The version's video files; `read` returns a stored file's bytes, or None if missing."""

    def text(path: str) -> str | None:
        data = read(path)
        return data.decode("utf-8", "replace") if data is not None else None

    master = text(hls)
    exact = index_hls(master, text, hls) if master is not None else {}
    document = read(dash)
    patterns: list[tuple[re.Pattern[str], int]] = []
    if document is not None:
        dash_exact, patterns = index_dash(document)
        for path, height in dash_exact.items():
            exact.setdefault(path, height)
    return VideoFiles(exact, tuple(patterns))


def of_version(store: ObjectStore, version_id: uuid.UUID) -> VideoFiles:
    """The video files of a stored version, read from its stored manifests."""

    def read(relative: str) -> bytes | None:
        try:
            return read_all(store, keys.version_file(version_id, relative))
        except (ObjectNotFound, InvalidKey):
            return None

    return build(read)

"""Checks SRT or WebVTT sidecars and writes clean WebVTT: whole for DASH, segmented for HLS."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from marquee.media.errors import SubtitleBadLanguage, SubtitleInvalid
from marquee.media.languages import bcp47, is_language_tag

MAX_SUBTITLE_BYTES = 5 * 1024 * 1024
MPEGTS_HZ = 90_000  # the clock X-TIMESTAMP-MAP counts in
_TIME = r"(?:(\d{1,3}):)?(\d{2}):(\d{2})[,.](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(.*)$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_FONT_TAG = re.compile(r"</?font[^>]*>", re.IGNORECASE)
_VTT_SETTINGS = re.compile(r"^(?:\s+(?:vertical|line|position|size|align|region):\S+)*\s*$")
# Blocks of a WebVTT file that are not cues.
_VTT_NON_CUE = ("NOTE", "STYLE", "REGION")


@dataclass(frozen=True)
class SubtitleInput:
    path: Path
    language: str  # BCP 47, e.g. "en", "pt-BR"
    forced: bool = False  # only foreign-dialogue lines, shown even when subtitles are off
    sdh: bool = False  # for the deaf and hard of hearing: describes sounds too


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    settings: str
    text: str


@dataclass(frozen=True)
class SubtitleTrack:
    path: Path  # the WebVTT file written
    language: str
    name: str
    forced: bool
    sdh: bool
    cue_count: int

    @property
    def key(self) -> str:
        """A file-name-safe identity, unique per language and flavour."""
        suffix = "_forced" if self.forced else "_sdh" if self.sdh else ""
        return f"subs_{self.language.replace('-', '_').lower()}{suffix}"


def _reject(path: Path, reason: str) -> SubtitleInvalid:
    return SubtitleInvalid(f"'{path.name}' is not a usable subtitle file: {reason}")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise _reject(path, "it is empty")
    if len(raw) > MAX_SUBTITLE_BYTES:
        raise _reject(path, f"it is larger than {MAX_SUBTITLE_BYTES // (1024 * 1024)} MB")
    if b"\x00" in raw:
        raise _reject(path, "it is binary, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older SRT files are often Windows-1252; every byte sequence decodes in it but
        # five undefined bytes, which then mark the file as not text at all.
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _reject(path, "it is not text in a known encoding") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _parse_block(lines: list[str]) -> Cue | None:
    """A cue is an optional identifier line, a timing line, then its text."""
    for position in (0, 1):
        if position >= len(lines):
            return None
        match = _TIMING.match(lines[position])
        if match is None:
            continue
        start = _seconds(*match.group(1, 2, 3, 4))
        end = _seconds(*match.group(5, 6, 7, 8))
        settings = match.group(9) if _VTT_SETTINGS.match(match.group(9)) else ""
        text = _FONT_TAG.sub("", "\n".join(lines[position + 1 :])).strip()
        if end <= start or not text:
            return None
        return Cue(start, end, settings.rstrip(), text)
    return None


def parse_cues(path: Path) -> list[Cue]:
    """Parse SRT or WebVTT; refuse anything where cues are not the bulk of the file."""
    text = _decode(path)
    blocks = [b.split("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if blocks and blocks[0][0].startswith("WEBVTT"):
        blocks = [b for b in blocks[1:] if not b[0].startswith(_VTT_NON_CUE)]
    cues = [cue for cue in map(_parse_block, blocks) if cue is not None]
    if not cues:
        raise _reject(path, "no subtitle cue (a 'start --> end' timing line) was found")
    if len(cues) < len(blocks) / 2:
        raise _reject(path, f"only {len(cues)} of its {len(blocks)} blocks are subtitle cues")
    return sorted(cues, key=lambda c: c.start)


def format_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def render_webvtt(cues: Sequence[Cue], header: str = "") -> str:
    body = [
        f"{format_time(c.start)} --> {format_time(c.end)}{c.settings}\n{c.text}\n" for c in cues
    ]
    return "WEBVTT\n" + (f"{header}\n" if header else "") + "\n" + "\n".join(body)


@dataclass(frozen=True)
class VttSegment:
    path: Path
    start: float  # on the programme's clock: the first frame is 0
    duration: float


def timestamp_map(origin: float) -> str:
    """RFC 8216 3.5: cue time 0 is media time `origin` (seconds) on the 90 kHz clock.

    For CMAF media the 90 kHz clock is the tracks' presentation timeline (`tfdt` less the
    edit list), on which the first frame is `origin`; cue times stay programme times.
    """
    return f"X-TIMESTAMP-MAP=MPEGTS:{round(origin * MPEGTS_HZ)},LOCAL:00:00:00.000"


def write_segments(
    track: SubtitleTrack, windows: Sequence[tuple[float, float]], origin: float = 0.0
) -> tuple[VttSegment, ...]:
    """Cut `track`'s WebVTT into `<key>-NNNNN.vtt`, one per (start, duration) window.

    The windows are the video's segments, so a player fetches the cues of the stretch it
    buffers. A cue that crosses a boundary is written into every segment it overlaps, so
    a player that starts or seeks into either one shows it.
    """
    cues = parse_cues(track.path)
    segments = []
    for number, (start, duration) in enumerate(windows, start=1):
        end = start + duration
        inside = [c for c in cues if c.start < end and c.end > start]
        path = track.path.with_name(f"{track.key}-{number:05d}.vtt")
        path.write_text(render_webvtt(inside, timestamp_map(origin)), encoding="utf-8")
        segments.append(VttSegment(path, start, duration))
    return tuple(segments)


def display_name(language: str, *, forced: bool, sdh: bool) -> str:
    name = LANGUAGE_NAMES.get(language.split("-")[0].lower(), language)
    if forced:
        return f"{name} (forced)"
    return f"{name} (SDH)" if sdh else name


@dataclass(frozen=True)
class CheckedSubtitle:
    source: SubtitleInput
    cues: tuple[Cue, ...]


def check(source: SubtitleInput) -> CheckedSubtitle:
    """Validate a sidecar without writing anything."""
    if not _LANGUAGE.match(source.language) or not is_language_tag(source.language):
        raise SubtitleBadLanguage(
            f"'{source.language}' is not a language tag (expected e.g. 'en' or 'pt-BR')."
        )
    return CheckedSubtitle(source, tuple(parse_cues(source.path)))


def write(checked: CheckedSubtitle, out_dir: Path) -> SubtitleTrack:
    """Write a checked sidecar as `<key>.vtt` in `out_dir`."""
    source = checked.source
    language = bcp47(source.language)
    track = SubtitleTrack(
        path=out_dir / "pending.vtt",
        language=language,
        name=display_name(language, forced=source.forced, sdh=source.sdh),
        forced=source.forced,
        sdh=source.sdh,
        cue_count=len(checked.cues),
    )
    path = out_dir / f"{track.key}.vtt"
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(render_webvtt(list(checked.cues)), encoding="utf-8")
    return replace(track, path=path)


def convert(source: SubtitleInput, out_dir: Path) -> SubtitleTrack:
    return write(check(source), out_dir)


LANGUAGE_NAMES = {
    "ar": "العربية", "ara": "العربية", "de": "Deutsch", "deu": "Deutsch", "ger": "Deutsch",
    "en": "English", "eng": "English", "es": "Español", "spa": "Español", "fr": "Français",
    "fra": "Français", "fre": "Français", "hi": "हिन्दी", "hin": "हिन्दी", "it": "Italiano",
    "ita": "Italiano", "ja": "日本語", "jpn": "日本語", "ko": "한국어", "kor": "한국어",
    "nl": "Nederlands", "nld": "Nederlands", "pt": "Português", "por": "Português",
    "ru": "Русский", "rus": "Русский", "zh": "中文", "zho": "中文", "chi": "中文",
}  # fmt: skip

"""Builds media fixtures with FFmpeg test sources, and good and bad inputs crafted from them."""

from __future__ import annotations

import random
import re
import struct
import subprocess
from pathlib import Path

import av

from marquee.media.ffmpeg import ffmpeg_exe

SRT = """1
00:00:00,500 --> 00:00:02,000
Hello from <font color="#ff0000">Marquee</font>

2
00:00:03,000 --> 00:00:05,250
<i>A second line</i>
split in two

"""


def ffmpeg(*args: str | Path) -> None:
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def make_clip(
    path: Path,
    *,
    size: str = "640x360",
    rate: str = "25",
    seconds: float = 10,
    languages: tuple[str, ...] = ("eng",),
    extra: tuple[str, ...] = (),
) -> Path:
    """testsrc2 video plus one sine tone per audio language (different pitch each)."""
    args: list[str | Path] = [
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate={rate}:duration={seconds}",
    ]
    for i, _ in enumerate(languages):
        args += ["-f", "lavfi", "-i", f"sine=frequency={440 + 220 * i}:duration={seconds}"]
    args += ["-map", "0:v"]
    for i, language in enumerate(languages):
        args += ["-map", f"{i + 1}:a", f"-metadata:s:a:{i}", f"language={language}"]
    args += ["-c:v", "libx264", "-preset", "superfast", "-g", "50", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-b:a", "96k", *extra, path]
    ffmpeg(*args)
    return path


def truncated(source: Path, path: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def png_image(path: Path) -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "png",
        path,
    )
    return path


def audio_only(path: Path) -> Path:
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=5", "-c:a", "aac", "-f", "mp4", path)
    return path


def corrupt_middle(source: Path, path: Path) -> Path:
    """Overwrite the payload of every video packet in the middle fifth with noise."""
    data = bytearray(source.read_bytes())
    rng = random.Random(1)
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        for packet in container.demux(stream):
            if packet.pts is None or packet.pos is None or packet.size < 64:
                continue
            at = float(packet.pts * stream.time_base)
            if 0.4 * duration <= at <= 0.6 * duration:
                start = packet.pos + 16  # keep the NAL length and header, spoil the slice data
                data[start : packet.pos + packet.size] = rng.randbytes(packet.size - 16)
    path.write_bytes(bytes(data))
    return path


def absurd_dimensions(path: Path, width: int = 100_000, height: int = 2) -> Path:
    """A raw YUV4MPEG2 stream really declaring 100000x2: two frames of 4:2:0 pixels."""
    header = f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode()
    frame = b"FRAME\n" + bytes([128]) * (width * height * 3 // 2)
    path.write_bytes(header + frame + frame)
    return path


def lying_duration(source_mkv: Path, path: Path, factor: float = 10.0) -> Path:
    """Multiply the Matroska Segment Duration (EBML 0x4489, 8-byte float) by `factor`."""
    data = bytearray(source_mkv.read_bytes())
    at = data.find(b"\x44\x89\x88")
    assert at > 0, "no 8-byte Duration element"
    (value,) = struct.unpack(">d", data[at + 3 : at + 11])
    data[at + 3 : at + 11] = struct.pack(">d", value * factor)
    path.write_bytes(bytes(data))
    return path


def unknown_codec(path: Path) -> Path:
    """An AVI whose video FourCC no decoder knows (MPEG-4 Part 2 relabelled 'QQQQ')."""
    source = path.with_suffix(".src.avi")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "mpeg4", source)
    data = source.read_bytes()
    assert data.count(b"FMP4") == 2
    path.write_bytes(data.replace(b"FMP4", b"QQQQ"))
    return path


def ffmpeg_client(manifest: Path, *maps: str) -> tuple[int, list[str]]:
    """Play `manifest` with FFmpeg as an HLS/DASH client; return (frames decoded, error lines)."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error"]
    command += ["-allowed_extensions", "ALL", "-i", str(manifest)]
    for spec in maps:
        command += ["-map", spec]
    command += ["-f", "null", "-progress", "pipe:1", "-"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    frames = [int(m) for m in re.findall(r"^frame=(\d+)$", result.stdout, re.MULTILINE)]
    return (frames[-1] if frames else 0), [line for line in result.stderr.splitlines() if line]

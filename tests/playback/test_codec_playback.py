"""Chromium plays the AV1 rungs of a multi-codec title, through the app's own origin.

The title holds H.264, HEVC and AV1 renditions (`packaged.multi_codec_dir`). A session
whose device decodes AV1 and H.264, as Chromium's does, is served manifests cut to AV1
alone; hls.js, dash.js and Shaka Player then play it, and every video file the browser
fetched is an AV1 one. A device that decodes H.264 only gets the H.264 rungs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser

from marquee.app import create_app
from marquee.config import Settings
from marquee.media.encode import MPD_NS
from tests import services
from tests.delivery.support import Published, open_session, publish, url
from tests.playback import players
from tests.playback.packaged import multi_codec

__all__ = ["multi_codec"]
HEIGHTS = (240, 360)
# What is played does not depend on the database that holds the session row.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def video_files(package: Path) -> dict[str, str]:
    """Every video file of the package (playlists, init and media segments) -> its codec."""
    files: dict[str, str] = {}
    root = ET.parse(package / "manifest.mpd").getroot()
    for rep in root.iterfind(".//mpd:Representation", MPD_NS):
        codecs = rep.get("codecs", "")
        if codecs.startswith("mp4a"):
            continue
        rep_id = rep.get("id", "")
        family = codecs.split(".")[0]
        files[f"init-{rep_id}.m4s"] = family
        for segment in package.glob(f"seg-{rep_id}-*.m4s"):
            files[segment.name] = family
    master = (package / "master.m3u8").read_text()
    for codecs, playlist in re.findall(r'STREAM-INF:.*?CODECS="([^"]+)".*\n(\S+)', master):
        files[playlist] = codecs.split(".")[0]
    return files


@pytest.fixture
def served(settings: Settings, multi_codec: Path) -> Iterator[tuple[FastAPI, Published, str]]:
    app = create_app(settings)
    published = publish(app, multi_codec)
    try:
        with services.serve_app(app, services.free_port()) as base:
            yield app, published, base
    finally:
        app.state.runtime.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with players.launch_browser() as chromium:
        yield chromium


def _fetched(
    browser: Browser,
    served: tuple[FastAPI, Published, str],
    settings: Settings,
    player: str,
    manifest: str,
    codecs: tuple[str, ...],
) -> tuple[players.Played, set[str]]:
    """Play `manifest` for a new session of a device decoding `codecs`; what was fetched."""
    app, published, base = served
    session_id = open_session(app, published, max_height=1080, codecs=codecs)
    address = base + url(settings, session_id, published, manifest, heights=HEIGHTS)
    fetched: list[str] = []
    with players.player_context(browser, base) as (context, page):
        context.on("request", lambda request: fetched.append(request.url))
        played = players.play(context, page, player, address, "")
    names = {u.split("?")[0].rsplit("/", 1)[-1] for u in fetched}
    return played, names


@pytest.mark.parametrize(("player", "manifest"), players.MATRIX)
def test_chromium_plays_the_av1_rungs_and_fetches_no_other_video(
    browser: Browser,
    served: tuple[FastAPI, Published, str],
    settings: Settings,
    multi_codec: Path,
    player: str,
    manifest: str,
) -> None:
    played, names = _fetched(browser, served, settings, player, manifest, ("av01", "avc1", "mp4a"))
    assert played.errors == []
    assert played.position > players.PLAYED_SECONDS
    assert played.height in HEIGHTS
    files = video_files(multi_codec)
    video = {files[name] for name in names if name in files}
    assert video == {"av01"}, sorted(n for n in names if n in files)


def test_a_device_without_av1_plays_the_h264_rungs(
    browser: Browser,
    served: tuple[FastAPI, Published, str],
    settings: Settings,
    multi_codec: Path,
) -> None:
    played, names = _fetched(browser, served, settings, "hlsjs", "master.m3u8", ("avc1", "mp4a"))
    assert played.errors == []
    assert played.position > players.PLAYED_SECONDS
    files = video_files(multi_codec)
    assert {files[name] for name in names if name in files} == {"avc1"}

"""hls.js, dash.js and Shaka Player each play one clear and one cbcs package, HLS and DASH.

The clip goes through the real pipeline twice (clear, and encrypted with a key); the
players, from web/node_modules, run in Debian's Chromium and fetch the package, and for
the encrypted one a ClearKey licence answered the way the app's licence endpoint answers
(`licenses.license_response`). Each passes when the video's clock is past 3 s with no
player error. The app's own licence endpoint, with sessions, is driven by
test_browser_eme.py.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from marquee.media.encode import EncodeOptions
from marquee.media.encrypt import Protection
from marquee.media.pipeline import PACKAGE_DIR, PipelineOptions, run_pipeline
from marquee.media.subtitles import SubtitleInput
from marquee.playback import licenses
from marquee.versions.content_keys import TitleKey
from tests import services
from tests.media import sources as media
from tests.playback import players

KEY = TitleKey(title_id=uuid.uuid4(), kid=uuid.uuid4(), key=os.urandom(16))


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("players")
    clip = media.make_clip(work / "clip.mp4", size="426x240", seconds=6)
    srt = work / "en.srt"
    srt.write_text(media.SRT, encoding="utf-8")
    out: dict[str, Path] = {}
    for name, protection in (("clear", None), ("cbcs", Protection(kid=KEY.kid, key=KEY.key))):
        options = PipelineOptions(
            encode=EncodeOptions(preset="superfast", segment_seconds=2.0, protection=protection),
            with_artwork=False,
        )
        result = run_pipeline(
            clip, work / name, subtitles=[SubtitleInput(srt, "en")], options=options
        )
        out[name] = result.package.out_dir
    assert out["clear"].name == PACKAGE_DIR
    return out


async def licence(request: Request) -> Response:
    """A ClearKey licence for exactly the test's KID, as the app's endpoint answers one."""
    asked = json.loads(await request.body())
    if asked.get("kids") != [licenses.b64url(KEY.kid.bytes)]:
        return JSONResponse({"detail": "unknown key id"}, status_code=403)
    return JSONResponse(licenses.license_response([KEY]))


@pytest.fixture(scope="module")
def base(packages: dict[str, Path]) -> Iterator[str]:
    routes = [
        Route("/license", licence, methods=["POST"]),
        *(Mount(f"/media/{name}", StaticFiles(directory=path)) for name, path in packages.items()),
    ]
    with services.serve_app(Starlette(routes=routes), services.free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with players.launch_browser() as chromium:
        yield chromium


@pytest.fixture
def context(browser: Browser, base: str) -> Iterator[tuple[BrowserContext, str]]:
    """A browser context and the players' page on the media server's origin."""
    with players.player_context(browser, base) as found:
        yield found


@pytest.mark.parametrize("package", ["clear", "cbcs"])
@pytest.mark.parametrize(("player", "manifest"), players.MATRIX)
def test_every_player_plays_every_stream(
    context: tuple[BrowserContext, str], base: str, player: str, manifest: str, package: str
) -> None:
    licence = f"{base}/license" if package == "cbcs" else ""
    url = f"{base}/media/{package}/{manifest}"
    played = players.play(*context, player, url, licence)
    assert played.errors == []
    assert played.position > players.PLAYED_SECONDS


@pytest.mark.parametrize(("player", "manifest"), players.MATRIX)
def test_without_a_licence_no_player_shows_a_frame(
    context: tuple[BrowserContext, str], base: str, player: str, manifest: str
) -> None:
    url = f"{base}/media/cbcs/{manifest}"
    assert players.play(*context, player, url, "", wait_ms=8_000).position == 0


CUES = """(() => { const v = document.getElementById('v');
  return Array.from(v.textTracks).reduce((n, t) => n + (t.cues ? t.cues.length : 0), 0); })()"""
CUE_STARTS = """(() => Array.from(document.getElementById('v').textTracks)
  .flatMap((t) => Array.from(t.cues || []).map((c) => c.startTime)))()"""


@pytest.mark.parametrize(("player", "manifest"), players.MATRIX)
def test_every_player_reads_the_subtitles(
    context: tuple[BrowserContext, str], base: str, player: str, manifest: str
) -> None:
    browser_context, page_url = context
    page = browser_context.new_page()
    try:
        page.goto(page_url)
        url = f"{base}/media/clear/{manifest}"
        page.evaluate("([p, u]) => { window.play(p, u, ''); }", [player, url])
        page.wait_for_function("document.getElementById('v').currentTime > 1", timeout=30_000)
        # Show the first text track, whichever way the player exposes it.
        page.evaluate(
            "Array.from(document.getElementById('v').textTracks)"
            ".forEach((t, i) => { t.mode = i === 0 ? 'showing' : t.mode; })"
        )
        page.wait_for_function(f"{CUES} >= 2", timeout=15_000)
        starts: list[float] = page.evaluate(CUE_STARTS)
    finally:
        page.close()
    # On the media's own clock: the SRT's cues start at 0.5 s and 3 s into the programme.
    assert {round(start, 1) for start in starts} == {0.5, 3.0}, starts

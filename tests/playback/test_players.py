"""hls.js, dash.js and Shaka Player each play one clear and one cbcs package, HLS and DASH.

The clip goes through the real pipeline twice (clear, and encrypted with a key); the
players, from web/node_modules, run in Debian's Chromium and fetch the package, and for
the encrypted one a ClearKey licence answered the way the app's licence endpoint answers
(`licenses.license_response`). Each passes when the video's clock is past 3 s with no
player error. The app's own licence endpoint, with sessions, is driven by
test_browser_eme.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
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

ROOT = Path(__file__).resolve().parents[2]
MODULES = ROOT / "web" / "node_modules"
LIBRARIES = {
    "shaka.js": MODULES / "shaka-player/dist/shaka-player.compiled.js",
    "hls.js": MODULES / "hls.js/dist/hls.min.js",
    "dash.js": MODULES / "dashjs/dist/modern/umd/dash.all.min.js",
}
CHROMIUM = "/usr/bin/chromium"
# What an integrator of Shaka + HLS + ClearKey adds: the key fetched from the licence endpoint.
SHAKA_KEYS = Path(__file__).with_name("shaka_hls_keys.js")
PLAYED_SECONDS = 3.0
KEY = TitleKey(title_id=uuid.uuid4(), kid=uuid.uuid4(), key=os.urandom(16))

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>players</title>
<script src="/lib/shaka.js"></script><script src="/lib/hls.js"></script>
<script src="/lib/dash.js"></script></head>
<body><video id="v" muted playsinline></video>
<script>
window.errors = [];
SHAKA_KEYS

const fail = (what) => window.errors.push(String(what));
const players = {
  async shaka(video, url, licence) {
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    await player.attach(video);
    player.configure({drm: {servers: licence ? {"org.w3.clearkey": licence} : {}}});
    if (licence && url.endsWith(".m3u8")) {
      const master = await (await fetch(url)).text();
      const config = await shakaHlsClearKeys(master, licence);
      if (config) player.configure(config);
    }
    player.addEventListener("error", (e) => fail("shaka " + e.detail.code));
    await player.load(url);
  },
  async hlsjs(video, url, licence) {
    const config = licence
      ? {emeEnabled: true, drmSystems: {"org.w3.clearkey": {licenseUrl: licence}}}
      : {};
    const player = new Hls(config);
    player.on(Hls.Events.ERROR, (_, data) => { if (data.fatal) fail("hls.js " + data.details); });
    player.loadSource(url);
    player.attachMedia(video);
  },
  async dashjs(video, url, licence) {
    const player = dashjs.MediaPlayer().create();
    if (licence) player.setProtectionData({"org.w3.clearkey": {serverURL: licence}});
    player.on(dashjs.MediaPlayer.events.ERROR, (e) => fail("dash.js " + JSON.stringify(e.error)));
    player.initialize(video, url, true);
  },
};
window.play = async (name, url, licence) => {
  const video = document.getElementById("v");
  video.addEventListener("error", () => fail("video " + (video.error && video.error.message)));
  try {
    await players[name](video, url, licence);
    await video.play();
  } catch (e) {
    fail(e && (e.code || e.message) || e);
  }
};
</script></body></html>
"""


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


async def _licence(request: Request) -> Response:
    """A ClearKey licence for exactly the test's KID, as the app's endpoint answers one."""
    asked = json.loads(await request.body())
    if asked.get("kids") != [licenses.b64url(KEY.kid.bytes)]:
        return JSONResponse({"detail": "unknown key id"}, status_code=403)
    return JSONResponse(licenses.license_response([KEY]))


def _page() -> str:
    return PAGE.replace("SHAKA_KEYS", SHAKA_KEYS.read_text())


@pytest.fixture(scope="module")
def base(packages: dict[str, Path]) -> Iterator[str]:
    routes = [
        Route("/page.html", lambda request: HTMLResponse(_page())),
        Route("/license", _licence, methods=["POST"]),
        *(
            Route(f"/lib/{name}", lambda request, path=path: FileResponse(path))
            for name, path in LIBRARIES.items()
        ),
        *(Mount(f"/media/{name}", StaticFiles(directory=path)) for name, path in packages.items()),
    ]
    with services.serve_app(Starlette(routes=routes), services.free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    args = ["--no-sandbox", "--disable-background-networking"]
    args.append("--autoplay-policy=no-user-gesture-required")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield chromium
        chromium.close()


def play(
    browser: Browser, base: str, player: str, url: str, licence: str, *, wait_ms: int = 30_000
) -> tuple[float, list[str]]:
    """The clock the player reached (past 3 s, or where it was when it failed) and its errors."""
    page = browser.new_page()
    try:
        page.goto(f"{base}/page.html")
        # Not awaited: a player waiting for a key that never comes would block the call.
        page.evaluate("([p, u, l]) => { window.play(p, u, l); }", [player, url, licence])
        # A stall is no exception here: the position reached reports it.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                f"document.getElementById('v').currentTime > {PLAYED_SECONDS}"
                " || window.errors.length > 0",
                timeout=wait_ms,
            )
        errors: list[str] = page.evaluate("window.errors")
        return float(page.evaluate("document.getElementById('v').currentTime")), errors
    finally:
        page.close()


MATRIX = [
    ("shaka", "master.m3u8"),
    ("shaka", "manifest.mpd"),
    ("hlsjs", "master.m3u8"),
    ("dashjs", "manifest.mpd"),
]


@pytest.mark.parametrize("package", ["clear", "cbcs"])
@pytest.mark.parametrize(("player", "manifest"), MATRIX)
def test_every_player_plays_every_stream(
    browser: Browser, base: str, player: str, manifest: str, package: str
) -> None:
    licence = f"{base}/license" if package == "cbcs" else ""
    position, errors = play(browser, base, player, f"{base}/media/{package}/{manifest}", licence)
    assert errors == []
    assert position > PLAYED_SECONDS


@pytest.mark.parametrize(("player", "manifest"), MATRIX)
def test_without_a_licence_no_player_shows_a_frame(
    browser: Browser, base: str, player: str, manifest: str
) -> None:
    position, _ = play(browser, base, player, f"{base}/media/cbcs/{manifest}", "", wait_ms=8_000)
    assert position == 0


CUES = """(() => { const v = document.getElementById('v');
  return Array.from(v.textTracks).reduce((n, t) => n + (t.cues ? t.cues.length : 0), 0); })()"""
CUE_STARTS = """(() => Array.from(document.getElementById('v').textTracks)
  .flatMap((t) => Array.from(t.cues || []).map((c) => c.startTime)))()"""


@pytest.mark.parametrize(("player", "manifest"), MATRIX)
def test_every_player_reads_the_subtitles(
    browser: Browser, base: str, player: str, manifest: str
) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{base}/page.html")
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

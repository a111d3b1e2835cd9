"""hls.js, dash.js and Shaka Player from web/node_modules on one page, driven in Chromium.

Shared by the player tests (on test packages) and `bench/served_playback.py` (on the served
demo): the page, how it is served next to the media, the browser, and `play`, which reports
how far a player got and what it complained about.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import Browser, BrowserContext, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
# (player, manifest): every stream each player supports.
MATRIX = [
    ("shaka", "master.m3u8"),
    ("shaka", "manifest.mpd"),
    ("hlsjs", "master.m3u8"),
    ("dashjs", "manifest.mpd"),
]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>players</title>
<script src="lib/shaka.js"></script><script src="lib/hls.js"></script>
<script src="lib/dash.js"></script></head>
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


class Played(NamedTuple):
    position: float  # the video's clock when the player passed 3 s, failed or timed out
    errors: list[str]
    height: int  # the height of the picture shown last (0 before the first frame)


def page_html() -> str:
    """The player page; its scripts are under `lib/` next to it."""
    return PAGE.replace("SHAKA_KEYS", SHAKA_KEYS.read_text())


def serve_page(context: BrowserContext, folder: str) -> str:
    """Answer `{folder}page.html` and its `lib/` scripts from here, on any origin.

    Served by the browser itself, the page shares the media's origin: a served app needs
    no CORS setting for its licence endpoint and no other server is started.
    """

    def answer(route: Route) -> None:
        name = route.request.url.removeprefix(folder).split("?")[0]
        if name == "page.html":
            route.fulfill(body=page_html(), content_type="text/html; charset=utf-8")
        elif name.startswith("lib/") and name[4:] in LIBRARIES:
            route.fulfill(path=LIBRARIES[name[4:]], content_type="text/javascript")
        else:
            route.fulfill(status=404, body="")

    context.route(f"{folder}**", answer)
    return f"{folder}page.html"


@contextlib.contextmanager
def launch_browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, allowed to autoplay."""
    args = ["--no-sandbox", "--disable-background-networking"]
    args.append("--autoplay-policy=no-user-gesture-required")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def player_context(browser: Browser, base: str) -> Iterator[tuple[BrowserContext, str]]:
    """A fresh browser context whose `page.html` (the players) sits on `base`'s origin."""
    context = browser.new_context()
    try:
        yield context, serve_page(context, f"{base.rstrip('/')}/__players/")
    finally:
        context.close()


def play(
    context: BrowserContext,
    page_url: str,
    player: str,
    url: str,
    licence: str,
    *,
    wait_ms: int = 30_000,
) -> Played:
    """How far the player got (past 3 s, or where it was when it failed) and its errors."""
    page = context.new_page()
    try:
        page.goto(page_url)
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
        position = float(page.evaluate("document.getElementById('v').currentTime"))
        return Played(
            position, errors, int(page.evaluate("document.getElementById('v').videoHeight"))
        )
    finally:
        page.close()

"""Protected playback on a served demo: every player, the plan's ceiling, a stop, the MPD's clock.

    uv run --frozen python bench/served_playback.py [--base http://127.0.0.1:8000]

Against a running `marquee demo`, over HTTP only, as its viewers: the premium demo viewer,
a MovieLens history account (standard) and a fresh account the demo admin puts on the basic
plan. For each plan, hls.js, dash.js and Shaka Player (from web/node_modules, in Debian's
Chromium) each play a clear and an encrypted demo title, HLS and DASH as each supports,
in a session of their own, and pass past 3 s with no player error; Shaka and hls.js also
play the native-HLS link form, whose token is in the session's media cookie. Then:

- the plan's ceiling: every file of the 1080p rendition (found from a premium session's
  playlists) is asked for by a basic session in every spelling a viewer could edit the URL
  to (its lane, a lane the scope allows, no lane, the scope edited to list 1080; and in the
  native-HLS cookie form, with its own cookie and with the cookie's scope widened); each must
  answer 403, with no media byte. The premium session fetching the same files is the baseline;
- a stop: the seconds from `stop` to the session's segment answering 403;
- the MPD's `mediaPresentationDuration` next to the media's real duration, read by PyAV from
  the lowest rendition's segments and the audio's, joined.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import av
import httpx
from playwright.sync_api import BrowserContext

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.playback import players  # noqa: E402

from marquee.delivery import renditions  # noqa: E402
from marquee.delivery.signing import LANE, MEDIA_COOKIE  # noqa: E402

PASSWORD = "marquee-demo"
PREMIUM = "viewer@marquee.demo"
STANDARD = "ml-user-1@marquee.demo"
ADMIN = "admin@marquee.demo"
CEILING = 1080
# The native-HLS link form (token in the session's media cookie), played by the HLS players.
COOKIE_FORM = "cookie"
BY_COOKIE = [("shaka", COOKIE_FORM), ("hlsjs", COOKIE_FORM)]
_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")
_MPD = "{urn:mpeg:dash:schema:mpd:2011}"


@dataclass(frozen=True)
class Viewer:
    plan: str
    email: str
    headers: dict[str, str]
    profile_id: str


@dataclass(frozen=True)
class Cell:
    plan: str
    kind: str  # clear | encrypted
    player: str
    manifest: str
    played: players.Played
    seconds: float  # from opening the page to past 3 s (or giving up)

    @property
    def passed(self) -> bool:
        return not self.played.errors and self.played.position > players.PLAYED_SECONDS


def sign_in(http: httpx.Client, email: str, plan: str) -> Viewer:
    answer = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    answer.raise_for_status()
    headers = {"Authorization": f"Bearer {answer.json()['tokens']['access_token']}"}
    profiles = http.get("/api/v1/me/profiles", headers=headers).json()["items"]
    return Viewer(plan, email, headers, profiles[0]["id"])


def basic_viewer(http: httpx.Client, admin: Viewer) -> Viewer:
    """A new account, put on the basic plan by the demo admin."""
    email = f"basic-{secrets.token_hex(4)}@marquee.demo"
    password = f"Basic-{secrets.token_urlsafe(12)}"
    made = http.post("/api/v1/auth/register", json={"email": email, "password": password})
    made.raise_for_status()
    user_id = made.json()["user"]["id"]
    granted = http.put(
        f"/api/v1/admin/users/{user_id}/subscription",
        json={"plan": "basic", "period_days": 30},
        headers=admin.headers,
    )
    granted.raise_for_status()
    headers = {"Authorization": f"Bearer {made.json()['tokens']['access_token']}"}
    profiles = http.get("/api/v1/me/profiles", headers=headers).json()["items"]
    return Viewer("basic", email, headers, profiles[0]["id"])


def start(http: httpx.Client, viewer: Viewer, title_id: str) -> dict[str, Any]:
    body = {"profile_id": viewer.profile_id, "title_id": title_id}
    answer = http.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
    answer.raise_for_status()
    started: dict[str, Any] = answer.json()
    jar: SimpleCookie = SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        jar.load(header)
    started["cookie"] = jar[MEDIA_COOKIE].value if MEDIA_COOKIE in jar else ""
    return started


def stop(http: httpx.Client, viewer: Viewer, started: dict[str, Any]) -> None:
    url = f"/api/v1/playback/sessions/{started['session_id']}/stop"
    http.post(url, json={"position": 0.0}, headers=viewer.headers).raise_for_status()


def pick_titles(http: httpx.Client, viewer: Viewer) -> dict[str, str]:
    """A clear title and an encrypted one with a 1080p rendition, from the first rows."""
    listed = http.get(
        "/api/v1/titles",
        params={"limit": 24, "profile_id": viewer.profile_id},
        headers=viewer.headers,
    )
    found: dict[str, str] = {}
    for item in listed.json()["items"]:
        started = start(http, viewer, item["id"])
        stop(http, viewer, started)
        if started["license_url"] is None:
            found.setdefault("clear", item["id"])
        elif started["max_height"] >= CEILING:
            found.setdefault("encrypted", item["id"])
        if len(found) == 2:
            return found
    raise SystemExit(f"the first titles lack a clear or an encrypted 1080p one: {found}")


def play_matrix(
    base: str, http: httpx.Client, viewers: list[Viewer], titles: dict[str, str]
) -> list[Cell]:
    cells: list[Cell] = []
    with (
        players.launch_browser() as browser,
        players.player_context(browser, base) as (context, page_url),
    ):
        for viewer in viewers:
            for kind, title_id in titles.items():
                for player, manifest in [*players.MATRIX, *BY_COOKIE]:
                    started = start(http, viewer, title_id)
                    url = base + _manifest_url(started, manifest, context, base)
                    licence = base + started["license_url"] if started["license_url"] else ""
                    began = time.perf_counter()
                    played = players.play(context, page_url, player, url, licence)
                    took = time.perf_counter() - began
                    stop(http, viewer, started)
                    cells.append(Cell(viewer.plan, kind, player, manifest, played, took))
    return cells


def _manifest_url(
    started: dict[str, Any], manifest: str, context: BrowserContext, base: str
) -> str:
    """The session's manifest; for the cookie form, the start's cookie handed to the browser
    (as a browser keeps it from the start's answer), scoped to the session's media."""
    if manifest == COOKIE_FORM:
        folder = f"{base}/media/{started['session_id']}/"
        cookie = {"name": MEDIA_COOKIE, "value": started["cookie"], "url": folder}
        context.add_cookies([{**cookie, "secure": True, "httpOnly": True, "sameSite": "Strict"}])
        return str(started["native_hls_url"])
    return str(started["hls_url"] if manifest.endswith("m3u8") else started["dash_url"])


def _prefix(started: dict[str, Any]) -> str:
    return str(started["hls_url"]).removesuffix("master.m3u8")


def video_files(http: httpx.Client, started: dict[str, Any]) -> dict[str, int]:
    """Every video file the session's playlists name, by its path in the version (no lane)."""
    prefix = _prefix(started)

    def read(relative: str) -> bytes | None:
        answer = http.get(prefix + relative)
        return answer.content if answer.status_code == 200 else None

    found = {}
    for path, height in renditions.build(read).exact.items():
        in_lane = LANE.match(path)
        found[in_lane.group(2) if in_lane else path] = height
    return found


def _lane(prefix: str, height: int) -> str:
    return prefix + f"v{height}/"


@dataclass(frozen=True)
class Ceiling:
    files: int
    asked: int
    refused: int  # 403 problem+json
    media_bytes: int  # bytes of any answer that was not a refusal
    baseline_ok: int  # the premium session's 200s for the same files
    basic_heights: tuple[int, ...]


def ceiling(http: httpx.Client, basic: Viewer, premium: Viewer, title_id: str) -> Ceiling:
    full = start(http, premium, title_id)
    capped = start(http, basic, title_id)
    try:
        files = {f: h for f, h in video_files(http, full).items() if h == CEILING}
        top = _prefix(full)
        baseline = sum(http.get(_lane(top, CEILING) + f).status_code == 200 for f in files)
        mine = _prefix(capped)
        scope = mine.split("/")[5]
        edited = mine.replace(f"/{scope}/", f"/{scope}-{CEILING}/")
        allowed = renditions.index_hls(
            http.get(mine + "master.m3u8").text, lambda _: None, "master.m3u8"
        )
        native = str(capped["native_hls_url"]).removesuffix("master.m3u8")
        cookie = str(capped["cookie"])
        widened = cookie.replace(f".{scope}", f".{scope}-{CEILING}")
        # (URL, media cookie): the path-token form edited four ways, the cookie form two.
        spellings: list[Callable[[str], tuple[str, str]]] = [
            lambda f: (_lane(mine, CEILING) + f, ""),
            lambda f: (_lane(mine, max(allowed.values())) + f, ""),
            lambda f: (mine + f, ""),
            lambda f: (_lane(edited, CEILING) + f, ""),
            lambda f: (_lane(native, CEILING) + f, cookie),
            lambda f: (_lane(native, CEILING) + f, widened),
        ]
        asked = refused = media = 0
        for file in files:
            for spell in spellings:
                url, sent = spell(file)
                headers = {"Cookie": f"{MEDIA_COOKIE}={sent}"} if sent else {}
                answer = http.get(url, headers=headers)
                asked += 1
                problem = answer.headers.get("content-type", "").startswith("application/problem")
                if answer.status_code == 403 and problem:
                    refused += 1
                else:
                    media += len(answer.content)
        heights = tuple(sorted(set(allowed.values())))
        return Ceiling(len(files), asked, refused, media, baseline, heights)
    finally:
        stop(http, premium, full)
        stop(http, basic, capped)


def stopped_after(http: httpx.Client, viewer: Viewer, title_id: str, limit: float) -> float:
    """Seconds from `stop` to the session's first segment answering 403."""
    started = start(http, viewer, title_id)
    files = video_files(http, started)
    height = min(files.values())
    segment = next(f for f, h in files.items() if h == height and f.endswith(".m4s"))
    url = _lane(_prefix(started), height) + segment
    assert http.get(url).status_code == 200, "a live session's segment must answer"
    stop(http, viewer, started)
    stopped = time.monotonic()
    while time.monotonic() - stopped < limit:
        if http.get(url).status_code == 403:
            return time.monotonic() - stopped
        time.sleep(0.5)
    return float("inf")


def mpd_seconds(document: bytes) -> float:
    text = ET.fromstring(document).get("mediaPresentationDuration") or ""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _playlist_files(http: httpx.Client, prefix: str, playlist: str) -> list[str]:
    """The init section and the segments of one media playlist, in order."""
    body = http.get(prefix + playlist).text
    folder = playlist.rsplit("/", 1)[0] + "/" if "/" in playlist else ""
    found = re.findall(r'#EXT-X-MAP:URI="([^"]+)"', body)
    found += [line for line in body.splitlines() if line and not line.startswith("#")]
    return [folder + name for name in found]


def _stream_seconds(path: Path, kind: str) -> float:
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == kind)
        ends, starts = [], []
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            starts.append(packet.pts)
            ends.append(packet.pts + (packet.duration or 0))
        assert stream.time_base is not None
        return float((max(ends) - min(starts)) * stream.time_base)


def media_seconds(http: httpx.Client, started: dict[str, Any], work: Path) -> dict[str, float]:
    """The real durations of the lowest video rendition and the first audio, by PyAV."""
    prefix = _prefix(started)
    master = http.get(prefix + "master.m3u8").text
    lowest = min(
        (v for v in renditions.hls_variants(master, "master.m3u8") if "iframe" not in v[0]),
        key=lambda v: v[1],
    )
    playlists = {"video": lowest[0]}
    audio = re.search(r'#EXT-X-MEDIA:TYPE=AUDIO[^\n]*URI="([^"]+)"', master)
    if audio is not None:
        playlists["audio"] = audio.group(1)
    found: dict[str, float] = {}
    for kind, playlist in playlists.items():
        joined = work / f"{kind}.mp4"
        with joined.open("wb") as out:
            for file in _playlist_files(http, prefix, playlist):
                answer = http.get(prefix + file)
                answer.raise_for_status()
                out.write(answer.content)
        found[kind] = _stream_seconds(joined, kind)
    return found


def _table(cells: list[Cell]) -> None:
    print("| plan | title | player | stream | result | clock (s) | height | to 3 s (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for c in cells:
        result = "plays" if c.passed else f"FAILS {c.played.errors[:1]}"
        stream = {"master.m3u8": "HLS", COOKIE_FORM: "HLS by cookie"}.get(c.manifest, "DASH")
        print(
            f"| {c.plan} | {c.kind} | {c.player} | {stream} | {result} | "
            f"{c.played.position:.2f} | {c.played.height} | {c.seconds:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--stop-limit", type=float, default=90.0)
    args = parser.parse_args()
    base = args.base.rstrip("/")
    print(f"load at start: {os.getloadavg()}")
    with httpx.Client(base_url=base, timeout=30.0) as http:
        premium = sign_in(http, PREMIUM, "premium")
        viewers = [basic_viewer(http, sign_in(http, ADMIN, "admin"))]
        viewers += [sign_in(http, STANDARD, "standard"), premium]
        titles = pick_titles(http, premium)
        cells = play_matrix(base, http, viewers, titles)
        _table(cells)
        print(f"\nplays: {sum(c.passed for c in cells)}/{len(cells)}")
        capped = ceiling(http, viewers[0], premium, titles["encrypted"])
        print(
            f"\n1080p files: {capped.files}; basic asked {capped.asked} spellings, "
            f"{capped.refused} refused 403, {capped.media_bytes} media bytes received; "
            f"premium baseline {capped.baseline_ok}/{capped.files} answered 200; "
            f"basic master lists heights {capped.basic_heights}"
        )
        seconds = stopped_after(http, viewers[1], titles["clear"], args.stop_limit)
        print(f"stopped session's segment refused {seconds:.1f} s after stop")
        print("\n| title | MPD duration (s) | video (s) | audio (s) |")
        print("|---|---|---|---|")
        with tempfile.TemporaryDirectory(prefix="served-playback-") as tmp:
            for kind, title_id in titles.items():
                started = start(http, premium, title_id)
                try:
                    declared = mpd_seconds(http.get(base + started["dash_url"]).content)
                    real = media_seconds(http, started, Path(tmp))
                finally:
                    stop(http, premium, started)
                cells = [f"{real[k]:.3f}" if k in real else "no audio" for k in ("video", "audio")]
                print(f"| {kind} | {declared:.3f} | {' | '.join(cells)} |")
    print(f"\nload at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()

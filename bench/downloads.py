"""Downloads: the bytes a device stores per quality of a demo title, and how long fetching takes.

A demo clip (`test-card-1080p` of `marquee demo`, 20 s, encrypted) is encoded and attached
to one title; the app runs under uvicorn as `marquee serve` does. For each quality of its
ladder, a download is made (POST .../downloads) and every file a device stores for it is
fetched over HTTP as Shaka's offline storage fetches it: the master, the chosen video
rendition's playlist, init and segments, and the audio's. The baseline in the same run
fetches the same files through a playback session started at the same height, so the
ratio is what the download's own checks and links cost over streaming the same bytes.
Prints the median per quality over `--rounds`, and the load average at start and end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen
from playback_setup import Catalogue, app_server, make_settings, make_viewers, temp_root

from marquee.accounts import billing
from marquee.accounts.models import User
from marquee.catalog.models import WORLDWIDE, Availability, PublishState, Title, TitleKind
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.demo.media import DEMO_CLIPS, attach_demo_media
from marquee.maturity import level
from marquee.models import Base
from marquee.runtime import Runtime
from marquee.versions.models import MediaVersion

CLIP = next(c for c in DEMO_CLIPS if c.key == "test-card-1080p")


def make_title(root: Path) -> tuple[Catalogue, list[int]]:
    """One published movie with the demo clip attached; its ladder's video heights."""
    settings = make_settings(root, None)
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
        title = Title(
            kind=TitleKind.MOVIE,
            slug="downloads-bench",
            name="Downloads bench",
            sort_name="downloads bench",
            release_year=2024,
            maturity_rating="PG",
            maturity_level=int(level("PG")),
            state=PublishState.PUBLISHED,
            published_at=utcnow(),
            encrypted=True,
        )
        session.add(title)
        session.flush()
        since = datetime(2000, 1, 1, tzinfo=UTC)
        session.add(Availability(title_id=title.id, country=WORLDWIDE, starts_at=since))
        title_id = title.id
    engine.dispose()
    runtime = Runtime.from_settings(settings)
    try:
        # Its own cache: the clip is encrypted with this run's key, and a cached copy under
        # another key (the demo's) would be replaced.
        attach_demo_media(runtime=runtime, clips=[CLIP], cache_dir=root / "cache")
        with runtime.sessionmaker() as session:
            title = session.get(Title, title_id)
            assert title is not None
            assert title.current_version_id is not None
            version = session.get(MediaVersion, title.current_version_id)
            assert version is not None
            heights = sorted({r.height for r in version.renditions})
            version_id = version.id
    finally:
        runtime.close()
    return Catalogue(root, settings, title_id, version_id, []), heights


def _uris(text: str) -> list[str]:
    """A playlist's URIs: its plain lines and the `URI="..."` of its tags (init, media)."""
    found = []
    for line in (raw.strip() for raw in text.splitlines()):
        if line and not line.startswith("#"):
            found.append(line)
        elif 'URI="' in line:
            found.append(line.split('URI="', 1)[1].split('"', 1)[0])
    # Key URIs (`data:`, `skd:`) name a key, not a file the device stores.
    return [uri for uri in found if ":" not in uri]


def fetch_rendition(http: httpx.Client, hls_url: str, height: int) -> int:
    """Every file a device stores for `height` (video lane and audio); returns the bytes."""
    prefix = hls_url.rsplit("/", 1)[0] + "/"
    master = http.get(hls_url).raise_for_status().text
    total = len(master.encode())
    playlists = [u for u in _uris(master) if u.startswith(f"v{height}/") or "audio" in u]
    for playlist in dict.fromkeys(playlists):
        if not playlist.endswith(".m3u8"):
            continue
        body = http.get(prefix + playlist).raise_for_status().text
        total += len(body.encode())
        folder = playlist.rsplit("/", 1)[0] + "/" if "/" in playlist else ""
        for uri in dict.fromkeys(_uris(body)):
            total += len(http.get(prefix + folder + uri).raise_for_status().content)
    return total


def one_download(
    http: httpx.Client, profile_id: uuid.UUID, title_id: uuid.UUID, height: int
) -> tuple[float, int]:
    url = f"/api/v1/profiles/{profile_id}/downloads"
    began = time.perf_counter()
    made = http.post(
        url, json={"title_id": str(title_id), "device_id": "bench-device", "quality": height}
    )
    made.raise_for_status()
    size = fetch_rendition(http, made.json()["media"]["hls_url"], height)
    seconds = time.perf_counter() - began
    http.delete(f"{url}/{made.json()['id']}").raise_for_status()
    return seconds, size


def one_stream(
    http: httpx.Client, profile_id: uuid.UUID, title_id: uuid.UUID, height: int
) -> tuple[float, int]:
    body = {
        "profile_id": str(profile_id),
        "title_id": str(title_id),
        "device": {"max_height": height},
    }
    began = time.perf_counter()
    started = http.post("/api/v1/playback/sessions", json=body).raise_for_status().json()
    size = fetch_rendition(http, started["hls_url"], height)
    seconds = time.perf_counter() - began
    http.post(f"/api/v1/playback/sessions/{started['session_id']}/stop", json={"position": 0})
    return seconds, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at the start: {loadgen.load()}")
    with temp_root() as tmp:
        began = time.perf_counter()
        catalogue, heights = make_title(Path(tmp))
        print(
            f"demo clip {CLIP.key} ready in {time.perf_counter() - began:.1f} s; ladder {heights}"
        )
        viewer = make_viewers(catalogue, 1)[0]
        engine = make_engine(catalogue.settings.resolved_database_url)
        with transaction(make_sessionmaker(engine)) as session:
            # Premium: every rung of a 1080p ladder is within its ceiling.
            user = session.get(User, viewer.user_id)
            assert user is not None
            billing.grant_plan(session=session, user=user, plan_code="premium", period_days=30)
        engine.dispose()
        with app_server(catalogue.settings, workers=1) as port:
            headers = {"Authorization": f"Bearer {viewer.token}"}
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
            ) as http:
                report(http, viewer.profile_id, catalogue.title_id, heights, args.rounds)
    print(f"load average at the end: {loadgen.load()}")


def report(
    http: httpx.Client, profile_id: uuid.UUID, title_id: uuid.UUID, heights: list[int], rounds: int
) -> None:
    print(f"{'quality':>8} {'stored':>10} {'download s':>11} {'stream s':>9} {'ratio':>6}")
    for height in heights:
        downloads, streams, sizes = [], [], set()
        for _ in range(rounds):  # interleaved, so load changes hit both alike
            seconds, size = one_download(http, profile_id, title_id, height)
            downloads.append(seconds)
            sizes.add(size)
            seconds, size = one_stream(http, profile_id, title_id, height)
            streams.append(seconds)
            sizes.add(size)
        assert len(sizes) == 1, f"download and stream fetched different bytes: {sizes}"
        d, s = statistics.median(downloads), statistics.median(streams)
        print(f"{height:>7}p {sizes.pop() / 1e6:>8.2f} MB {d:>11.3f} {s:>9.3f} {d / s:>6.2f}")


if __name__ == "__main__":
    main()

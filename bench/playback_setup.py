"""Shared set-up of the playback benchmarks: a packaged title, viewers, the app, nginx.

Everything lives in one temporary folder: a SQLite database (or `--database-url`), the
local media store, the app under uvicorn in its own processes (as `marquee serve` runs
it), the nginx edge rendered from deploy/nginx/marquee.conf, and a plain nginx serving
the same files from disk with no checks at all (the baseline).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen

from marquee.accounts import billing
from marquee.accounts.models import Profile, User
from marquee.accounts.security import issue_access_token
from marquee.catalog.models import WORLDWIDE, Availability, PublishState, Title, TitleKind
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.delivery import lanes, signing
from marquee.delivery.edge import EdgeOptions, Upstreams, nginx_config, prepare_dirs
from marquee.ingest.publish import store_outputs
from marquee.maturity import level
from marquee.media.encode import EncodeOptions
from marquee.media.ffmpeg import ffmpeg_exe
from marquee.media.pipeline import PipelineOptions, run_pipeline
from marquee.models import Base
from marquee.playback.models import PlaybackSession
from marquee.storage import keys
from marquee.storage.base import read_all
from marquee.storage.local import LocalStore
from marquee.versions import service as versions

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIB = 1024 * 1024
# The process behind each server port, to read the CPU time its processes spent.
SERVER_PIDS: dict[int, int] = {}


def cpu_seconds(port: int) -> float:
    """User + system CPU seconds of the server on `port`: its process and its children.

    On a machine shared with other work, CPU time per request is a steadier measure of a
    server's cost than wall-clock throughput, which the neighbours' load moves around.
    """
    root = SERVER_PIDS[port]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root or ppid == root:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


Paths = Callable[[int], str]


def interleaved_rounds(
    targets: dict[str, tuple[int, Paths]],
    *,
    connections: int,
    seconds: float,
    rounds: int,
    warm_connections: int,
    warm_seconds: float,
) -> dict[str, list[loadgen.Samples]]:
    """Samples per target over short rounds, interleaved and alternating in order, so that
    every target sees the same background load on a shared machine; ratios are taken per
    round. Each sample carries the server's CPU seconds for its round."""
    results: dict[str, list[loadgen.Samples]] = {name: [] for name in targets}

    async def go() -> None:
        for port, paths in targets.values():  # warms caches: page cache, edge cache, sessions
            await loadgen.closed_loop(
                "127.0.0.1", port, paths, connections=warm_connections, seconds=warm_seconds
            )
        order = list(targets.items())
        for n in range(rounds):
            for name, (port, paths) in order if n % 2 == 0 else order[::-1]:
                before = cpu_seconds(port)
                samples = await loadgen.closed_loop(
                    "127.0.0.1", port, paths, connections=connections, seconds=seconds
                )
                samples.cpu = cpu_seconds(port) - before
                results[name].append(samples)

    loadgen.run(go)
    return results


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@dataclass
class Catalogue:
    root: Path
    settings: Settings
    title_id: uuid.UUID
    version_id: uuid.UUID
    files: list[str]  # relative paths inside the version


def make_settings(root: Path, database_url: str | None) -> Settings:
    return Settings(
        var_dir=root / "var",
        database_url=database_url or f"sqlite:///{root / 'bench.db'}",
        json_logs=False,
        log_level="WARNING",
        access_token_ttl_seconds=7200,
    )


def make_catalogue(root: Path, database_url: str | None, *, synthetic_mib: float = 0) -> Catalogue:
    """Package 12 s of 720p test video and publish it; optionally add 20 synthetic segments."""
    settings = make_settings(root, database_url)
    settings.resolved_media_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    clip = root / "clip.mp4"
    source = "testsrc2=size=1280x720:rate=25:duration=12"
    command = [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
    command += ["-f", "lavfi", "-i", "sine=frequency=440:duration=12", "-c:v", "libx264"]
    command += ["-preset", "superfast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)]
    subprocess.run(command, check=True)
    result = run_pipeline(
        clip,
        root / "work",
        options=PipelineOptions(encode=EncodeOptions(preset="superfast"), with_artwork=False),
    )
    store = LocalStore(settings.resolved_media_dir)
    version_id = uuid.uuid4()
    stored = store_outputs(store, version_id, root / "work", result)
    files = [k.removeprefix(keys.version_prefix(version_id)) for k in stored]
    if synthetic_mib:
        files += add_synthetic_rendition(store, version_id, synthetic_mib)
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
        title = Title(
            kind=TitleKind.MOVIE,
            slug="bench",
            name="Bench",
            sort_name="bench",
            release_year=2024,
            maturity_rating="PG",
            maturity_level=int(level("PG")),
            state=PublishState.PUBLISHED,
            published_at=utcnow(),
            encrypted=False,
        )
        session.add(title)
        session.flush()
        since = datetime(2000, 1, 1, tzinfo=UTC)
        session.add(Availability(title_id=title.id, country=WORLDWIDE, starts_at=since))
        version = versions.make_version(
            version_id=version_id,
            target=versions.Target(title.id),
            description=versions.describe(result),
        )
        versions.publish_version(session=session, version=version, target=versions.Target(title.id))
        title_id = title.id
    engine.dispose()
    return Catalogue(root, settings, title_id, version_id, files)


def add_synthetic_rendition(store: LocalStore, version_id: uuid.UUID, mib: float) -> list[str]:
    """A 1080p rendition of 20 random segments of `mib` each, named in the master playlist
    like any other, its files linked into their lane as publishing does."""
    names = [f"bench/seg-{n:05d}.m4s" for n in range(20)]
    for name in names:
        store.put(keys.version_file(version_id, name), [os.urandom(int(mib * MIB))])
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"]
    lines += [line for name in names for line in ("#EXTINF:4.0,", name.removeprefix("bench/"))]
    playlist = "\n".join([*lines, "#EXT-X-ENDLIST", ""]).encode()
    store.put(keys.version_file(version_id, "bench/1080p.m3u8"), [playlist])
    master = read_all(store, keys.manifest_hls(version_id)).decode().rstrip("\n")
    variant = '#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1920x1080,CODECS="avc1.640028"'
    store.put(keys.manifest_hls(version_id), [f"{master}\n{variant}\nbench/1080p.m3u8\n".encode()])
    lanes.write(store, version_id)
    return [*names, "bench/1080p.m3u8"]


@dataclass
class Viewer:
    user_id: uuid.UUID
    profile_id: uuid.UUID
    token: str


def make_viewers(catalogue: Catalogue, n: int) -> list[Viewer]:
    """`n` accounts on the Standard plan with a profile each, and an access token each."""
    settings = catalogue.settings
    engine = make_engine(settings.resolved_database_url)
    viewers = []
    with transaction(make_sessionmaker(engine)) as session:
        for i in range(n):
            user = User(email=f"viewer{i}@bench.example", password_hash="-")
            session.add(user)
            session.flush()
            profile = Profile(user_id=user.id, name="Main", maturity_ceiling=1000)
            session.add(profile)
            billing.grant_plan(session=session, user=user, plan_code="standard", period_days=30)
            session.flush()
            token = issue_access_token(
                secret=settings.secret_key.get_secret_value(),
                user_id=user.id,
                role=user.role.value,
                version=user.token_version,
                now=utcnow(),
                ttl=settings.access_token_ttl_seconds,
            )
            viewers.append(Viewer(user.id, profile.id, token))
    engine.dispose()
    return viewers


def signed_prefixes(catalogue: Catalogue, viewers: list[Viewer]) -> list[str]:
    """One live session per viewer, written as session start would, and its signed prefix."""
    settings = catalogue.settings
    secret = settings.media_link_secret.get_secret_value()
    engine = make_engine(settings.resolved_database_url)
    prefixes = []
    now = utcnow()
    with transaction(make_sessionmaker(engine)) as session:
        for viewer in viewers:
            row = PlaybackSession(
                id=uuid.uuid4(),
                user_id=viewer.user_id,
                profile_id=viewer.profile_id,
                title_id=catalogue.title_id,
                version_id=catalogue.version_id,
                max_height=1080,
                device={"codecs": ["avc1", "mp4a"], "name": "bench"},
                country="US",
                expires_at=now + timedelta(hours=6),
            )
            session.add(row)
            link = signing.sign(
                secret,
                session_id=row.id,
                version_id=row.version_id,
                heights=(row.max_height,),
                expires_at=row.expires_at,
            )
            prefixes.append(link.prefix)
    engine.dispose()
    return prefixes


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "MARQUEE_VAR_DIR": str(settings.var_dir),
        "MARQUEE_DATABASE_URL": settings.resolved_database_url,
        "MARQUEE_JSON_LOGS": "false",
        "MARQUEE_LOG_LEVEL": "WARNING",
        "MARQUEE_ACCESS_TOKEN_TTL_SECONDS": "7200",
    }


@contextmanager
def app_server(settings: Settings, *, workers: int) -> Iterator[int]:
    """The app as `marquee serve` runs it: uvicorn, no access log, `workers` processes."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "marquee.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(command, env=_env(settings))
    SERVER_PIDS[port] = proc.pid
    try:
        wait_for(port, proc)
        time.sleep(0.5 * workers)  # every worker process up, not just the first
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def nginx(config_text: str, folder: Path, port: int) -> Iterator[int]:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "nginx.conf"
    config.write_text(config_text)
    command = [NGINX, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(config)]
    proc = subprocess.Popen([*command, "-g", "daemon off;"])
    SERVER_PIDS[port] = proc.pid
    try:
        wait_for(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def edge_server(
    catalogue: Catalogue, origin_port: int, *, workers: int, media_root: bool = False
) -> Iterator[int]:
    """The production edge template in front of the origin, access log off like the baseline;
    `media_root`: beside the media folder, sending video from its lane tree."""
    port = free_port()
    folder = catalogue.root / ("edge-tree" if media_root else "edge")
    options = EdgeOptions(
        listen=f"127.0.0.1:{port}",
        origins=Upstreams(servers=(f"127.0.0.1:{origin_port}",)),
        cache_dir=folder / "cache",
        run_dir=folder / "run",
        log_dir=folder / "logs",
        user="root" if os.geteuid() == 0 else None,
        worker_processes=str(workers),
        cache_max_size="4g",
        access_log=False,
        media_root=catalogue.settings.resolved_media_dir.resolve() if media_root else None,
    )
    prepare_dirs(options)
    with nginx(nginx_config(catalogue.settings, options), folder, port):
        yield port


STATIC = """
{user}
worker_processes {workers};
pid {folder}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000;
    access_log off;
    open_file_cache max=10000 inactive=60s;
    open_file_cache_valid 60s;
    types {{
        application/vnd.apple.mpegurl m3u8;
        application/dash+xml mpd;
        video/iso.segment m4s;
    }}
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


@contextmanager
def static_server(catalogue: Catalogue, *, workers: int) -> Iterator[int]:
    """Plain nginx serving the version's folder from disk under /static/: no checks at all."""
    port = free_port()
    folder = catalogue.root / "static"
    web_root = folder / "www"
    web_root.mkdir(parents=True, exist_ok=True)
    version_dir = catalogue.settings.resolved_media_dir / keys.version_prefix(catalogue.version_id)
    (web_root / "static").symlink_to(version_dir, target_is_directory=True)
    text = STATIC.format(
        user="user root;" if os.geteuid() == 0 else "",
        workers=workers,
        folder=folder,
        port=port,
        root=web_root,
    )
    with nginx(text, folder, port):
        yield port


def temp_root() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="marquee-bench-")

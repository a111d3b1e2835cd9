"""The drill's clients: simulated viewers through the load balancer and the edge, and an editor
uploading masters over tus and following their ingest jobs.

A viewer presses play, reads the master and a media playlist, fetches segments in turn and
heart-beats its position, as the web player does; every answer that is not a success is a
viewer-visible error, counted against the phase it happened in. Accounts are made in the
stack's database by `seed` (run with the stack's settings): the load balancer is one client
address, and sign-in and sign-up are limited per address, so a few hundred sign-ins from
here would measure the limiter, not the drill.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

PASSWORD = "drill-" + "Vq8rT2pZ"  # strong enough for the password check, never a secret
DEVICE = {"codecs": ["avc1", "mp4a"], "name": "drill"}


@dataclass
class Tally:
    """What viewers saw, by phase: failures by status (or "conn") and kind of request (media,
    heartbeat, start), and requests in all."""

    phase: str = "setup"
    errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    requests: Counter[str] = field(default_factory=Counter)
    acked: dict[int, float] = field(default_factory=dict)  # viewer -> last position taken
    restarts: int = 0

    def count(self, status: int | str, kind: str) -> None:
        self.requests[self.phase] += 1
        if not (isinstance(status, int) and 200 <= status < 300):
            self.errors[self.phase][f"{status} {kind}"] += 1


def _kind(method: str, url: str) -> str:
    if "/media/" in url:
        return "media"
    if url.endswith("/heartbeat"):
        return "heartbeat"
    return "start" if method == "POST" else "api"


@dataclass
class Viewer:
    n: int
    token: str
    profile_id: str


async def _call(
    tally: Tally, http: httpx.AsyncClient, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    try:
        reply = await http.request(method, url, **kw)
    except httpx.HTTPError:
        tally.count("conn", _kind(method, url))
        return None
    tally.count(reply.status_code, _kind(method, url))
    return reply


async def _start(
    tally: Tally, http: httpx.AsyncClient, viewer: Viewer, title_id: str, position: float
) -> tuple[str, list[str]] | None:
    """Press play and read the playlists: the session id and its segment URLs."""
    body = {"profile_id": viewer.profile_id, "title_id": title_id, "device": DEVICE}
    reply = await _call(tally, http, "POST", "/api/v1/playback/sessions", json=body)
    if reply is None or reply.status_code != 201:
        return None
    started = reply.json()
    master_url = started["hls_url"]
    master = await _call(tally, http, "GET", master_url)
    if master is None or master.status_code != 200:
        return None
    variant = next(line for line in master.text.splitlines() if line and line[0] != "#")
    media_url = urljoin(master_url, variant)
    media = await _call(tally, http, "GET", media_url)
    if media is None or media.status_code != 200:
        return None
    segments = [urljoin(media_url, x) for x in media.text.splitlines() if x and x[0] != "#"]
    return str(started["session_id"]), segments


def renewed(url: str, session_id: str, token: str) -> str:
    """`url` with the session's newest `{expires}/{signature}/{scope}` (as the web player does)."""
    pattern = re.compile(
        f"(/media/{re.escape(session_id)}/)[0-9]+/[A-Za-z0-9_-]{{22}}/[0-9]+(?:-[0-9]+)*/"
    )
    return pattern.sub(lambda m: f"{m.group(1)}{token}/", url, count=1)


async def watch(
    tally: Tally,
    base_url: str,
    viewer: Viewer,
    title_id: str,
    *,
    until: float,
    beat_every: float,
    segment_every: float,
    duration: float,
) -> None:
    """Play until `until` (monotonic): a segment every `segment_every` s, a heartbeat every
    `beat_every` s; a session the server ended is started again, from where it was."""
    headers = {"Authorization": f"Bearer {viewer.token}"}
    timeout = httpx.Timeout(10.0)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout) as http:
        await asyncio.sleep(viewer.n % 50 * 0.1)  # not all at once
        begun, position, playing = time.monotonic(), 1.0, None
        next_beat = time.monotonic() + beat_every
        index = 0
        while time.monotonic() < until:
            if playing is None:
                playing = await _start(tally, http, viewer, title_id, position)
                if playing is None:
                    await asyncio.sleep(1.0)
                    continue
            session_id, segments = playing
            await _call(tally, http, "GET", segments[index % len(segments)])
            index += 1
            position = 1.0 + (time.monotonic() - begun) % max(1.0, duration - 2.0)
            if time.monotonic() >= next_beat:
                next_beat += beat_every
                at = round(position, 3)
                beat = {"position": at, "state": "playing"}
                url = f"/api/v1/playback/sessions/{session_id}/heartbeat"
                reply = await _call(tally, http, "POST", url, json=beat)
                if reply is not None and reply.status_code == 200:
                    tally.acked[viewer.n] = at
                    # Links live under a minute; each heartbeat renews them, as players do.
                    token = reply.json()["media_token"]
                    playing = session_id, [renewed(u, session_id, token) for u in segments]
                elif reply is not None and reply.status_code in (404, 409, 410):
                    tally.restarts += 1
                    playing = None
            await asyncio.sleep(segment_every)


async def stored_positions(
    base_url: str, viewers: list[Viewer], title_id: str
) -> dict[int, float | None]:
    """Where each viewer's profile stands in the title, as the API now reads it."""
    found: dict[int, float | None] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
        for viewer in viewers:
            reply = await http.get(
                "/api/v1/playback/positions",
                params={"profile_id": viewer.profile_id, "title_id": title_id},
                headers={"Authorization": f"Bearer {viewer.token}"},
            )
            items = reply.json().get("items", []) if reply.status_code == 200 else []
            found[viewer.n] = float(items[0]["position"]) if items else None
    return found


@dataclass
class Upload:
    """One master sent over tus while the drill runs, and the ingest job it starts."""

    name: str
    path: Path
    acked: int = 0  # the highest offset the server confirmed
    lost: int = 0  # confirmed bytes the server later no longer had
    stored_ok: bool | None = None
    job_id: str | None = None
    job_state: str = "not started"
    completed: float | None = None  # upload end -> job succeeded, seconds
    attempts: int = 0
    chunks: dict[str, int] | None = None
    error: str | None = None

    def on_progress(self, offset: int) -> None:
        if offset < self.acked:
            self.lost += self.acked - offset
        self.acked = max(self.acked, offset)


def run_upload(
    upload: Upload, base_url: str, token: str, title_id: str, *, pace: float, job_timeout: float
) -> None:
    """Send the master in 1 MiB chunks, `pace` s apart, then follow the job to its end."""
    from marquee.uploads.client import MIB, ServerUnavailable, UploadClient

    client = UploadClient(base_url, token, chunk_size=MIB, retries=40, retry_delay=0.5)
    try:
        size = upload.path.stat().st_size
        url = _retrying(lambda: client.create(size, {"title_id": title_id}), 120)

        def progress(offset: int) -> None:
            upload.on_progress(offset)
            time.sleep(pace)

        # The client resumes from the server's offset; an answer it takes for a refusal
        # (a 502 while the balancer has no replica) is worth asking again here.
        _retrying(lambda: client.send(url, upload.path, on_progress=progress), 300)
        ended = time.monotonic()
        status = _retrying(lambda: client.status(url), 120)
        upload.job_id = status.get("job_id")
        upload.stored_ok = status.get("offset") == size
        deadline = time.monotonic() + job_timeout
        while upload.job_id and time.monotonic() < deadline:
            try:
                job = client.job(upload.job_id)
            except ServerUnavailable:
                time.sleep(1.0)
                continue
            upload.job_state, upload.attempts = job["state"], job["attempts"]
            if job["state"] in ("succeeded", "dead"):
                upload.completed = time.monotonic() - ended
                upload.chunks = (job.get("result") or {}).get("chunks")
                return
            time.sleep(1.0)
    except Exception as exc:  # the table shows it; the drill goes on
        upload.error = f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


def _retrying(call: Any, seconds: float) -> Any:
    from marquee.uploads.client import ServerUnavailable, UploadFailed

    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except (ServerUnavailable, UploadFailed, httpx.TransportError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def job_stage(base_url: str, token: str, job_id: str) -> str:
    try:
        reply = httpx.get(
            f"{base_url}/api/v1/admin/jobs/{job_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    except httpx.HTTPError:
        return ""
    return str(reply.json().get("stage", "")) if reply.status_code == 200 else ""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Drill viewers are demo-style accounts numbered from here, clear of MovieLens' 943.
FIRST_VIEWER = 900_000


def seed(count: int) -> None:
    """Run with the stack's settings: an editor and `count` viewers (made once, kept), each
    with a fresh access token; prints them as JSON. The viewers share one password hash, as
    the demo's accounts do: argon2 is slow on purpose."""
    from marquee.accounts import service
    from marquee.accounts.models import Role
    from marquee.config import Settings
    from marquee.db import make_engine, make_sessionmaker, transaction
    from marquee.demo.catalogue import HISTORY_EMAIL, import_accounts

    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    out: dict[str, Any] = {"viewers": []}
    numbers = list(range(FIRST_VIEWER, FIRST_VIEWER + count))
    try:
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            email = "drill-editor@marquee.drill"
            editor = service.get_user_by_email(session=session, email=email)
            if editor is None:
                editor = service.register(
                    session=session, settings=settings, email=email, password=PASSWORD,
                    display_name="Drill editor", country="US", role=Role.EDITOR,
                )  # fmt: skip
            out["editor"] = service.issue_tokens(
                session=session, settings=settings, user=editor, device="drill"
            ).access_token
            import_accounts(session=session, user_ids=numbers)
        with transaction(factory) as session:
            for number in numbers:
                user = service.get_user_by_email(
                    session=session, email=HISTORY_EMAIL.format(number)
                )
                assert user is not None
                tokens = service.issue_tokens(
                    session=session, settings=settings, user=user, device="drill"
                )
                profile = str(user.profiles[0].id)
                out["viewers"].append({"token": tokens.access_token, "profile_id": profile})
    finally:
        engine.dispose()
    print(json.dumps(out))


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "seed":
    seed(int(sys.argv[2]))

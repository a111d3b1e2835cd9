"""Thread hops and in-process latency of hot requests: search, home rows, session start, and
one each of the account's routes, the editors' tools (the job list, creating a title, a tus
HEAD asking an upload's offset) and the event ingest.

Each request is counted in thread-pool hops (calls of `anyio.to_thread.run_sync`, which
Starlette's `run_in_threadpool` and FastAPI's sync dependencies and routes go through) and
timed, warm, under Starlette's TestClient: no server, no network, one request after
another, so the figures are the request's own cost. Each session start is followed by its
stop, untimed, so the plan's stream slots stay free.

The baseline, run in the same process, is the cheapest request the app answers
(`GET /healthz`, one hop for a sync route), so figures taken on a busy machine can be read
as a ratio to it. Run it on two commits to compare them; docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from httpx import Response
from playback_setup import Viewer, make_catalogue, make_viewers, temp_root
from tests.hops import counting

from marquee.accounts.models import Role, User
from marquee.accounts.security import issue_access_token
from marquee.app import create_app
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.search import service as search_service
from marquee.search.index import make_index


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def checked(response: Response, status: int) -> Response:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response


class Requests:
    """The requests, as a viewer's (or an editor's) client sends them."""

    def __init__(
        self, client: TestClient, viewers: list[Viewer], title_id: str, editor_token: str
    ) -> None:
        self.client, self.viewers, self.title_id = client, viewers, title_id
        self.editor_token = editor_token
        self.n = 0

    def _viewer(self) -> Viewer:
        self.n += 1
        return self.viewers[self.n % len(self.viewers)]

    def healthz(self) -> object:
        return checked(self.client.get("/healthz"), 200)

    def search(self) -> object:
        viewer = self._viewer()
        params = {"profile_id": str(viewer.profile_id), "q": "bench"}
        headers = {"Authorization": f"Bearer {viewer.token}"}
        reply = checked(self.client.get("/api/v1/search", params=params, headers=headers), 200)
        if not reply.json()["items"]:
            raise RuntimeError("search found nothing: the index was not built")
        return reply

    def home(self) -> object:
        viewer = self._viewer()
        headers = {"Authorization": f"Bearer {viewer.token}"}
        path = f"/api/v1/profiles/{viewer.profile_id}/home"
        return checked(self.client.get(path, headers=headers), 200)

    def entitlements(self) -> object:
        headers = {"Authorization": f"Bearer {self._viewer().token}"}
        return checked(self.client.get("/api/v1/me/entitlements", headers=headers), 200)

    def jobs(self) -> object:
        headers = {"Authorization": f"Bearer {self.editor_token}"}
        return checked(self.client.get("/api/v1/admin/jobs", headers=headers), 200)

    def ingest(self) -> object:
        viewer = self._viewer()
        event = {"profile_id": str(viewer.profile_id), "title_id": self.title_id}
        batch = {"events": [{**event, "kind": "play_start"}]}
        headers = {"Authorization": f"Bearer {viewer.token}"}
        reply = checked(self.client.post("/api/v1/events", json=batch, headers=headers), 200)
        if reply.json()["accepted"] != 1:
            raise RuntimeError(f"the event was refused: {reply.text[:300]}")
        return reply

    def start(self) -> str:
        viewer = self._viewer()
        body = {
            "profile_id": str(viewer.profile_id),
            "title_id": self.title_id,
            "device": {"codecs": ["avc1", "mp4a"], "name": "bench"},
        }
        headers = {"Authorization": f"Bearer {viewer.token}"}
        reply = checked(
            self.client.post("/api/v1/playback/sessions", json=body, headers=headers), 201
        )
        session_id = str(reply.json()["session_id"])
        stop = f"/api/v1/playback/sessions/{session_id}/stop"
        self.client.post(stop, json={"position": 1.0}, headers=headers)
        return session_id


class StudioRequests:
    """The two studio requests, as the studio's client sends them."""

    TUS = {"Tus-Resumable": "1.0.0"}

    def __init__(self, client: TestClient, token: str, title_id: str) -> None:
        self.client, self.title_id = client, title_id
        self.headers = {"Authorization": f"Bearer {token}"}
        self.n = 0
        self.upload_url = ""

    def create_title(self) -> object:
        self.n += 1
        body = {"kind": "movie", "slug": f"made-{self.n}", "name": f"Made {self.n}"}
        body["maturity_rating"] = "pg"
        return checked(
            self.client.post("/api/v1/admin/titles", json=body, headers=self.headers), 201
        )

    def tus_head(self) -> object:
        if not self.upload_url:
            meta = f"title_id {base64.b64encode(self.title_id.encode()).decode()}"
            meta += f",filename {base64.b64encode(b'master.mp4').decode()}"
            headers = {**self.TUS, **self.headers, "Upload-Length": "8", "Upload-Metadata": meta}
            created = checked(self.client.post("/api/v1/admin/uploads/", headers=headers), 201)
            self.upload_url = created.headers["Location"]
        return checked(self.client.head(self.upload_url, headers={**self.TUS, **self.headers}), 200)


def hops_of(fn: Callable[[], object]) -> int:
    with counting() as counts:
        fn()
    return counts.hops


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return times


def start_timed(requests: Requests, rounds: int) -> list[float]:
    """Session start alone: its stop is sent, but outside the timing."""
    times = []
    client = requests.client
    original = client.post
    for _ in range(rounds):
        stamps: list[float] = []

        def post(*args: Any, _stamps: list[float] = stamps, **kwargs: Any) -> Response:
            reply = original(*args, **kwargs)
            _stamps.append(time.perf_counter())
            return reply

        client.post = post  # type: ignore[method-assign]
        began = time.perf_counter()
        try:
            requests.start()
        finally:
            client.post = original  # type: ignore[method-assign]
        times.append((stamps[0] - began) * 1000)
    return times


def build_index(settings: Any) -> None:
    """The search index, built from the catalogue before the app starts (as `marquee search
    reindex` does), so that the first search finds the title whichever process writes it."""
    engine = make_engine(settings.resolved_database_url)
    try:
        index = make_index(settings, engine)
        with transaction(make_sessionmaker(engine)) as session:
            search_service.reindex_all(session=session, index=index)
    finally:
        engine.dispose()


def editor_token(settings: Any, viewer: Viewer) -> str:
    """`viewer`'s account made an editor, and an access token that says so."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = session.get(User, viewer.user_id)
            assert user is not None
            user.role = Role.EDITOR
            return issue_access_token(
                secret=settings.secret_key.get_secret_value(),
                user_id=user.id,
                role=user.role.value,
                version=user.token_version,
                now=utcnow(),
                ttl=settings.access_token_ttl_seconds,
            )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with temp_root() as tmp:
        catalogue = make_catalogue(Path(tmp), args.database_url)
        viewers = make_viewers(catalogue, args.viewers)
        build_index(catalogue.settings)
        editor = editor_token(catalogue.settings, viewers[0])
        app = create_app(catalogue.settings)
        with TestClient(app) as client:
            requests = Requests(client, viewers, str(catalogue.title_id), editor)
            studio = StudioRequests(client, editor, str(catalogue.title_id))
            cases: dict[str, Callable[[], object]] = {
                "healthz (baseline)": requests.healthz,
                "search": requests.search,
                "home": requests.home,
                "me/entitlements": requests.entitlements,
                "admin/jobs (editor)": requests.jobs,
                "create title": studio.create_title,
                "tus HEAD": studio.tus_head,
                "event ingest": requests.ingest,
            }
            for fn in cases.values():
                timed(fn, 20)  # warm: routes, caches, connections
            timed(requests.start, 20)
            hops = {name: hops_of(fn) for name, fn in cases.items()}
            # The start's own hops: the stop it sends is counted apart and taken off.
            with counting() as counts:
                session_id = requests.start()
            start_and_stop = counts.hops
            headers = {"Authorization": f"Bearer {viewers[requests.n % len(viewers)].token}"}
            with counting() as counts:
                client.post(
                    f"/api/v1/playback/sessions/{session_id}/stop",
                    json={"position": 1.0},
                    headers=headers,
                )
            stop_hops = counts.hops
            hops["session start"] = start_and_stop - stop_hops
            samples = {name: timed(fn, args.rounds) for name, fn in cases.items()}
            samples["session start"] = start_timed(requests, args.rounds)
    backend = "postgresql" if args.database_url else "sqlite"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"in-process, {backend}, {args.rounds} rounds each, load average {load}")
    base_p50, _ = percentiles(samples["healthz (baseline)"])
    for name, times in samples.items():
        p50, p99 = percentiles(times)
        print(
            f"  {name:20s} thread hops {hops[name]:2d}   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"
            f"   p50 / baseline {p50 / base_p50:5.1f}"
        )


if __name__ == "__main__":
    main()

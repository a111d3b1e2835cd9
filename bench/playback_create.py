"""Session start in-process: p50 per start with a warm app, SQL statements per start, a profile.

No server and no network: the app runs under Starlette's TestClient, one viewer after
another, so the figures are the request's own cost (routing, dependencies, the service,
the database) without queueing. Each start is followed by its stop, untimed, so the
plan's stream slots stay free. `--profile` prints cProfile's heaviest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from playback_setup import Viewer, make_catalogue, make_viewers, temp_root
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marquee.app import create_app


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block (savepoints included)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def start(client: TestClient, viewer: Viewer, title_id: str) -> str:
    body = {
        "profile_id": str(viewer.profile_id),
        "title_id": title_id,
        "device": {"codecs": ["avc1", "mp4a"], "name": "bench"},
    }
    headers = {"Authorization": f"Bearer {viewer.token}"}
    reply = client.post("/api/v1/playback/sessions", json=body, headers=headers)
    if reply.status_code != 201:
        raise RuntimeError(f"start: {reply.status_code} {reply.text[:300]}")
    return str(reply.json()["hls_url"])


def stop(client: TestClient, viewer: Viewer, hls_url: str) -> None:
    session_id = hls_url.split("/media/", 1)[1].split("/", 1)[0]
    headers = {"Authorization": f"Bearer {viewer.token}"}
    path = f"/api/v1/playback/sessions/{session_id}/stop"
    reply = client.post(path, json={"position": 1.0}, headers=headers)
    if reply.status_code != 204:
        raise RuntimeError(f"stop: {reply.status_code} {reply.text[:300]}")


def measure(
    client: TestClient, viewers: list[Viewer], title_id: str, rounds: int, cpu: list[float]
) -> list[float]:
    """Wall milliseconds per start; CPU milliseconds per start (all threads) go into `cpu`.

    CPU time moves far less than wall time with the neighbours' load on a shared machine.
    """
    times = []
    for n in range(rounds):
        viewer = viewers[n % len(viewers)]
        began, began_cpu = time.perf_counter(), time.process_time()
        url = start(client, viewer, title_id)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        stop(client, viewer, url)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile run")
    parser.add_argument("--sql", action="store_true", help="print the statements of one start")
    args = parser.parse_args()
    with temp_root() as tmp:
        catalogue = make_catalogue(Path(tmp), args.database_url)
        viewers = make_viewers(catalogue, args.viewers)
        app = create_app(catalogue.settings)
        title_id = str(catalogue.title_id)
        with TestClient(app) as client:
            cpu: list[float] = []
            measure(client, viewers, title_id, 20, [])  # warm: routes, caches, connections
            with counting(app.state.runtime.engine) as seen:
                url = start(client, viewers[0], title_id)
            stop(client, viewers[0], url)
            times = measure(client, viewers, title_id, args.rounds, cpu)
            if args.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                measure(client, viewers, title_id, 100, [])
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    if args.sql:
        print("\n".join(f"  {text[:1200]}" for text in seen))
    verbs = [text.split(None, 1)[0].upper() for text in seen]
    kinds = {k: verbs.count(k) for k in dict.fromkeys(verbs)}
    print(f"SQL statements per start: {len(seen)} {kinds}")
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"start, in-process, {len(times)} rounds: p50 {statistics.median(times):.2f} ms, "
        f"p99 {p99:.2f} ms, CPU per start p50 {statistics.median(cpu):.2f} ms, "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()

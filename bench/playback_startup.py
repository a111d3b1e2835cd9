"""Start-up latency with 200 concurrent simulated viewers: session create + master playlist +
one media playlist + its first segment, against nginx serving the same three files statically.

Each viewer (its own account, its own keep-alive connection) presses play, watches (fetches
the next segments at a steady pace), stops and presses play again, so 200 viewers stream at
any moment while some of them start. Start-up is timed from the session request to the last
byte of the first segment. Baseline viewers do the same against plain nginx serving the
version's folder, minus the session request and the stop. Target: p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen
from playback_setup import (
    Viewer,
    app_server,
    make_catalogue,
    make_viewers,
    static_server,
    temp_root,
)


@dataclass
class Play:
    prefix: str  # where the version's relative URIs resolve
    rest: list[str]  # segments after the first, to watch
    session_id: str = ""
    steps: dict[str, float] = field(default_factory=dict)  # milliseconds per request


async def get(conn: loadgen.Connection, path: str) -> bytes:
    reply = await conn.request("GET", path)
    if reply.status != 200:
        raise loadgen.HttpError(f"GET {path}: {reply.status}")
    return reply.body


def uris(playlist: bytes) -> list[str]:
    return [s for s in (x.strip() for x in playlist.decode().splitlines()) if s and s[0] != "#"]


async def open_stream(conn: loadgen.Connection, master_path: str) -> Play:
    """The master, its first variant's playlist and that playlist's first segment."""
    prefix = master_path.rsplit("/", 1)[0] + "/"
    steps = {}
    began = time.perf_counter()
    master = await get(conn, master_path)
    steps["master"], began = (time.perf_counter() - began) * 1000, time.perf_counter()
    segments = uris(await get(conn, prefix + uris(master)[0]))
    steps["playlist"], began = (time.perf_counter() - began) * 1000, time.perf_counter()
    await get(conn, prefix + segments[0])
    steps["segment"] = (time.perf_counter() - began) * 1000
    return Play(prefix, segments[1:], steps=steps)


class Target(Protocol):
    async def start(self, conn: loadgen.Connection, i: int) -> Play: ...

    async def end(self, conn: loadgen.Connection, i: int, play: Play) -> None: ...


@dataclass
class Marquee:
    viewers: list[Viewer]
    title_id: str

    def _headers(self, i: int) -> dict[str, str]:
        token = self.viewers[i].token
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def start(self, conn: loadgen.Connection, i: int) -> Play:
        body = {
            "profile_id": str(self.viewers[i].profile_id),
            "title_id": self.title_id,
            "device": {"codecs": ["avc1", "mp4a"], "name": "bench"},
        }
        began = time.perf_counter()
        reply = await conn.request(
            "POST",
            "/api/v1/playback/sessions",
            headers=self._headers(i),
            body=json.dumps(body).encode(),
        )
        create = (time.perf_counter() - began) * 1000
        if reply.status != 201:
            raise loadgen.HttpError(f"session start: {reply.status} {reply.body[:300]!r}")
        started = json.loads(reply.body)
        play = await open_stream(conn, str(started["hls_url"]))
        play.session_id = str(started["session_id"])
        play.steps = {"create": create, **play.steps}
        return play

    async def end(self, conn: loadgen.Connection, i: int, play: Play) -> None:
        path = f"/api/v1/playback/sessions/{play.session_id}/stop"
        await conn.request("POST", path, headers=self._headers(i), body=b'{"position": 8.0}')


class Static:
    async def start(self, conn: loadgen.Connection, i: int) -> Play:
        return await open_stream(conn, "/static/master.m3u8")

    async def end(self, conn: loadgen.Connection, i: int, play: Play) -> None:
        return None


async def simulate(port: int, target: Target, args: argparse.Namespace) -> loadgen.Samples:
    samples = loadgen.Samples()
    deadline = time.perf_counter() + args.seconds
    rng = random.Random(7)
    errors: list[str] = []
    steps: dict[str, list[float]] = {}

    async def viewer(i: int) -> None:
        await asyncio.sleep(rng.uniform(0, args.ramp))
        conn = loadgen.Connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            try:
                began = time.perf_counter()
                play = await target.start(conn, i)
                samples.latencies.append((time.perf_counter() - began) * 1000)
                for name, ms in play.steps.items():
                    steps.setdefault(name, []).append(ms)
                for n in range(args.watch):  # loops over the short clip's segments
                    await asyncio.sleep(args.interval)
                    await get(conn, play.prefix + play.rest[n % len(play.rest)])
                await asyncio.sleep(args.interval)
                await target.end(conn, i, play)
            except (loadgen.HttpError, OSError, IndexError) as exc:
                samples.errors += 1
                errors.append(str(exc))
                await conn.close()
                await asyncio.sleep(1.0)
        await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(viewer(i) for i in range(args.viewers)))
    samples.seconds = time.perf_counter() - started
    if errors:
        print(f"    first error: {errors[0]}")
    samples.steps = {  # type: ignore[attr-defined]
        name: (statistics.median(v), sorted(v)[int(len(v) * 0.99)]) for name, v in steps.items()
    }
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--ramp", type=float, default=6.0, help="viewers join over this long")
    parser.add_argument("--watch", type=int, default=9, help="segments watched per play")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between segments")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn and nginx processes")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"load average at the start: {loadgen.load()}")
    with temp_root() as tmp:
        catalogue = make_catalogue(Path(tmp), args.database_url)
        people = make_viewers(catalogue, args.viewers)
        with (
            app_server(catalogue.settings, workers=args.workers) as app_port,
            static_server(catalogue, workers=args.workers) as static_port,
        ):
            results: dict[str, loadgen.Samples] = {}

            async def go() -> None:
                marquee = Marquee(people, str(catalogue.title_id))
                # Untimed: every worker process builds its routes and caches on first use.
                warm = argparse.Namespace(**{**vars(args), "seconds": 4.0, "ramp": 0.5})
                warm.viewers, warm.watch, warm.interval = min(20, args.viewers), 1, 0.1
                await simulate(app_port, marquee, warm)
                results["nginx (3 static files)"] = await simulate(static_port, Static(), args)
                results["Marquee (session + 3 files)"] = await simulate(app_port, marquee, args)

            loadgen.run(go)
    report(results, args)


def report(results: dict[str, loadgen.Samples], args: argparse.Namespace) -> None:
    print(
        f"{args.viewers} concurrent viewers, {args.seconds:.0f} s each, a segment every "
        f"{args.interval:g} s, {args.watch} watched per play, {args.workers} server processes"
    )
    for name, s in results.items():
        print(
            f"  {name:28s} starts {len(s.latencies):5d} ({s.rate:5.1f}/s)  "
            f"p50 {s.p50:6.1f} ms  p99 {s.p99:6.1f} ms  errors {s.errors}"
        )
        steps = getattr(s, "steps", {})
        parts = [f"{k} {p50:.1f} / {p99:.1f} ms" for k, (p50, p99) in steps.items()]
        print("      p50 / p99 per request: " + ", ".join(parts))
    base, ours = results["nginx (3 static files)"], results["Marquee (session + 3 files)"]
    print(f"ratio Marquee / nginx: p50 {ours.p50 / base.p50:.1f}x, p99 {ours.p99 / base.p99:.1f}x")
    verdict = "met" if ours.p99 <= 50 else "NOT met"
    print(f"target p99 <= 50 ms: {verdict}")
    print(f"load average at the end: {loadgen.load()}")


if __name__ == "__main__":
    main()

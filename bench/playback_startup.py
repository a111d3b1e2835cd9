"""Start-up latency with 200 concurrent viewers: session create + master playlist + one media
playlist + its first segment, against nginx serving the same three files statically.

Two models, each run against Marquee and against the nginx baseline in the same run:

- steady (what the target is about): 200 viewers are WATCHING, each on its own account and
  keep-alive connection, fetching the next segment every segment duration and sending a
  heartbeat every 10 s as a player does. In that background, new viewers (accounts of their
  own) press play at a steady rate on a new connection; their start-up sequence is timed
  from the session request to the last byte of the first segment, then they stop.
- burst: the 200 watching viewers' connections all press play at the same instant, and stop
  once every start has finished. With one server process per core, its p99 is mostly
  queueing: 200 x the server's CPU time per start / the cores is a floor under it.

Baseline viewers do the same against plain nginx serving the version's folder, minus the
session request, the heartbeats and the stop. Targets: steady p99 <= 50 ms, burst p99 <= 500 ms.
`--only steady` or `--only burst` runs one model (with its baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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
    cpu_seconds,
    make_catalogue,
    make_viewers,
    static_server,
    temp_root,
)

# Each model's target: the p99 of a start, in milliseconds.
MODELS = {"steady": 50.0, "burst": 500.0}


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
    variant = uris(master)[0]
    segments = uris(await get(conn, prefix + variant))
    steps["playlist"], began = (time.perf_counter() - began) * 1000, time.perf_counter()
    # Segments are relative to their playlist, which may sit in a folder (a height's lane).
    prefix += variant.rsplit("/", 1)[0] + "/" if "/" in variant else ""
    await get(conn, prefix + segments[0])
    steps["segment"] = (time.perf_counter() - began) * 1000
    return Play(prefix, segments[1:], steps=steps)


class Target(Protocol):
    async def start(self, conn: loadgen.Connection, i: int) -> Play: ...

    async def beat(self, conn: loadgen.Connection, i: int, play: Play, position: float) -> None: ...

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

    async def beat(self, conn: loadgen.Connection, i: int, play: Play, position: float) -> None:
        path = f"/api/v1/playback/sessions/{play.session_id}/heartbeat"
        body = json.dumps({"position": position, "state": "playing"}).encode()
        reply = await conn.request("POST", path, headers=self._headers(i), body=body)
        if reply.status != 200:
            raise loadgen.HttpError(f"heartbeat: {reply.status} {reply.body[:300]!r}")
        # As a player does: the renewed token replaces the one after /media/{session}/.
        head, rest = play.prefix.split(f"/media/{play.session_id}/", 1)
        version_and_lane = rest.split("/", 3)[3]
        token = json.loads(reply.body)["media_token"]
        play.prefix = f"{head}/media/{play.session_id}/{token}/{version_and_lane}"

    async def end(self, conn: loadgen.Connection, i: int, play: Play) -> None:
        path = f"/api/v1/playback/sessions/{play.session_id}/stop"
        await conn.request("POST", path, headers=self._headers(i), body=b'{"position": 8.0}')


class Static:
    async def start(self, conn: loadgen.Connection, i: int) -> Play:
        return await open_stream(conn, "/static/master.m3u8")

    async def beat(self, conn: loadgen.Connection, i: int, play: Play, position: float) -> None:
        return None

    async def end(self, conn: loadgen.Connection, i: int, play: Play) -> None:
        return None


class Timings:
    """Start-up sequences: total and per request, in milliseconds."""

    def __init__(self) -> None:
        self.samples = loadgen.Samples()
        self.steps: dict[str, list[float]] = {}
        self.first_error = ""

    def add(self, began: float, play: Play) -> None:
        self.samples.latencies.append((time.perf_counter() - began) * 1000)
        for name, ms in play.steps.items():
            self.steps.setdefault(name, []).append(ms)

    def error(self, exc: Exception) -> None:
        self.samples.errors += 1
        self.first_error = self.first_error or str(exc)

    def line(self, name: str) -> str:
        s = self.samples
        parts = [
            f"{k} {statistics.median(v):.1f} / {pct(v, 0.99):.1f}" for k, v in self.steps.items()
        ]
        cpu = f", server CPU per start {s.cpu_us_per_request / 1000:.2f} ms" if s.cpu else ""
        return (
            f"  {name:34s} starts {len(s.latencies):5d}  p50 {s.p50:7.1f} ms  p99 {s.p99:7.1f} ms"
            f"  errors {s.errors}{cpu}\n      p50 / p99 ms per request: " + ", ".join(parts)
        )


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


async def watch(
    conn: loadgen.Connection, target: Target, i: int, play: Play, args: argparse.Namespace
) -> None:
    """Play until the deadline: a segment every segment duration, a heartbeat every 10 s."""
    position, next_beat = 0.0, time.perf_counter() + args.heartbeat
    for n in itertools.count():
        if time.perf_counter() >= args.deadline:
            break
        await asyncio.sleep(args.segment_seconds)
        position += args.segment_seconds
        await get(conn, play.prefix + play.rest[n % len(play.rest)])
        if time.perf_counter() >= next_beat:
            await target.beat(conn, i, play, min(position, 10.0))
            next_beat += args.heartbeat
    await target.end(conn, i, play)


async def watcher(
    port: int, target: Target, i: int, args: argparse.Namespace, errors: Timings
) -> None:
    await asyncio.sleep(args.rng.uniform(0, args.ramp))
    conn = loadgen.Connection("127.0.0.1", port)
    try:
        await watch(conn, target, i, await target.start(conn, i), args)
    except (loadgen.HttpError, OSError, IndexError) as exc:
        errors.error(exc)
    finally:
        await conn.close()


async def newcomer(port: int, target: Target, i: int, timings: Timings) -> None:
    """A viewer pressing play on a new connection: the timed start-up, then stop."""
    conn = loadgen.Connection("127.0.0.1", port)
    try:
        began = time.perf_counter()
        play = await target.start(conn, i)
        timings.add(began, play)
        await target.end(conn, i, play)
    except (loadgen.HttpError, OSError, IndexError) as exc:
        timings.error(exc)
    finally:
        await conn.close()


async def steady(port: int, target: Target, args: argparse.Namespace) -> tuple[Timings, Timings]:
    """`args.viewers` watching; newcomers (ids from `args.viewers` on) at `args.rate` per second."""
    args.rng = random.Random(7)
    args.deadline = time.perf_counter() + args.ramp + args.settle + args.seconds + 1
    background, timings = Timings(), Timings()
    watchers = [
        asyncio.create_task(watcher(port, target, i, args, background)) for i in range(args.viewers)
    ]
    await asyncio.sleep(args.ramp + args.settle)  # every watcher started and playing
    pressing = []
    for k in range(int(args.rate * args.seconds)):
        pressing.append(asyncio.create_task(newcomer(port, target, args.viewers + k, timings)))
        await asyncio.sleep(1 / args.rate)
    await asyncio.gather(*pressing, *watchers)
    return timings, background


async def burst(port: int, target: Target, args: argparse.Namespace) -> Timings:
    """Every viewer's connection open, then all of them press play at the same instant.

    The viewers stop once every start has finished (untimed): a viewer who pressed play
    watches on, so no stop competes with the starts, and the server's CPU time over the
    burst is that of the starts alone.
    """
    timings = Timings()
    conns = [loadgen.Connection("127.0.0.1", port) for _ in range(args.viewers)]
    for conn in conns:
        await conn.request("GET", "/static/none" if isinstance(target, Static) else "/healthz")
    go = asyncio.Event()

    async def one(i: int) -> Play | None:
        await go.wait()
        try:
            began = time.perf_counter()
            play = await target.start(conns[i], i)
            timings.add(began, play)
            return play
        except (loadgen.HttpError, OSError, IndexError) as exc:
            timings.error(exc)
            return None

    tasks = [asyncio.create_task(one(i)) for i in range(args.viewers)]
    await asyncio.sleep(0.1)
    before = cpu_seconds(port)
    go.set()
    plays = await asyncio.gather(*tasks)
    timings.samples.cpu = cpu_seconds(port) - before
    await asyncio.gather(
        *(target.end(conns[i], i, play) for i, play in enumerate(plays) if play is not None)
    )
    for conn in conns:
        await conn.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--viewers", type=int, default=200, help="viewers watching at once")
    parser.add_argument("--rate", type=float, default=5.0, help="new viewers pressing play per s")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long newcomers arrive")
    parser.add_argument("--ramp", type=float, default=10.0, help="watchers join over this long")
    parser.add_argument("--settle", type=float, default=5.0, help="wait after the ramp")
    parser.add_argument("--segment-seconds", type=float, default=4.0, help="the packager's")
    parser.add_argument("--heartbeat", type=float, default=10.0, help="seconds between beats")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn and nginx processes")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--only", choices=MODELS, help="run one model (with its baseline)")
    args = parser.parse_args()
    print(f"load average at the start: {loadgen.load()}")
    newcomers = int(args.rate * args.seconds)
    with temp_root() as tmp:
        catalogue = make_catalogue(Path(tmp), args.database_url)
        people = make_viewers(catalogue, args.viewers + newcomers)
        with (
            app_server(catalogue.settings, workers=args.workers) as app_port,
            static_server(catalogue, workers=args.workers) as static_port,
        ):
            results: dict[str, Timings] = {}

            async def go() -> None:
                marquee = Marquee(people, str(catalogue.title_id))
                # Untimed: every worker process opens its database connections first.
                await burst(app_port, marquee, argparse.Namespace(viewers=20))
                if args.only in (None, "steady"):
                    results["steady: nginx (3 static files)"], _ = await steady(
                        static_port, Static(), args
                    )
                    results["steady: Marquee (session + 3 files)"], watching = await steady(
                        app_port, marquee, args
                    )
                    results["steady: Marquee watchers (errors)"] = watching
                if args.only in (None, "burst"):
                    results["burst: nginx (3 static files)"] = await burst(
                        static_port, Static(), args
                    )
                    results["burst: Marquee (session + 3 files)"] = await burst(
                        app_port, marquee, args
                    )

            loadgen.run(go)
    report(results, args)


def report(results: dict[str, Timings], args: argparse.Namespace) -> None:
    print(
        f"steady: {args.viewers} viewers watching (a segment every {args.segment_seconds:g} s, "
        f"a heartbeat every {args.heartbeat:g} s), {args.rate:g} new viewers pressing play per "
        f"second for {args.seconds:g} s; burst: {args.viewers} press play at once; "
        f"{args.workers} server processes each"
    )
    for name, timings in results.items():
        if "watchers" in name:
            print(f"  {name:34s} errors {timings.samples.errors} {timings.first_error}")
            continue
        print(timings.line(name))
        if timings.first_error:
            print(f"      first error: {timings.first_error}")
    for model, target in MODELS.items():
        if f"{model}: nginx (3 static files)" not in results:
            continue
        base = results[f"{model}: nginx (3 static files)"].samples
        ours = results[f"{model}: Marquee (session + 3 files)"].samples
        print(
            f"{model}: ratio Marquee / nginx: p50 {ours.p50 / base.p50:.1f}x, "
            f"p99 {ours.p99 / base.p99:.1f}x"
        )
        # A start answered with an error or not at all misses the target whatever the p99.
        verdict = "met" if ours.p99 <= target and not ours.errors else "NOT met"
        print(
            f"target {model} p99 <= {target:g} ms: {verdict} "
            f"({ours.p99:.1f} ms, {ours.errors} errors)"
        )
    print(f"load average at the end: {loadgen.load()}")


if __name__ == "__main__":
    main()

"""The drill: a running stack broken on purpose while viewers watch and an editor uploads.

Brings the stack up (`marquee stack up`), plays a seeded title to N simulated viewers through
the load balancer and the edge, sends a master over tus the whole time (and another that is
being encoded when a worker is killed), and in turn: kills -9 an API replica, kills -9 a
worker mid-encode, restarts Redis, restarts PostgreSQL and cuts S3. It then prints what the
viewers saw per phase (failures by status), heartbeat positions lost (the last position the
API acknowledged against the one it now stores), upload bytes lost and how long each ingest
job took. The stack goes down at the end, on failure too.

S3 is cut by freezing the moto server (SIGSTOP, then SIGCONT): moto keeps its objects in
memory, so a stopped server would come back empty, which no real store does.

    uv run python bench/drill.py [--viewers 300] [--phase-seconds 30] [--demo]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import drill_clients as clients
import httpx
from drill_report import report, summary

from marquee.media import ffmpeg
from marquee.stack import marquee_env
from marquee.stack_services import PG_BIN, Stack, alive, as_postgres, postgres_folder

PHASES = ("replica", "worker", "redis", "postgres", "s3")
S3_CUT_SECONDS = 20.0


def make_master(path: Path, seconds: float, bitrate: str) -> Path:
    if not path.exists():
        args = ["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}"]
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", bitrate, "-c:a", "aac"]
        ffmpeg.run([*args, "-shortest", str(path)], timeout=600, stage="drill master")
    return path


class Drill:
    def __init__(self, args: argparse.Namespace, var_dir: Path) -> None:
        self.args = args
        self.env = {**os.environ, "MARQUEE_VAR_DIR": str(var_dir)}
        self.stack = Stack(var_dir / "stack")
        self.tally = clients.Tally()
        self.notes: list[str] = []

    # -- the stack -------------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "marquee.cli", *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, check=check)

    def up(self) -> None:
        up = ["stack", "up", "--api", str(self.args.api), "--workers", str(self.args.workers)]
        up += ["--port", str(self.args.port), *(["--demo"] if self.args.demo else [])]
        began = time.monotonic()
        done = self.cli(*up, check=False)
        if done.returncode != 0:
            raise SystemExit(f"stack up failed: {done.stdout}{done.stderr}")
        self.notes.append(f"stack up{' --demo' if self.args.demo else ''}: "
                          f"{time.monotonic() - began:.0f} s")  # fmt: skip
        self.url = str(self.state()["url"])

    def state(self) -> dict[str, Any]:
        return json.loads(self.stack.state_file.read_text())

    def component(self, kind: str) -> dict[str, Any]:
        return next(c for c in self.state()["components"] if c["kind"] == kind)

    def replace_pid(self, name: str, pid: int) -> None:
        """A restarted component keeps its place in stack.json, so `stack down` stops it."""
        state = self.state()
        for c in state["components"]:
            if c["name"] == name:
                c["pid"] = pid
        self.stack.state_file.write_text(json.dumps(state, indent=1))

    def stack_env(self) -> dict[str, str]:
        pg = self.component("postgresql")["url"].rsplit(":", 1)[1]
        urls = {
            "postgresql": f"postgresql+psycopg://marquee@127.0.0.1:{pg}/marquee",
            "redis": self.component("redis")["url"],
            "s3": self.component("s3")["url"],
        }
        return marquee_env(self.stack, urls, self.url)

    def seed(self) -> dict[str, Any]:
        command = [sys.executable, str(Path(__file__).with_name("drill_clients.py"))]
        done = subprocess.run(
            [*command, "seed", str(self.args.viewers)],
            env=self.stack_env(), capture_output=True, text=True, check=True, timeout=900,
        )  # fmt: skip
        seeded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return seeded

    def new_title(self, token: str, name: str) -> str:
        body = {
            "kind": "movie", "slug": f"drill-{name}-{os.getpid()}-{int(time.time())}",
            "name": f"Drill {name}", "maturity_rating": "PG", "release_year": 2026,
        }  # fmt: skip
        reply = httpx.post(
            f"{self.url}/api/v1/admin/titles",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        reply.raise_for_status()
        title_id = str(reply.json()["id"])
        window = {"country": "US", "starts_at": "2020-01-01T00:00:00Z"}
        httpx.post(
            f"{self.url}/api/v1/admin/titles/{title_id}/availability",
            json=window,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).raise_for_status()
        return title_id

    # -- the outages -----------------------------------------------------------------------

    def kill_api(self) -> str:
        api = next(c for c in self.state()["components"] if c["kind"] == "api")
        os.kill(api["pid"], signal.SIGKILL)
        return f"kill -9 {api['name']} (pid {api['pid']})"

    def kill_encoding_worker(self, token: str, upload: clients.Upload) -> str:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if upload.job_id and clients.job_stage(self.url, token, upload.job_id).startswith(
                "encode"
            ):
                break
            time.sleep(0.5)
        else:
            return "no encode began within 240 s: nothing killed"
        time.sleep(self.args.encode_lead)  # let a chunk or two finish first
        for c in self.state()["components"]:
            if c["kind"] == "worker" and alive(c["pid"]) and _has_ffmpeg(c["pid"]):
                os.kill(c["pid"], signal.SIGKILL)
                return f"kill -9 {c['name']} (pid {c['pid']}) at stage encode"
        return "no worker was running FFmpeg: nothing killed"

    def restart_redis(self) -> str:
        redis = self.component("redis")
        os.killpg(redis["pid"], signal.SIGTERM)
        _wait_dead(redis["pid"])
        port = redis["url"].rsplit(":", 1)[1].split("/")[0]
        folder = self.stack.root / "redis"
        command = ["redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", str(folder)]
        proc = self.stack.spawn("redis", [*command, "--appendonly", "yes", "--save", ""],
                                dict(os.environ))  # fmt: skip
        self.replace_pid("redis", proc.pid)
        return f"redis restarted (pid {redis['pid']} -> {proc.pid})"

    def restart_postgres(self) -> str:
        data = postgres_folder(self.stack) / "data"
        old = self.component("postgresql")["pid"]
        log = postgres_folder(self.stack) / "log"
        restart = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-m", "fast"]
        # Not captured: the server would hold the pipes open, and the call would never return.
        subprocess.run(as_postgres([*restart, "-w", "restart"]), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, timeout=120)  # fmt: skip
        pid = int((data / "postmaster.pid").read_text().split()[0])
        self.replace_pid("postgresql", pid)
        return f"postgresql restarted (pid {old} -> {pid})"

    def cut_s3(self) -> str:
        pid = self.component("s3")["pid"]
        os.killpg(pid, signal.SIGSTOP)
        try:
            time.sleep(S3_CUT_SECONDS)
        finally:
            os.killpg(pid, signal.SIGCONT)
        return f"S3 frozen for {S3_CUT_SECONDS:g} s"

    def down(self) -> list[int]:
        """`stack down`; returns the pids of the stack's processes still alive after it."""
        pids = [c["pid"] for c in self.state()["components"]] if self.stack.load() else []
        self.cli("stack", "down", check=False)
        return [pid for pid in pids if alive(pid)]


def _has_ffmpeg(pid: int) -> bool:
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = Path(f"/proc/{entry.name}/stat").read_bytes().rsplit(b")", 1)[-1].split()
            if (
                int(stat[1]) == pid
                and b"ffmpeg" in Path(f"/proc/{entry.name}/cmdline").read_bytes()
            ):
                return True
    return False


def _wait_dead(pid: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


async def run_phases(drill: Drill, viewers: list[clients.Viewer], title: str, token: str,
                     victim: clients.Upload, victim_title: str) -> list[tuple[str, str]]:  # fmt: skip
    args, tally = drill.args, drill.tally
    phases = ["baseline", *args.phases]
    until = time.monotonic() + (len(phases) + 1) * args.phase_seconds + 600
    stop = asyncio.Event()

    async def viewer_loop(v: clients.Viewer) -> None:
        watching = asyncio.create_task(clients.watch(
            tally, drill.url, v, title, until=until, beat_every=args.beat_seconds,
            segment_every=args.segment_seconds, duration=args.title_seconds,
        ))  # fmt: skip
        await stop.wait()
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching

    tasks = [asyncio.create_task(viewer_loop(v)) for v in viewers]
    done: list[tuple[str, str]] = []
    victim_thread: threading.Thread | None = None
    for phase in phases:
        tally.phase = phase
        began = time.monotonic()
        if phase == "worker":
            victim_thread = threading.Thread(target=clients.run_upload, args=(
                victim, drill.url, token, victim_title), kwargs={
                "pace": 0.0, "job_timeout": args.job_timeout})  # fmt: skip
            victim_thread.start()
        action = {
            "baseline": lambda: "nothing broken",
            "replica": drill.kill_api,
            "worker": lambda: drill.kill_encoding_worker(token, victim),
            "redis": drill.restart_redis,
            "postgres": drill.restart_postgres,
            "s3": drill.cut_s3,
        }[phase]
        await asyncio.sleep(min(5.0, args.phase_seconds / 3))
        try:
            done.append((phase, await asyncio.to_thread(action)))
        except Exception as exc:  # the table says so, and the drill goes on
            done.append((phase, f"FAILED to break it: {type(exc).__name__}: {exc}"))
        await asyncio.sleep(max(0.0, args.phase_seconds - (time.monotonic() - began)))
    tally.phase = "end"
    stop.set()
    await asyncio.gather(*tasks)
    if victim_thread is not None:
        await asyncio.to_thread(victim_thread.join)
    return done


def drill_main(args: argparse.Namespace, var_dir: Path) -> int:
    drill = Drill(args, var_dir)
    media = var_dir / "drill-media"
    media.mkdir(parents=True, exist_ok=True)
    seed_master = make_master(media / "seed.mp4", args.title_seconds, "1M")
    background = make_master(media / "background.mp4", args.background_seconds, "6M")
    victim_master = make_master(media / "victim.mp4", args.victim_seconds, "1M")
    figures: dict[str, Any] = {}
    try:
        drill.up()
        seeded = drill.seed()
        token = seeded["editor"]
        viewers = [clients.Viewer(n, v["token"], v["profile_id"])
                   for n, v in enumerate(seeded["viewers"])]  # fmt: skip
        title = drill.new_title(token, "seed")
        first = clients.Upload("seed (before the drill)", seed_master)
        clients.run_upload(first, drill.url, token, title, pace=0.0, job_timeout=args.job_timeout)
        if first.job_state != "succeeded":
            print(f"the seed title did not become playable: {first}", file=sys.stderr)
            return 1
        background_upload = clients.Upload("background (paced over the drill)", background)
        victim = clients.Upload("encoded while a worker is killed", victim_master)
        chunks = max(1, background.stat().st_size // (1 << 20))
        pace = (len(args.phases) + 1) * args.phase_seconds / chunks
        thread = threading.Thread(target=clients.run_upload, args=(
            background_upload, drill.url, token, drill.new_title(token, "background")),
            kwargs={"pace": pace, "job_timeout": args.job_timeout})  # fmt: skip
        thread.start()
        victim_title = drill.new_title(token, "victim")
        done = asyncio.run(run_phases(drill, viewers, title, token, victim, victim_title))
        stored = asyncio.run(clients.stored_positions(drill.url, viewers, title))
        lost = [(n, acked, stored.get(n) or 0.0) for n, acked in drill.tally.acked.items()
                if (stored.get(n) or 0.0) < acked - 0.01]  # fmt: skip
        thread.join()
        uploads = [first, background_upload, *([victim] if "worker" in args.phases else [])]
        report(drill, done, lost, uploads, len(viewers))
        figures = summary(drill, done, lost, uploads)
        bad = lost or any(u.job_state != "succeeded" or u.lost for u in uploads)
        return 1 if bad else 0
    finally:
        left = drill.down()
        print(f"stack down: {len(left)} process(es) of the stack left running {left}")
        if args.json is not None and figures:
            args.json.write_text(json.dumps({**figures, "left_running": left}))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--api", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--demo", action="store_true", help="Load the demo catalogue too.")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--phases", default=",".join(PHASES), type=lambda s: s.split(","))
    parser.add_argument("--phase-seconds", type=float, default=30.0)
    parser.add_argument("--beat-seconds", type=float, default=5.0)
    parser.add_argument("--segment-seconds", type=float, default=2.0)
    parser.add_argument("--title-seconds", type=float, default=24.0)
    parser.add_argument("--victim-seconds", type=float, default=60.0)
    parser.add_argument("--encode-lead", type=float, default=8.0)
    parser.add_argument("--job-timeout", type=float, default=420.0)
    parser.add_argument("--background-seconds", type=float, default=30.0)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    parser.add_argument("--var-dir", type=Path, default=None,
                        help="Where the stack lives (default: a fresh temporary folder).")  # fmt: skip
    args = parser.parse_args(argv)
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.var_dir is not None:
        args.var_dir.mkdir(parents=True, exist_ok=True)
        return drill_main(args, args.var_dir.resolve())
    with tempfile.TemporaryDirectory(prefix="marquee-drill-") as tmp:
        try:
            return drill_main(args, Path(tmp))
        finally:
            # Run as root, the cluster lives outside the stack's folder (see postgres_folder).
            shutil.rmtree(postgres_folder(Stack(Path(tmp) / "stack")), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

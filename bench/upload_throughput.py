"""Upload benchmark: tus throughput on loopback and the server's peak RSS, vs. a plain disk write.

    .venv/bin/python bench/upload_throughput.py [--gib 2] [--chunk-mib 64]

Starts `marquee serve` on a throwaway SQLite database and media folder, then, back to back:
  baseline  the same bytes written straight to a file in the same folder (fsync at the end);
  marquee   one tus upload of those bytes: POST, then PATCHes of --chunk-mib, each with a
            sha256 Upload-Checksum, streamed through the API into the object store.
Prints both rates in MB/s, their ratio, and the server process's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from marquee.accounts import billing  # noqa: E402
from marquee.accounts.users_cli import upsert_user  # noqa: E402
from marquee.catalog.models import Title, TitleKind  # noqa: E402
from marquee.config import Settings  # noqa: E402
from marquee.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from marquee.models import Base  # noqa: E402

MIB = 1024 * 1024
EMAIL, PASSWORD = "bench-editor@example.com", "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on {port}")


def chunks(total: int, size: int) -> Iterator[bytes]:
    block = b"".join(hashlib.sha256(str(n).encode()).digest() for n in range(MIB // 32))
    for start in range(0, total, size):
        length = min(size, total - start)
        yield (block * (length // MIB + 1))[:length]


def prepare(settings: Settings) -> str:
    engine = make_engine(settings.resolved_database_url)
    Base.metadata.create_all(engine)
    with transaction(make_sessionmaker(engine)) as session:
        billing.seed_plans(session=session)
        title = Title(
            kind=TitleKind.MOVIE,
            slug="bench",
            name="Bench",
            sort_name="bench",
            maturity_rating="PG",
            maturity_level=2,
        )
        session.add(title)
        session.flush()
        title_id = str(title.id)
    engine.dispose()
    upsert_user(settings=settings, email=EMAIL, password=PASSWORD, role="editor")
    return title_id


def baseline(path: Path, total: int, size: int) -> float:
    started = time.perf_counter()
    with path.open("wb") as out:
        for chunk in chunks(total, size):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - started
    path.unlink()
    return elapsed


def upload(base: str, title_id: str, total: int, size: int) -> float:
    with httpx.Client(base_url=base, timeout=600) as http:
        login = http.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["tokens"]["access_token"]
        tus = {"Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}"}
        meta = f"title_id {base64.b64encode(title_id.encode()).decode()}"
        started = time.perf_counter()
        created = http.post(
            "/api/v1/admin/uploads/",
            headers={**tus, "Upload-Length": str(total), "Upload-Metadata": meta},
        )
        url, offset = created.headers["Location"], 0
        for chunk in chunks(total, size):
            digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
            response = http.patch(
                url,
                content=chunk,
                headers={
                    **tus,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                    "Upload-Checksum": f"sha256 {digest}",
                },
            )
            assert response.status_code == 204, response.text
            offset = int(response.headers["Upload-Offset"])
        elapsed = time.perf_counter() - started
        assert http.get(url, headers=tus).json()["state"] == "complete"
    return elapsed


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--chunk-mib", type=int, default=64)
    args = parser.parse_args()
    total, size = int(args.gib * 1024 * MIB), args.chunk_mib * MIB
    with tempfile.TemporaryDirectory(prefix="marquee-bench-", dir=ROOT / "var") as tmp:
        var = Path(tmp)
        env = {
            **os.environ,
            "MARQUEE_VAR_DIR": str(var),
            "MARQUEE_LOG_LEVEL": "WARNING",
            "MARQUEE_JSON_LOGS": "false",
        }
        settings = Settings(var_dir=var)
        title_id = prepare(settings)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "marquee.cli", "serve", "--port", str(port)], env=env
        )
        try:
            wait_for_port(port, timeout=60)
            disk = baseline(var / "baseline.bin", total, size)
            tus = upload(f"http://127.0.0.1:{port}", title_id, total, size)
            rss = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    mb = total / 1e6
    print(f"bytes            {total} ({args.gib:g} GiB, {args.chunk_mib} MiB PATCHes, sha256)")
    print(f"baseline (disk)  {mb / disk:8.1f} MB/s  {disk:6.2f} s")
    print(f"marquee (tus)    {mb / tus:8.1f} MB/s  {tus:6.2f} s")
    print(f"ratio            {tus / disk:8.2f} x the disk write time")
    print(f"server peak RSS  {rss:8.1f} MiB")


if __name__ == "__main__":
    main()

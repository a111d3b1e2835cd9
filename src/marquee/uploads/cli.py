"""`marquee ingest FILE --title ID`: upload with a progress bar, resume where the last run
stopped, then follow the processing job's stages until it ends."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from marquee.uploads.client import ServerUnavailable, UploadClient, UploadFailed

FINAL_STATES = {"succeeded", "dead"}
# How long the server may be unreachable while a job is followed: an API restart or a
# rolling upgrade takes well under this, and the job goes on meanwhile.
FOLLOW_PATIENCE_SECONDS = 300.0


def _fingerprint(path: Path, binding: dict[str, str]) -> str:
    st = path.stat()
    bound = ",".join(f"{k}={v}" for k, v in sorted(binding.items()))
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}:{bound}"


class ResumeBook:
    """Upload URLs by file, so an interrupted `marquee ingest` picks up where it stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        try:
            loaded: dict[str, str] = json.loads(self.path.read_text())
            return loaded
        except (FileNotFoundError, ValueError):
            return {}

    def get(self, fingerprint: str) -> str | None:
        return self._load().get(fingerprint)

    def put(self, fingerprint: str, url: str | None) -> None:
        book = self._load()
        if url is None:
            book.pop(fingerprint, None)
        else:
            book[fingerprint] = url
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(book, indent=1))
        temp.replace(self.path)


def _upload_url(
    client: UploadClient, book: ResumeBook, key: str, length: int, meta: dict[str, str]
) -> str:
    known = book.get(key)
    if known is not None:
        try:
            client.offset(known)
            return known
        except UploadFailed:
            book.put(key, None)
    url = client.create(length, meta)
    book.put(key, url)
    return url


def upload_file(
    client: UploadClient, path: Path, meta: dict[str, str], book: ResumeBook, console: Console
) -> str:
    """Upload (or finish uploading) `path`; return its upload URL."""
    key = _fingerprint(path, {k: v for k, v in meta.items() if k.endswith("_id")})
    length = path.stat().st_size
    url = _upload_url(client, book, key, length, meta)
    columns = (
        TextColumn("upload"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("upload", total=length)
        client.send(url, path, on_progress=lambda offset: progress.update(task, completed=offset))
    book.put(key, None)
    return url


def _poll_job(
    client: UploadClient, job_id: str, console: Console, poll: float, patience: float
) -> dict[str, Any]:
    """The job's state, asking again through transient errors for up to `patience` seconds."""
    gave_up_at = time.monotonic() + patience
    delay = poll
    while True:
        try:
            return client.job(job_id)
        except ServerUnavailable as exc:
            if time.monotonic() + delay > gave_up_at:
                raise
            console.log(f"[yellow]{exc}; asking again in {delay:.0f} s[/yellow]")
            time.sleep(delay)
            delay = min(30.0, delay * 2)


def follow_job(
    client: UploadClient,
    job_id: str,
    console: Console,
    poll: float = 1.0,
    patience: float = FOLLOW_PATIENCE_SECONDS,
) -> dict[str, object]:
    """Show the processing job's stage and percent until it succeeds or dies."""
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("queued", total=100)
        while True:
            job = _poll_job(client, job_id, console, poll, patience)
            label = job["stage"] or job["state"]
            progress.update(task, completed=job["percent"], description=f"process: {label}")
            if job["state"] in FINAL_STATES:
                return job
            time.sleep(poll)

"""A small tus 1.0 client for `marquee ingest`: resumable uploads over httpx, then job progress."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

MIB = 1024 * 1024
UPLOADS_PATH = "/api/v1/admin/uploads/"
_TUS = {"Tus-Resumable": "1.0.0"}
# Worth another try: a garbled chunk, a restarting server, or a stale offset or lock.
_RETRY_STATUSES = {409, 423, 460, 500, 502, 503, 504}


class UploadFailed(Exception):
    """The server refused the upload for good (bad metadata, no permission, ...)."""


class ServerUnavailable(UploadFailed):
    """The server could not answer just now (restarting, overloaded, a replica gone): worth
    asking again, unlike the refusals above."""


def login(base_url: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30
    )
    if response.status_code != 200:
        raise UploadFailed(f"sign-in failed: {response.text}")
    token: str = response.json()["tokens"]["access_token"]
    return token


def encode_metadata(pairs: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


class UploadClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        chunk_size: int = 16 * MIB,
        retries: int = 8,
        retry_delay: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={**_TUS, "Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(60, read=300),
            transport=transport,
        )
        self.chunk_size = chunk_size
        self.retries = retries
        self.retry_delay = retry_delay

    def close(self) -> None:
        self.http.close()

    def create(self, length: int, metadata: dict[str, str]) -> str:
        response = self.http.post(
            UPLOADS_PATH,
            headers={"Upload-Length": str(length), "Upload-Metadata": encode_metadata(metadata)},
        )
        if response.status_code != 201:
            raise UploadFailed(f"the server refused the upload: {response.text}")
        return response.headers["Location"]

    def offset(self, url: str) -> int:
        response = self.http.head(url)
        if response.status_code in _RETRY_STATUSES | {429}:
            # A replica gone or a dependency down behind the balancer: `send` asks again.
            raise httpx.TransportError(f"HEAD {url} answered {response.status_code}")
        if response.status_code != 200:
            raise UploadFailed(f"upload {url} is unknown or expired ({response.status_code})")
        return int(response.headers["Upload-Offset"])

    def send(
        self,
        url: str,
        path: Path,
        *,
        on_progress: Callable[[int], None] = lambda offset: None,
        stop_at: int | None = None,
    ) -> int:
        """Send `path` from the server's offset on; after any failure, ask the server where
        it got to and carry on from there. Returns the final offset."""
        stop = path.stat().st_size if stop_at is None else min(stop_at, path.stat().st_size)
        offset: int | None = None
        failures = 0
        with path.open("rb") as source:
            while True:
                try:
                    if offset is None:
                        offset = self.offset(url)
                        on_progress(offset)
                    if offset >= stop:
                        return offset
                    source.seek(offset)
                    offset = self._patch(
                        url, offset, source.read(min(self.chunk_size, stop - offset))
                    )
                    failures = 0
                    on_progress(offset)
                except httpx.TransportError:
                    failures += 1
                    if failures > self.retries:
                        raise
                    time.sleep(min(30.0, self.retry_delay * 2 ** (failures - 1)))
                    offset = None

    def _patch(self, url: str, offset: int, chunk: bytes) -> int:
        digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        response = self.http.patch(
            url,
            content=chunk,
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
                "Upload-Checksum": f"sha256 {digest}",
            },
        )
        if response.status_code == 204:
            return int(response.headers["Upload-Offset"])
        if response.status_code in _RETRY_STATUSES:
            raise httpx.TransportError(f"chunk at {offset} not taken ({response.status_code})")
        raise UploadFailed(f"the server refused a chunk: {response.text}")

    def status(self, url: str) -> dict[str, Any]:
        return self._json(url)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json(f"/api/v1/admin/jobs/{job_id}")

    def _json(self, url: str) -> dict[str, Any]:
        try:
            response = self.http.get(url)
        except httpx.TransportError as exc:
            raise ServerUnavailable(f"GET {url} failed: {exc}") from exc
        if response.status_code in _RETRY_STATUSES | {429}:
            raise ServerUnavailable(f"GET {url} answered {response.status_code}")
        if response.status_code != 200:
            raise UploadFailed(f"GET {url} answered {response.status_code}: {response.text}")
        body: dict[str, Any] = response.json()
        return body

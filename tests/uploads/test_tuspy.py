"""The official tus client (tuspy) against a real server: interrupted, restarted, cut mid-chunk."""

from __future__ import annotations

import hashlib
import itertools
import socket
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tusclient import client as tus_client
from tusclient.uploader import Uploader

from marquee.accounts.models import Role
from marquee.app import create_app
from marquee.config import Settings
from marquee.db import transaction
from marquee.storage import keys, make_store
from marquee.storage.s3 import S3Store
from tests.catalog.factories import make_title
from tests.services import free_port, serve_app
from tests.support import signup_with_role

MIB = 1024 * 1024
_buckets = itertools.count(1)


class Sha256Uploader(Uploader):
    CHECKSUM_ALGORITHM_PAIR = ("sha256", hashlib.sha256)


@pytest.fixture(params=["local", "s3"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    update: dict[str, object] = {"upload_part_bytes": MIB}
    if request.param == "s3":
        update |= {
            "storage_backend": "s3",
            "s3_endpoint_url": request.getfixturevalue("s3_endpoint"),
            "s3_bucket": f"uploads-{next(_buckets)}",
            "s3_access_key": "testing",
            "s3_secret_key": SecretStr("testing"),
        }
    configured = settings.model_copy(update=update)
    store = make_store(configured)
    if isinstance(store, S3Store):
        store.ensure_bucket()
    return configured


def _file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        for n in range(0, size, MIB):
            block = hashlib.sha256(str(n).encode()).digest() * (MIB // 32)
            out.write(block[: min(MIB, size - n)])
    return path


def _sha256_of_object(app: FastAPI, key: str) -> str:
    sha = hashlib.sha256()
    for chunk in app.state.runtime.store.open(key):
        sha.update(chunk)
    return sha.hexdigest()


def _cut_patch(base: str, path: str, token: str, offset: int, body: bytes, declared: int) -> None:
    """A PATCH whose connection drops after `len(body)` of `declared` bytes."""
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
        f"Authorization: Bearer {token}\r\nUpload-Offset: {offset}\r\n"
        f"Content-Type: application/offset+octet-stream\r\nContent-Length: {declared}\r\n\r\n"
    )
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head.encode() + body)
        time.sleep(0.3)


def test_tuspy_upload_survives_interruptions_a_restart_and_a_cut(
    client: TestClient, app: FastAPI, settings: Settings, tmp_path: Path
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        title_id = str(make_title(session).id)
    size = 12 * MIB + 12345
    source = _file(tmp_path / "master.mp4", size)
    port = free_port()
    auth = {"Authorization": f"Bearer {editor.access_token}"}
    meta = {"title_id": title_id, "filename": "master.mp4", "filetype": "video/mp4"}

    with serve_app(app, port) as base:
        tus = tus_client.TusClient(f"{base}/api/v1/admin/uploads/", headers=auth)
        first = Sha256Uploader(
            file_path=str(source),
            client=tus,
            chunk_size=2 * MIB,
            metadata=meta,
            upload_checksum=True,
        )
        first.upload(stop_at=3 * MIB)  # the link drops after 3 MiB
        url = first.url
        assert url is not None
        assert first.offset == 3 * MIB
        second = Sha256Uploader(
            file_path=str(source), client=tus, url=url, chunk_size=2 * MIB, upload_checksum=True
        )
        assert second.offset == 3 * MIB
        second.upload(stop_at=7 * MIB)
    app.state.runtime.close()

    # A fresh server process on the same database and store: nothing acknowledged is lost.
    restarted = create_app(settings)
    try:
        with serve_app(restarted, port) as base:
            path = url.split(str(port), 1)[1]
            head = httpx.head(url, headers={**auth, "Tus-Resumable": "1.0.0"})
            assert int(head.headers["Upload-Offset"]) == 7 * MIB
            with source.open("rb") as handle:
                handle.seek(7 * MIB)
                partial = handle.read(MIB + 777)
            _cut_patch(base, path, editor.access_token, 7 * MIB, partial, declared=2 * MIB)
            offset = 7 * MIB
            # The server records what arrived when it sees the connection drop; on a busy
            # machine (an S3 part to store first) that can take more than a few seconds.
            deadline = time.monotonic() + 60
            while offset == 7 * MIB and time.monotonic() < deadline:
                time.sleep(0.1)
                offset = int(
                    httpx.head(url, headers={**auth, "Tus-Resumable": "1.0.0"}).headers[
                        "Upload-Offset"
                    ]
                )
            assert 7 * MIB < offset <= 7 * MIB + len(partial)

            tus = tus_client.TusClient(f"{base}/api/v1/admin/uploads/", headers=auth)
            last = Sha256Uploader(
                file_path=str(source), client=tus, url=url, chunk_size=3 * MIB, upload_checksum=True
            )
            assert last.offset == offset
            last.upload()
            status = httpx.get(url, headers=auth).json()
    finally:
        restarted.state.runtime.close()

    assert status["state"] == "complete"
    assert status["offset"] == size
    assert status["job_id"]
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    assert _sha256_of_object(restarted, keys.upload(status["id"])) == expected
    assert list(restarted.state.runtime.store.list(keys.upload_prefix(status["id"]))) == [
        keys.upload(status["id"])
    ]

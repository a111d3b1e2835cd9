"""The storage suite runs once per backend: a local folder and a real S3 API server (moto)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from marquee.storage.base import ObjectStore
from marquee.storage.local import LocalStore
from marquee.storage.s3 import S3Store

_buckets = itertools.count(1)


def s3_store(endpoint: str) -> S3Store:
    """A store on a fresh bucket, so tests never see each other's objects."""
    store = S3Store(
        bucket=f"marquee-test-{next(_buckets)}",
        endpoint_url=endpoint,
        access_key="testing",
        secret_key="testing",
    )
    store.ensure_bucket()
    return store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "media")
    return s3_store(request.getfixturevalue("s3_endpoint"))

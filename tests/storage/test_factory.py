"""The store factory follows settings: a local folder by default, S3 when configured."""

from __future__ import annotations

import io
from pathlib import Path

from pydantic import SecretStr

from marquee.config import Settings
from marquee.storage import make_store
from marquee.storage.base import read_all
from marquee.storage.local import LocalStore
from marquee.storage.s3 import S3Store


def test_default_is_a_local_folder_under_the_var_dir(tmp_path: Path) -> None:
    store = make_store(Settings(var_dir=tmp_path))
    assert isinstance(store, LocalStore)
    store.put("a/b", io.BytesIO(b"data"))
    assert (tmp_path / "media" / "a" / "b").read_bytes() == b"data"


def test_s3_settings_reach_the_s3_api(s3_endpoint: str, tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path,
        storage_backend="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket="factory-bucket",
        s3_access_key="testing",
        s3_secret_key=SecretStr("testing"),
    )
    store = make_store(settings)
    assert isinstance(store, S3Store)
    store.ensure_bucket()
    store.put("a/b", io.BytesIO(b"data"))
    assert read_all(store, "a/b") == b"data"
    assert store.url("a/b").startswith(s3_endpoint)

"""Choose the object store from settings: the local folder by default, S3 when configured."""

from __future__ import annotations

from marquee.config import Settings
from marquee.storage.base import ObjectStore
from marquee.storage.local import LocalStore


def make_store(settings: Settings) -> ObjectStore:
    if settings.storage_backend == "s3":
        from marquee.storage.s3 import S3Store

        return S3Store(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value()
            if settings.s3_secret_key
            else None,
            connect_timeout=settings.s3_connect_timeout_seconds,
            read_timeout=settings.s3_read_timeout_seconds,
            max_attempts=settings.s3_max_attempts,
        )
    return LocalStore(settings.resolved_media_dir)

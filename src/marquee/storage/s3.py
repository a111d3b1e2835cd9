"""An object store on any S3 API (AWS S3, MinIO, Ceph RGW) through boto3."""

from __future__ import annotations

import builtins
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from marquee.storage.base import CHUNK_SIZE, ByteRange, ObjectStat, PartInfo, Source, iter_chunks
from marquee.storage.errors import InvalidPart, ObjectNotFound
from marquee.storage.keys import safe_key, safe_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024
# S3 refuses parts under 5 MiB except the last, and more than 10,000 parts.
S3_MIN_PART_SIZE = 5 * MIB
S3_MAX_PARTS = 10_000
_MISSING = {"404", "NoSuchKey", "NotFound"}
# `put` holds one part of this size in memory at a time; 8 MiB x 10,000 parts = 78 GiB objects.
_PUT_PART_SIZE = 8 * MIB


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3Store:
    """Objects in one bucket; the bucket may be shared, so keys are used exactly as given."""

    min_part_size = S3_MIN_PART_SIZE

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        connect_timeout: float = 60.0,
        read_timeout: float = 60.0,
        max_attempts: int = 5,
    ) -> None:
        self.bucket = bucket
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
        )
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet (for development and tests)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, source: Source) -> int:
        """Small bodies in one request; larger ones as a multipart upload, one part in memory."""
        safe_key(key)
        parts = _parts(iter_chunks(source), _PUT_PART_SIZE)
        first, last = next(parts, (b"", True))
        if last:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=first)
            return len(first)
        handle = self.start_parts(key)
        try:
            stored = [self._upload_part(key, handle, 1, first, len(first))]
            del first
            for number, (body, _) in enumerate(parts, start=2):
                stored.append(self._upload_part(key, handle, number, body, len(body)))
            return self.compose(key, handle, stored)
        except BaseException:
            self.abort_parts(key, handle)
            raise

    def open(self, key: str, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        info = self.stat(key)
        first, last = (0, info.size - 1) if byte_range is None else byte_range.resolve(info.size)
        if info.size == 0:
            return iter(())
        response = self.client.get_object(
            Bucket=self.bucket, Key=key, Range=f"bytes={first}-{last}"
        )
        return _stream(response["Body"])

    def stat(self, key: str) -> ObjectStat:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=safe_key(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectNotFound(f"No object is stored at {key!r}.") from exc
            raise
        return ObjectStat(
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"].strip('"'),
            modified_at=head["LastModified"],
        )

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def url(self, key: str, *, expires_in: int = 3600) -> str:
        params = {"Bucket": self.bucket, "Key": safe_key(key)}
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def list(self, prefix: str) -> Iterator[str]:
        safe_prefix(prefix)
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def delete(self, prefix: str) -> int:
        count = 0
        batch: builtins.list[str] = []
        for key in self.list(prefix):
            batch.append(key)
            if len(batch) == 1000:
                count += self._delete_batch(batch)
                batch = []
        if batch:
            count += self._delete_batch(batch)
        return count

    def _delete_batch(self, keys: builtins.list[str]) -> int:
        objects: Any = [{"Key": key} for key in keys]
        self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        return len(keys)

    def start_parts(self, key: str) -> str:
        created = self.client.create_multipart_upload(Bucket=self.bucket, Key=safe_key(key))
        return created["UploadId"]

    def put_part(self, key: str, handle: str, number: int, source: Source) -> PartInfo:
        if not 1 <= number <= S3_MAX_PARTS:
            raise InvalidPart(f"Part numbers run from 1 to {S3_MAX_PARTS}.")
        # upload_part needs a seekable body of known length: spool to disk past 8 MiB.
        with tempfile.SpooledTemporaryFile(max_size=8 * MIB) as spool:
            for chunk in iter_chunks(source):
                spool.write(chunk)
            size = spool.tell()
            spool.seek(0)
            return self._upload_part(key, handle, number, spool, size)

    def _upload_part(
        self, key: str, handle: str, number: int, body: bytes | IO[bytes], size: int
    ) -> PartInfo:
        try:
            answer = self.client.upload_part(
                Bucket=self.bucket,
                Key=safe_key(key),
                UploadId=handle,
                PartNumber=number,
                Body=body,
                ContentLength=size,
            )
        except ClientError as exc:
            raise self._part_error(exc, key, handle) from exc
        return PartInfo(number=number, size=size, etag=answer["ETag"].strip('"'))

    def list_parts(self, key: str, handle: str) -> builtins.list[PartInfo]:
        paginator = self.client.get_paginator("list_parts")
        parts: builtins.list[PartInfo] = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Key=safe_key(key), UploadId=handle):
                for part in page.get("Parts", []):
                    etag = part["ETag"].strip('"')
                    parts.append(PartInfo(number=part["PartNumber"], size=part["Size"], etag=etag))
        except ClientError as exc:
            raise self._part_error(exc, key, handle) from exc
        return sorted(parts, key=lambda p: p.number)

    def compose(self, key: str, handle: str, parts: builtins.list[PartInfo]) -> int:
        for part in parts[:-1]:
            if part.size < S3_MIN_PART_SIZE:
                raise InvalidPart(f"Part {part.number} is under the 5 MiB S3 minimum.")
        listing: Any = [{"PartNumber": p.number, "ETag": f'"{p.etag}"'} for p in parts]
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=safe_key(key),
                UploadId=handle,
                MultipartUpload={"Parts": listing},
            )
        except ClientError as exc:
            raise self._part_error(exc, key, handle) from exc
        return self.stat(key).size

    def abort_parts(self, key: str, handle: str) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=safe_key(key), UploadId=handle
            )
        except ClientError as exc:
            raise self._part_error(exc, key, handle) from exc

    @staticmethod
    def _part_error(exc: ClientError, key: str, handle: str) -> Exception:
        code = _code(exc)
        if code == "NoSuchUpload":
            return InvalidPart(f"No multipart upload {handle} is open for {key!r}.")
        if code in {"InvalidPart", "InvalidPartOrder", "EntityTooSmall"}:
            return InvalidPart(f"The parts of {key!r} cannot be assembled ({code}).")
        return exc


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_SIZE)
    finally:
        body.close()


def _parts(chunks: Iterator[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Regroup chunks into (body, is_last) of `size` bytes; only the last may be shorter."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        # Strictly more than a part buffered means another part follows this one.
        while len(buffer) > size:
            yield bytes(memoryview(buffer)[:size]), False
            del buffer[:size]
    yield bytes(buffer), True

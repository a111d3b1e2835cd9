"""Object storage for media: one protocol, a local-folder backend and an S3 backend."""

from marquee.storage.base import ByteRange, ObjectStat, ObjectStore, PartInfo
from marquee.storage.factory import make_store

__all__ = ["ByteRange", "ObjectStat", "ObjectStore", "PartInfo", "make_store"]

"""The lane tree: each video file of a version linked again under the height it belongs to.

An edge that shares the media folder sends segments itself (`sendfile`, no cache file, no
origin hop) from `lanes/{version}/v{height}/{file}`. Which files a lane holds is what the
origin would serve under it (`renditions.build`, from the version's own manifests), so the
edge's only check left is the one it already makes: the signed scope lists the height.
A file missing from the tree is not an error: the edge asks the origin, as without a tree.

Only a local store has a tree (hard links cost no bytes); on S3 the edge caches instead.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from marquee.delivery import renditions
from marquee.delivery.origin import CONTENT_TYPES
from marquee.storage import keys
from marquee.storage.base import ObjectStore
from marquee.storage.local import LocalStore


def write(store: ObjectStore, version_id: uuid.UUID) -> int:
    """Link every video file of the stored version into its lane; return how many.

    Only files of a type the edge knows (`CONTENT_TYPES`) are linked: it sends each with the
    type the origin would have, and asks the origin for anything else. Run after the
    version's files are stored and before it is published; it starts from an empty tree,
    so a version written again never keeps a file from its last attempt."""
    if not isinstance(store, LocalStore):
        return 0
    store.delete(keys.lane_prefix(version_id))
    videos = renditions.of_version(store, version_id)
    prefix = keys.version_prefix(version_id)
    linked = 0
    for key in list(store.list(prefix)):
        relative = key[len(prefix) :]
        height = videos.height_of(relative)
        known = PurePosixPath(relative).suffix.lower() in CONTENT_TYPES
        if height is not None and known:
            store.link(key, keys.lane_file(version_id, height, relative))
            linked += 1
    return linked


def stored_versions(store: ObjectStore) -> list[uuid.UUID]:
    """Every version with files in the store, for writing the trees of an existing library."""
    found: set[uuid.UUID] = set()
    for key in store.list(keys.VERSIONS):
        try:
            found.add(uuid.UUID(key.split("/", 2)[1]))
        except (IndexError, ValueError):
            continue
    return sorted(found)

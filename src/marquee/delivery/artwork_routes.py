"""Public artwork: a version's poster frame and thumbnails, for catalogue pages.

Posters are shown before anyone presses play, so they are served without a playback
session; trickplay sprites and everything else of a version stay behind signed links.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from marquee.db import transaction
from marquee.delivery.errors import ArtworkNotFound
from marquee.deps import RuntimeDep
from marquee.storage import keys
from marquee.versions import service as versions
from marquee.versions.models import VersionState
from marquee.versions.service import ARTWORK_ROOT

router = APIRouter(tags=["artwork"])
IMMUTABLE = "public, max-age=31536000, immutable"


@router.get(f"{ARTWORK_ROOT}/{{version_id}}/{{name}}", include_in_schema=False)
def artwork(version_id: uuid.UUID, name: str, runtime: RuntimeDep) -> Response:
    with transaction(runtime.sessionmaker) as session:
        version = versions.get_version(session=session, version_id=version_id)
        if version is None or version.state is not VersionState.READY:
            raise ArtworkNotFound("No such artwork.")
        key = keys.version_file(version_id, f"artwork/{name}")
        if key not in version.artwork.public_keys:
            raise ArtworkNotFound("No such artwork.")
    store = runtime.store
    size = store.stat(key).size
    headers = {"Cache-Control": IMMUTABLE, "Content-Length": str(size)}
    return StreamingResponse(store.open(key), media_type="image/jpeg", headers=headers)


routers = [router]

"""Downloads reuse the playback test data: playable titles and viewers on a chosen plan."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.playback.conftest import in_app_db, playable_series, playable_title, viewer
from tests.support import ApiUser

__all__ = ["in_app_db", "playable_series", "playable_title", "viewer"]

DEVICE = "laptop-0001"


def downloads_url(user: ApiUser, profile_id: str | None = None) -> str:
    return f"/api/v1/profiles/{profile_id or user.profile_id}/downloads"


def download(
    client: TestClient,
    user: ApiUser,
    *,
    device: str = DEVICE,
    profile_id: str | None = None,
    headers: dict[str, str] | None = None,
    **target: Any,
) -> Any:
    """`POST` a download of `title_id=` or `episode_id=` (and `quality=`) on `device`."""
    body = {
        "device_id": device,
        **{k: str(v) if k.endswith("_id") else v for k, v in target.items()},
    }
    return client.post(
        downloads_url(user, profile_id), json=body, headers={**user.headers, **(headers or {})}
    )

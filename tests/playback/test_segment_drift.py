"""Where a session starts: the segment that really holds the start, at any frame rate.

The encoder snaps the segment period to whole frames (4.004 s for a 4 s target at
30000/1001 fps). A start segment worked out from a fixed 4 s drifts by one segment
every 1000 and is two segments off at two hours; the session must name the segment
that the packaged timeline really has at that position.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from marquee.media.encode import segment_period
from marquee.media.pipeline import PipelineResult
from marquee.versions import service as versions
from tests.playback.conftest import make_playable_title, start_body
from tests.support import ApiUser
from tests.versions.encoded import holding, ntsc_result, segment_starts

__all__ = ["ntsc_result"]
SESSIONS = "/api/v1/playback/sessions"


def _start_at(client: TestClient, viewer: ApiUser, title_id: uuid.UUID, at: float) -> Any:
    body = start_body(viewer.profile_id, title_id=title_id, start_at=at)
    response = client.post(SESSIONS, json=body, headers=viewer.headers)
    assert response.status_code == 201, response.text
    started = response.json()
    stop = {"position": 0}
    client.post(f"{SESSIONS}/{started['session_id']}/stop", json=stop, headers=viewer.headers)
    return started


def _title_playing(
    in_app_db: Callable[[], Any], result: PipelineResult, duration: float | None = None
) -> uuid.UUID:
    """A published title whose version is `result` as published (its duration optionally
    stretched: a longer programme encoded the same way has the same period)."""
    description = versions.describe(result)
    if duration is not None:
        description = description.model_copy(update={"duration_seconds": duration})
    with in_app_db() as session:
        title = make_playable_title(session, with_version=False)
        target = versions.Target(title.id)
        version = versions.make_version(
            version_id=uuid.uuid4(), target=target, description=description
        )
        versions.publish_version(session=session, version=version, target=target)
        return title.id


def test_a_start_lands_in_the_segment_the_real_timeline_has_there(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any], ntsc_result: PipelineResult
) -> None:
    title_id = _title_playing(in_app_db, ntsc_result)
    starts = segment_starts(ntsc_result)
    for at in (0.0, 4.002, 4.004, 8.006, 8.008, 9.5):
        started = _start_at(client, viewer, title_id, at)
        assert started["segment_seconds"] == starts[1] - starts[0], started
        assert started["start_segment"] == holding(starts, at), (at, started)


def test_two_hours_into_a_2997_fps_programme_is_segment_1798_not_1800(
    client: TestClient, viewer: ApiUser, in_app_db: Callable[[], Any], ntsc_result: PipelineResult
) -> None:
    # The ladder the real encode used; the period is the encoder's own for that ladder.
    period = segment_period(ntsc_result.ladder, 4.0)
    assert period == 4.004
    title_id = _title_playing(in_app_db, ntsc_result, duration=7300.0)
    started = _start_at(client, viewer, title_id, 7200.0)
    assert started["segment_seconds"] == period
    # 7200 / 4.004 = 1798.2: segment 1798 runs from 7199.192 s to 7203.196 s.
    assert started["start_segment"] == 1798
    assert 1798 * period <= 7200.0 < 1799 * period

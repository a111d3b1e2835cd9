"""Every licence request asks again what the start asked: publication, region and plan."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from marquee.catalog.models import Availability, PublishState, Title
from marquee.db import transaction, utcnow
from marquee.playback.models import PlaybackSession
from tests.playback.conftest import make_version, set_plan
from tests.playback.test_license import _body, _start, _update
from tests.support import assert_problem


def _granted(client: TestClient, url: str, kid: uuid.UUID) -> None:
    response = client.post(url, json=_body(kid))
    assert response.status_code == 200, response.text


def _title(app: FastAPI, session_id: uuid.UUID) -> uuid.UUID:
    with transaction(app.state.runtime.sessionmaker) as session:
        playback = session.get(PlaybackSession, session_id)
        assert playback is not None
        return playback.title_id


def test_a_title_unpublished_mid_session_gets_no_more_keys(
    app: FastAPI, client: TestClient
) -> None:
    started = _start(app, client)
    _granted(client, started.url, started.key.kid)
    with transaction(app.state.runtime.sessionmaker) as session:
        title = session.get(Title, _title(app, started.session_id))
        assert title is not None
        title.state = PublishState.DRAFT
    refused = assert_problem(
        client.post(started.url, json=_body(started.key.kid)), 403, "license_denied"
    )
    assert "published" in str(refused["detail"])


def test_a_licence_window_that_ends_mid_session_stops_the_keys(
    app: FastAPI, client: TestClient
) -> None:
    started = _start(app, client)
    _granted(client, started.url, started.key.kid)
    title_id = _title(app, started.session_id)
    with transaction(app.state.runtime.sessionmaker) as session:
        session.execute(delete(Availability).where(Availability.title_id == title_id))
        yesterday = utcnow() - timedelta(days=1)
        session.add(Availability(title_id=title_id, country="JP", starts_at=yesterday))
    refused = assert_problem(
        client.post(started.url, json=_body(started.key.kid)), 403, "license_denied"
    )
    assert "US" in str(refused["detail"])


def test_a_plan_downgraded_below_the_session_resolution_gets_no_more_keys(
    app: FastAPI, client: TestClient
) -> None:
    started = _start(app, client)
    title_id = _title(app, started.session_id)
    with transaction(app.state.runtime.sessionmaker) as session:
        version = make_version(session, title_id=title_id, heights=(480, 720, 1080))
        version_id = version.id
    _update(app, started.session_id, version_id=version_id, max_height=1080)
    _granted(client, started.url, started.key.kid)
    with transaction(app.state.runtime.sessionmaker) as session:
        set_plan(session, user_id=started.user_id, plan="basic")
    refused = assert_problem(
        client.post(started.url, json=_body(started.key.kid)), 403, "license_denied"
    )
    assert "resolution" in str(refused["detail"])
    # A 720p session on the same version is within the Basic plan.
    _update(app, started.session_id, max_height=720)
    _granted(client, started.url, started.key.kid)
